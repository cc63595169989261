/** Whether the host has every edit on disk. Its own component: it changes with every keystroke. */
import { useCallback, useSyncExternalStore } from 'react';
import type { SaveState } from '../persistence/doc-persistence';
import type { SpaceSession } from '../spaces/space-session';

const SAVE_LABELS: Record<SaveState, string> = {
  connecting: 'Connecting to this device’s store…',
  saving: 'Saving…',
  saved: 'Saved on this device',
  unsaved: 'Not yet on disk: kept in this window until the host is back',
  error: 'Could not save: see the log',
};

export function SaveStatus({ session }: { session: SpaceSession }) {
  const subscribe = useCallback((onChange: () => void) => session.onSaveState(onChange), [session]);
  const state = useSyncExternalStore(subscribe, () => session.saveState());
  return (
    <div className="save-status" role="status" aria-label="Save status" data-state={state}>
      {SAVE_LABELS[state]}
    </div>
  );
}
