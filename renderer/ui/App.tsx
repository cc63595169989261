/** The notebook window: spaces, search, notes and tags on the left; the open note on the right. */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { catalogMeta, catalogNotes, entryState, entryTitle, getEntry, recordMember, renameSpace, restoreEntry, sortNotes, spaceName, touchEntry, trashEntry, type NoteSort } from '../../shared/catalog';
import type { HostApi } from '../../shared/host-api';
import { NoteLinkProvider } from '../editor/NoteLinkPlugin';
import { AttachmentProvider } from '../editor/AttachmentPlugin';
import { memberLabel } from './member-names';
import type { SaveState } from '../persistence/doc-persistence';
import { useSearch } from '../search/use-search';
import { createNote, deleteNotesForever, duplicateNote } from '../spaces/note-actions';
import type { SpaceSession } from '../spaces/space-session';
import { ConfirmDialog, PromptDialog } from './Dialog';
import { NotesNav, TagsNav, type DeletedNote, type ListMode } from './NotesNav';
import { WhatsNewDialog } from './history/WhatsNew';
import * as Y from 'yjs';
import { NoteView } from './NoteView';
import { ProfileDialog } from './ProfileDialog';
import { useProfile } from '../profile/use-profile';
import { useSpaces } from '../spaces/use-spaces';
import { QuickSwitcher } from './QuickSwitcher';
import { navigate, useRoute } from '../navigation/route';
import { SpacesNav } from './SpacesNav';
import { SyncPanel } from './sync/SyncPanel';
import { errorMessage } from '../../shared/errors';

/** Export and import (and the zip library they use) load after the window has shown. */
const MarkdownMenu = lazy(() => import('./MarkdownMenu').then((m) => ({ default: m.MarkdownMenu })));

/** Touching a note's "updated" fields on every keystroke would flood the doc; once in a while is enough. */
const TOUCH_INTERVAL_MS = 3000;


/** Whether the host has every edit on disk. Its own component: it changes with every keystroke. */
function SaveStatus({ session }: { session: SpaceSession }) {
  const subscribe = useCallback((onChange: () => void) => session.onSaveState(onChange), [session]);
  const state: SaveState = useSyncExternalStore(subscribe, () => session.saveState());
  return (
    <div className="save-status" role="status" aria-label="Save status" data-state={state}>
      {SAVE_LABELS[state]}
    </div>
  );
}

/** The space's name, live. */
function useSpaceName(session: SpaceSession | null, ready: boolean): string {
  return useSyncExternalStore(
    (onChange) => {
      if (!session || !ready) return () => {};
      const meta = catalogMeta(session.catalog);
      meta.observe(onChange);
      return () => meta.unobserve(onChange);
    },
    () => (session && ready ? spaceName(session.catalog) : ''),
  );
}

const SAVE_LABELS: Record<SaveState, string> = {
  connecting: 'Connecting to this device’s store…',
  saving: 'Saving…',
  saved: 'Saved on this device',
  unsaved: 'Not yet on disk: kept in this window until the host is back',
  error: 'Could not save: see the log',
};

type Pending =
  | { kind: 'new-space' }
  | { kind: 'rename-space' }
  | { kind: 'remove-space' }
  | { kind: 'empty-trash' }
  | { kind: 'delete-note'; noteId: string }
  | { kind: 'profile' }
  | null;

