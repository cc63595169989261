/**
 * Which note the window shows: the route's, else the first listed. A linked note that has not arrived
 * yet (the window's cache loaded, the host's copy not) is waited for until the host has synced the
 * space. The URL follows what is shown.
 */
import { useCallback, useEffect, useState } from 'react';
import { getEntry, type NoteEntry, type NoteState, type NoteSummary } from '../../shared/catalog';
import { navigate, type Route } from '../navigation/route';
import type { SpaceSession } from '../spaces/space-session';

export interface OpenNote {
  noteId: string | null;
  /** Its row as the lists know it. */
  shown: { summary: NoteSummary; state: NoteState } | undefined;
  /** Its catalog entry, once the catalog is decoded (until then the note shows from the host's row). */
  entry: NoteEntry | undefined;
  /** The route names a note that is not here yet. */
  waiting: boolean;
  open: (noteId: string) => void;
}

/** `live` is the session once its catalog is decoded; `firstListed` is shown when the route names no note. */
export function useOpenNote(route: Route, session: SpaceSession | null, live: SpaceSession | null, firstListed: string | null): OpenNote {
  const spaceId = session?.spaceId ?? null;
  const [hostSyncedSpaceId, setHostSyncedSpaceId] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void session?.durable.whenSynced().then(() => !cancelled && setHostSyncedSpaceId(session.spaceId));
    return () => {
      cancelled = true;
    };
  }, [session]);

  const view = live?.view ?? null;
  const catalog = live?.catalog ?? null;
  // Read at every render: the view changing (a note arriving from a peer, the catalog decoded) renders again.
  const routed = route.noteId && view ? view.get(route.noteId) : undefined;
  const waiting = route.noteId !== null && route.spaceId === spaceId && !routed && hostSyncedSpaceId !== spaceId;
  const noteId = routed && routed.state !== 'deleted' ? route.noteId : waiting ? null : firstListed;
  const shown = noteId && view ? view.get(noteId) : undefined;
  const entry = catalog && noteId ? getEntry(catalog, noteId) : undefined;

  useEffect(() => {
    if (spaceId && catalog && !waiting && (route.spaceId !== spaceId || route.noteId !== noteId)) navigate({ spaceId, noteId }, true);
  }, [spaceId, catalog, noteId, waiting, route.spaceId, route.noteId]);

  const open = useCallback((id: string) => spaceId && navigate({ spaceId, noteId: id }), [spaceId]);
  return { noteId, shown, entry, waiting, open };
}
