/** A failed action, shown above the note until dismissed. */
import { useCallback, useState } from 'react';
import { errorMessage } from '../../shared/errors';

export interface Notice {
  notice: string | null;
  show: (text: string | null) => void;
  /** Runs `work`; if it fails, says "Could not <what>" and why. */
  act: (work: Promise<unknown>, what: string) => void;
}

export function useNotice(): Notice {
  const [notice, show] = useState<string | null>(null);
  const act = useCallback((work: Promise<unknown>, what: string) => void work.catch((e: unknown) => show(`Could not ${what}: ${errorMessage(e)}`)), []);
  return { notice, show, act };
}
