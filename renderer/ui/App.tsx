/** The notebook window: the space's notes on the left, the open note (title, toolbar, body) on the right. */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type * as Y from 'yjs';
import type { HostApi, SpaceSummary } from '../../shared/host-api';
import { createNote, getNote, spaceName, touchNote, type NoteSummary } from '../../shared/space-model';
import { NoteEditor } from '../editor/NoteEditor';
import { TitleField } from '../editor/TitleField';
import type { SaveState } from '../sync/host-persistence';
import { openSpace, type SpaceSession } from '../sync/space-session';
import { ensureSpaces } from './first-run';
import { loadProfile } from './profile';
import { NoteListStore } from './note-list-store';
import { SyncPanel } from './sync/SyncPanel';
import { navigate, parseRoute, type Route } from './route';

const LAST_SPACE_KEY = 'commonplace.lastSpace';
/** Touching a note's "updated" fields on every keystroke would flood the doc; once in a while is enough. */
const TOUCH_INTERVAL_MS = 3000;

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** The space's notes, recomputed when a note's fields change (not on every keystroke in a body). */
function useNotes(doc: Y.Doc | null): NoteSummary[] {
  const store = useMemo(() => (doc ? new NoteListStore(doc) : null), [doc]);
  return useSyncExternalStore(store?.subscribe ?? noSubscription, store?.getSnapshot ?? noNotes);
}
const noSubscription = () => () => {};
const EMPTY: NoteSummary[] = [];
const noNotes = () => EMPTY;

function useSaveState(session: SpaceSession | null): SaveState {
  const [state, setState] = useState<SaveState>('connecting');
  useEffect(() => session?.durable.onState(setState), [session]);
  return state;
}

const SAVE_LABELS: Record<SaveState, string> = {
  connecting: 'Connecting to this device’s store…',
  saving: 'Saving…',
  saved: 'Saved on this device',
  unsaved: 'Not yet on disk: kept in this window until the host is back',
  error: 'Could not save: see the log',
};

export function App({ host }: { host: HostApi }) {
  const [profile] = useState(loadProfile);
  const route = useRoute();
  const [spaces, setSpaces] = useState<SpaceSummary[] | null>(null);
  const [readySpaceId, setReadySpaceId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lastTouch = useRef(new Map<string, number>());

  // Wait for the host, then list (or create) the spaces.
  useEffect(() => {
    let cancelled = false;
    const off = host.onConnection((connected) => {
      if (!connected || spaces !== null) return;
      ensureSpaces(host, profile).then(
        (list) => !cancelled && setSpaces(list),
        (e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
      );
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [host, profile, spaces]);

  const spaceId = useMemo(() => {
    if (!spaces || spaces.length === 0) return null;
    const wanted = route.spaceId ?? localStorage.getItem(LAST_SPACE_KEY);
    return spaces.find((s) => s.id === wanted)?.id ?? spaces[0]!.id;
  }, [spaces, route.spaceId]);

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

  const doc = session && readySpaceId === session.spaceId ? session.doc : null;
  const notes = useNotes(doc);
  const saveState = useSaveState(session);
  const noteId = route.noteId && doc && getNote(doc, route.noteId) ? route.noteId : (notes[0]?.id ?? null);
  const note = doc && noteId ? getNote(doc, noteId) : undefined;

  // Keep the URL on the note being shown.
  useEffect(() => {
    if (spaceId && doc && (route.spaceId !== spaceId || route.noteId !== noteId)) navigate({ spaceId, noteId }, true);
  }, [spaceId, doc, noteId, route.spaceId, route.noteId]);

  const onLocalEdit = useCallback(() => {
    if (!note || !noteId) return;
    const now = Date.now();
    if (now - (lastTouch.current.get(noteId) ?? 0) < TOUCH_INTERVAL_MS) return;
    lastTouch.current.set(noteId, now);
    touchNote(note, profile, now);
  }, [note, noteId, profile]);

  const newNote = () => {
    if (!doc || !spaceId) return;
    const id = createNote(doc, { author: profile });
    navigate({ spaceId, noteId: id });
    requestAnimationFrame(() => document.querySelector<HTMLInputElement>('input[aria-label="Note title"]')?.focus());
  };

  const focusBody = () => document.querySelector<HTMLElement>('[aria-label="Note body"]')?.focus();

  if (error) return <div className="app-message" role="alert">Commonplace could not open your notebook: {error}</div>;
  if (!doc || !spaceId) return <div className="app-message">Opening your notebook…</div>;

  return (
    <div className="app">
      <aside className="sidebar">
        <div className="space-name" title={spaceName(doc)}>
          {spaceName(doc) || 'Untitled space'}
        </div>
        <button type="button" className="primary" onClick={newNote}>
          New note
        </button>
        <nav aria-label="Notes" className="note-list">
          <ul>
            {notes.map((n) => (
              <li key={n.id}>
                <a
                  href={`#/space/${spaceId}/note/${n.id}`}
                  aria-current={n.id === noteId ? 'page' : undefined}
                  className={n.title ? undefined : 'untitled'}
                  title={n.title || 'Untitled note'}
                >
                  {n.title || 'Untitled note'}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="save-status" role="status" aria-label="Save status" data-state={saveState}>
          {SAVE_LABELS[saveState]}
        </div>
        {session && <SyncPanel session={session} profile={profile} />}
      </aside>
      <main className="note-pane">
        {note && noteId ? (
          <article key={noteId} className="note">
            <TitleField note={note} author={profile} onEnter={focusBody} />
            <NoteEditor doc={doc} noteId={noteId} onLocalEdit={onLocalEdit} sync={session?.peers} />
          </article>
        ) : (
          <div className="empty-note">
            <p>No notes yet.</p>
            <button type="button" onClick={newNote}>
              New note
            </button>
          </div>
        )}
      </main>
    </div>
  );
}