export function App({ host }: { host: HostApi }) {
  const [profile, needsName, saveProfileEverywhere] = useProfile(host);
  const route = useRoute();
  const { spaces, spaceId, session, ready, error, refresh: refreshSpaces, create: createSpaceNamed, removeOpen } = useSpaces(host, profile, route.spaceId);
  /** A failed action, shown above the note until dismissed. */
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [query, setQuery] = useState('');
  const [tagFilter, setTagFilter] = useState<string | null>(null);
  const [sort, setSort] = useState<NoteSort>('updated');
  const [mode, setMode] = useState<ListMode>('notes');
  const [whatsNewOpen, setWhatsNewOpen] = useState(false);
  const [switcherOpen, setSwitcherOpen] = useState(false);
  const lastTouch = useRef(new Map<string, number>());

  // `ready` holds only with a session: the catalog is decoded and its view built.
  const live = ready ? session : null;
  const catalog = live?.catalog ?? null;
  const catalogView = live?.view ?? null;
  const view = useSyncExternalStore(catalogView?.subscribe ?? noSubscription, catalogView?.getView ?? emptyView);
  const news = useSyncExternalStore(session?.news.subscribe ?? noSubscription, session?.news.getView ?? emptyNews);
  const currentName = useSpaceName(session, ready);
  // One value while the space and member stay: the editor's attachment plugin registers its commands by it.
  const attachmentContext = useMemo(
    () =>
      session && catalog
        ? { attachments: session.attachments, memberId: profile?.id ?? '', memberName: (id: string) => memberLabel(catalog, id, profile?.id ?? ''), onProblem: setNotice }
        : null,
    [session, catalog, profile?.id],
  );

  // Members appear by name in the spaces they write in.
  useEffect(() => {
    if (profile) session?.setMember(profile.id);
    if (catalog && profile?.name) recordMember(catalog, profile);
  }, [session, catalog, profile]);

  const notes = useMemo(() => {
    const filtered = tagFilter ? view.active.filter((n) => n.tags.includes(tagFilter)) : view.active;
    return sort === 'updated' ? filtered : sortNotes([...filtered], sort);
  }, [view.active, tagFilter, sort]);
  const hits = useSearch(live?.search ?? null, query);

  // A linked note may not be here yet (the local cache loaded, the host's copy has not): wait for the host.
  const [hostSyncedSpaceId, setHostSyncedSpaceId] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void session?.durable.whenSynced().then(() => !cancelled && setHostSyncedSpaceId(session.spaceId));
    return () => {
      cancelled = true;
    };
  }, [session]);
  // Read at every render: the view changing (a note arriving from a peer, the catalog decoded) renders again.
  const routed = route.noteId && catalogView ? catalogView.get(route.noteId) : undefined;
  const waitingForNote = route.noteId !== null && route.spaceId === spaceId && !routed && hostSyncedSpaceId !== spaceId;
  const noteId = routed && routed.state !== 'deleted' ? route.noteId : waitingForNote ? null : (notes[0]?.id ?? view.active[0]?.id ?? null);
  const shown = noteId && catalogView ? catalogView.get(noteId) : undefined;
  // The note's entry, once the catalog is decoded (until then the note shows from the host's list row).
  const entry = catalog && noteId ? getEntry(catalog, noteId) : undefined;

  // Keep the URL on what is shown.
  useEffect(() => {
    if (spaceId && catalog && !waitingForNote && (route.spaceId !== spaceId || route.noteId !== noteId)) navigate({ spaceId, noteId }, true);
  }, [spaceId, catalog, noteId, waitingForNote, route.spaceId, route.noteId]);

  // Ctrl/Cmd+K: the quick switcher.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        setSwitcherOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onLocalEdit = useCallback(() => {
    if (!entry || !noteId || !profile) return;
    const now = Date.now();
    if (now - (lastTouch.current.get(noteId) ?? 0) < TOUCH_INTERVAL_MS) return;
    lastTouch.current.set(noteId, now);
    touchEntry(entry, profile, now);
  }, [entry, noteId, profile]);

  const openNote = useCallback((id: string) => spaceId && navigate({ spaceId, noteId: id }), [spaceId]);

  if (error) return <div className="app-message" role="alert">Commonplace could not open your notebook: {error}</div>;
  if (profile && needsName) {
    return (
      <div className="app-message">
        <ProfileDialog open profile={profile} firstRun onSave={saveProfileEverywhere} onCancel={() => {}} />
      </div>
    );
  }
  if (!profile || !session || !catalog || !catalogView || !spaceId || !spaces) return <div className="app-message">Opening your notebook…</div>;

  const act = (work: Promise<unknown>, what: string) => void work.catch((e: unknown) => setNotice(`Could not ${what}: ${errorMessage(e)}`));

  const newNote = () => {
    const id = createNote(session, profile, { tags: tagFilter ? [tagFilter] : [] });
    setMode('notes');
    setQuery('');
    navigate({ spaceId, noteId: id });
    requestAnimationFrame(() => document.querySelector<HTMLInputElement>('input[aria-label="Note title"]')?.focus());
  };

  const createSpace = (name: string) => createSpaceNamed(name, profile);

  const removeSpace = async () => {
    const problem = await removeOpen();
    if (problem) setNotice(problem);
  };

  return (
    <NoteLinkProvider
      value={{
        catalog,
        view: catalogView,
        titles: session.titles,
        openNote,
        createNote: (id, title) => void createNote(session, profile, { id, title }),
      }}
    >
      <AttachmentProvider value={attachmentContext}>
      <div className="app">
        <aside className="sidebar">
          <div className="sidebar-top">
          <SpacesNav
            spaces={spaces}
            currentId={spaceId}
            currentName={currentName}
            onSwitch={(id) => id !== spaceId && navigate({ spaceId: id, noteId: null })}
            onNew={() => setPending({ kind: 'new-space' })}
            onRename={() => setPending({ kind: 'rename-space' })}
            onRemove={() => setPending({ kind: 'remove-space' })}
          />
          <input
            type="search"
            className="search"
            aria-label="Search notes"
            placeholder="Search notes (Ctrl+K to jump)"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setQuery('')}
          />
          <button type="button" className="primary" onClick={newNote}>
            New note
          </button>
          <button type="button" className="whats-new-button" onClick={() => setWhatsNewOpen(true)} aria-label={news.unseen.size > 0 ? `What's new: ${notesCount(news.unseen.size)} changed by others` : "What's new"}>
            What's new{news.unseen.size > 0 && <span className="badge">{news.unseen.size}</span>}
          </button>
          </div>
          <NotesNav
            spaceId={spaceId}
            notes={notes}
            trashed={view.trashed}
            hits={hits}
            query={query}
            currentNoteId={noteId}
            sort={sort}
            onSort={setSort}
            tagFilter={tagFilter}
            onClearTag={() => setTagFilter(null)}
            mode={mode}
            onMode={setMode}
            onEmptyTrash={() => setPending({ kind: 'empty-trash' })}
            unseen={news.unseen}
            recentlyDeleted={mode === 'trash' ? recentlyDeleted(catalog) : NO_DELETED}
            onRecover={(id) => {
              const deleted = getEntry(catalog, id);
              if (deleted) restoreEntry(deleted);
              openNote(id);
            }}
          />
          <TagsNav tags={view.tags} active={tagFilter} onSelect={(tag) => (setTagFilter(tag), setMode('notes'), setQuery(''))} />
          <div className="sidebar-bottom">
          <Suspense
            fallback={
              <div className="markdown-menu">
                <button type="button" disabled>
                  Markdown
                </button>
              </div>
            }
          >
            <MarkdownMenu host={host} spaceId={spaceId} noteId={noteId} author={profile} />
          </Suspense>
          <div className="sidebar-footer">
            <button type="button" className="profile-button" onClick={() => setPending({ kind: 'profile' })} aria-label={`Profile: ${profile.name}`}>
              <span className="avatar" style={{ background: profile.color }} aria-hidden="true" />
              <span className="profile-name">{profile.name}</span>
            </button>
            <SaveStatus session={session} />
          </div>
          <SyncPanel session={session} profile={profile} onJoined={(id) => void refreshSpaces().then(() => navigate({ spaceId: id, noteId: null }))} />
          </div>
        </aside>
        <main className="note-pane">
          {notice && (
            <div className="notice" role="alert">
              {notice}
              <button type="button" className="link-button" onClick={() => setNotice(null)}>
                Dismiss
              </button>
            </div>
          )}
          {shown && noteId ? (
            <NoteView
              key={noteId}
              session={session}
              noteId={noteId}
              entry={entry}
              summary={shown.summary}
              listedState={shown.state}
              author={profile}
              spaceTags={view.tags.map((t) => t.tag)}
              onLocalEdit={onLocalEdit}
              onDuplicate={() => act(duplicateNote(session, noteId, profile).then(openNote), 'duplicate the note')}
              onTrash={() => entry && trashEntry(entry)}
              onRestore={() => entry && restoreEntry(entry)}
              onDeleteForever={() => setPending({ kind: 'delete-note', noteId })}
              onNotice={setNotice}
            />
          ) : waitingForNote ? (
            <div className="empty-note">
              <p>Opening the note…</p>
            </div>
          ) : (
            <div className="empty-note">
              <p>No notes here yet.</p>
              {/* Not a second "New note": one button of that name in the window. */}
              <button type="button" className="primary" onClick={newNote}>
                Write the first note
              </button>
            </div>
          )}
        </main>
      </div>
      <QuickSwitcher
        open={switcherOpen}
        titles={session.titles}
        notes={view.active}
        onOpen={(id) => (setSwitcherOpen(false), openNote(id))}
        onClose={() => setSwitcherOpen(false)}
      />
      <PromptDialog
        open={pending?.kind === 'new-space'}
        title="New space"
        label="Name of the space"
        initialValue=""
        submitLabel="Create space"
        onSubmit={(name) => (setPending(null), void createSpace(name))}
        onCancel={() => setPending(null)}
      />
      <PromptDialog
        open={pending?.kind === 'rename-space'}
        title="Rename space"
        label="Name of the space"
        initialValue={currentName}
        submitLabel="Rename"
        onSubmit={(name) => (setPending(null), renameSpace(catalog, name), void refreshSpaces())}
        onCancel={() => setPending(null)}
      />
      <ConfirmDialog
        open={pending?.kind === 'remove-space'}
        title={`Remove “${currentName || 'Untitled space'}” from this device?`}
        message={
          <p>
            Its {notesCount(view.active.length + view.trashed.length)} (including the trash) will be deleted from this device. Members you shared the space with keep
            their copies; you can join again with an invite.
          </p>
        }
        confirmLabel="Remove from this device"
        onConfirm={() => (setPending(null), void removeSpace())}
        onCancel={() => setPending(null)}
      />
      <ConfirmDialog
        open={pending?.kind === 'empty-trash'}
        title="Empty the trash?"
        message={
          <p>
            {view.trashed.length === 1 ? 'The note' : `The ${notesCount(view.trashed.length)}`} in the trash will be deleted forever, on every member's device. For 30 days
            they can still be recovered on this device from “Recently deleted”.
          </p>
        }
        confirmLabel="Empty trash"
        onConfirm={() => {
          setPending(null);
          act(
            deleteNotesForever(
              session,
              view.trashed.map((n) => n.id),
            ),
            'empty the trash',
          );
        }}
        onCancel={() => setPending(null)}
      />
      <ConfirmDialog
        open={pending?.kind === 'delete-note'}
        title="Delete this note forever?"
        message={<p>It will be gone from the trash, on every member's device. For 30 days it can still be recovered on this device from “Recently deleted”, under the trash.</p>}
        confirmLabel="Delete forever"
        onConfirm={() => {
          const target = pending?.kind === 'delete-note' ? pending.noteId : null;
          setPending(null);
          if (target) act(deleteNotesForever(session, [target]), 'delete the note');
        }}
        onCancel={() => setPending(null)}
      />
      {whatsNewOpen && <WhatsNewDialog session={session} selfId={profile.id} onOpenNote={(id) => (setMode('notes'), setQuery(''), openNote(id))} onClose={() => setWhatsNewOpen(false)} />}
      {pending?.kind === 'profile' && (
        <ProfileDialog open profile={profile} firstRun={false} onSave={(p) => (setPending(null), saveProfileEverywhere(p))} onCancel={() => setPending(null)} />
      )}
      </AttachmentProvider>
    </NoteLinkProvider>
  );
}

const notesCount = (n: number) => `${n} ${n === 1 ? 'note' : 'notes'}`;
const NO_DELETED: DeletedNote[] = [];
/** How long "Recently deleted" lists a note deleted forever. */
const RECOVERABLE_MS = 30 * 24 * 60 * 60 * 1000;

/** Notes deleted forever in the last 30 days, newest first (their bodies are still on this device). */
function recentlyDeleted(catalog: Y.Doc): DeletedNote[] {
  const since = Date.now() - RECOVERABLE_MS;
  const out: DeletedNote[] = [];
  catalogNotes(catalog).forEach((entry, id) => {
    if (!(entry instanceof Y.Map) || entryState(entry) !== 'deleted') return;
    const deletedAt = entry.get('deletedAt');
    if (typeof deletedAt === 'number' && deletedAt >= since) out.push({ id, title: entryTitle(entry), deletedAt });
  });
  return out.sort((a, b) => b.deletedAt - a.deletedAt);
}
const noSubscription = () => () => {};
const EMPTY_VIEW = { active: [], trashed: [], tags: [] };
const emptyView = () => EMPTY_VIEW;
const EMPTY_NEWS = { notes: [], unseen: new Set<string>() };
const emptyNews = () => EMPTY_NEWS;
