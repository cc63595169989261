/**
 * The spaces of a window: the list (made on first run), which one is open (the route's, else the last
 * one, else the first), its session once ready, and creating and removing spaces. Navigation goes
 * through the route; the layout only shows what this returns.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { initSpace, recordMember } from '../../shared/catalog';
import { errorMessage } from '../../shared/errors';
import type { HostApi, SpaceSummary } from '../../shared/host-api';
import { newId } from '../../shared/ids';
import type { Profile } from '../profile/profile';
import { navigate } from '../navigation/route';
import { ensureSpaces } from './first-run';
import { closeSpace, openSpace, type SpaceSession } from './space-session';

export const LAST_SPACE_KEY = 'commonplace.lastSpace';

export interface Spaces {
  spaces: SpaceSummary[] | null;
  spaceId: string | null;
  session: SpaceSession | null;
  /** The session's catalog is decoded and its view built. */
  ready: boolean;
  /** Why the notebook could not be opened at all. */
  error: string | null;
  refresh: () => Promise<void>;
  create: (name: string, profile: Profile) => Promise<void>;
  /** Removes the open space from this device; resolves with what went wrong, if anything. */
  removeOpen: () => Promise<string | null>;
}

export function useSpaces(host: HostApi, profile: Profile | null, routeSpaceId: string | null): Spaces {
  const [spaces, setSpaces] = useState<SpaceSummary[] | null>(null);
  const [readySpaceId, setReadySpaceId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    if (!profile) return;
    setSpaces(await ensureSpaces(host, profile));
  }, [host, profile]);

  // Wait for the host and the profile, then list (or create) the spaces.
  useEffect(() => {
    if (!profile || spaces !== null) return;
    return host.onConnection((connected) => {
      if (connected) refresh().catch((e: unknown) => setError(errorMessage(e)));
    });
  }, [host, profile, spaces, refresh]);

  const spaceId = useMemo(() => {
    if (!spaces || spaces.length === 0) return null;
    const wanted = routeSpaceId ?? localStorage.getItem(LAST_SPACE_KEY);
    return spaces.find((s) => s.id === wanted)?.id ?? spaces[0]!.id;
  }, [spaces, routeSpaceId]);

  // Sessions are kept per space for the window's lifetime, so this is a lookup after the first time.
  const session = useMemo(() => (spaceId ? openSpace(spaceId, host) : null), [spaceId, host]);
  useEffect(() => {
    if (!session) return;
    localStorage.setItem(LAST_SPACE_KEY, session.spaceId);
    let cancelled = false;
    void session.ready().then(() => !cancelled && setReadySpaceId(session.spaceId));
    return () => {
      cancelled = true;
    };
  }, [session]);

  const create = useCallback(
    async (name: string, member: Profile) => {
      const id = newId();
      const created = openSpace(id, host);
      initSpace(created.catalog, name);
      recordMember(created.catalog, member);
      await created.whenSaved();
      await refresh();
      navigate({ spaceId: id, noteId: null });
    },
    [host, refresh],
  );

  const removeOpen = useCallback(async (): Promise<string | null> => {
    const removed = spaceId;
    if (!removed) return null;
    // The host's copy goes first: if that fails, nothing is lost and the space stays open.
    try {
      await host.call('spaces.remove', { spaceId: removed });
    } catch (e) {
      return `Could not remove the space: ${errorMessage(e)}`;
    }
    setReadySpaceId(null);
    await closeSpace(removed, { forget: true });
    localStorage.removeItem(LAST_SPACE_KEY);
    const remaining = (spaces ?? []).filter((s) => s.id !== removed);
    if (remaining.length > 0) {
      setSpaces(remaining);
      navigate({ spaceId: remaining[0]!.id, noteId: null });
    } else {
      navigate({ spaceId: null, noteId: null });
      await refresh();
    }
    return null;
  }, [host, spaceId, spaces, refresh]);

  return { spaces, spaceId, session, ready: session !== null && readySpaceId === session.spaceId, error, refresh, create, removeOpen };
}
