/** The open space's name, live as members rename it. */
import { useCallback, useSyncExternalStore } from 'react';
import { catalogMeta, spaceName } from '../../shared/catalog';
import type { SpaceSession } from './space-session';

/** `live` is the session once its catalog is decoded (before that, the name is ''). */
export function useSpaceName(live: SpaceSession | null): string {
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (!live) return () => {};
      const meta = catalogMeta(live.catalog);
      meta.observe(onChange);
      return () => meta.unobserve(onChange);
    },
    [live],
  );
  return useSyncExternalStore(subscribe, () => (live ? spaceName(live.catalog) : ''));
}
