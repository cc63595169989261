/**
 * The notebook window's layout: spaces, search, notes and tags on the left; the open note on the right.
 * What it shows comes from the application layer (spaces/, notes/, profile/, search/); this file only
 * places it and wires the buttons.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { getEntry, recentlyDeleted, recordMember, restoreEntry, trashEntry, type DeletedNote } from '../../shared/catalog';
import type { HostApi } from '../../shared/host-api';
import { AttachmentProvider } from '../editor/AttachmentPlugin';
import { NoteLinkProvider } from '../editor/NoteLinkPlugin';
import { navigate, useRoute } from '../navigation/route';
import { useNoteList } from '../notes/use-note-list';
import { useOpenNote } from '../notes/use-open-note';
import { useTouchOnEdit } from '../notes/use-touch-on-edit';
import { useProfile } from '../profile/use-profile';
import { createNote, duplicateNote } from '../spaces/note-actions';
import { useSpaceName } from '../spaces/use-space-name';
import { useSpaces } from '../spaces/use-spaces';
import { WhatsNewDialog } from './history/WhatsNew';
import { memberLabel } from './member-names';
import { NotesNav, TagsNav } from './NotesNav';
import { NoteView } from './NoteView';
import { ProfileDialog } from './ProfileDialog';
import { QuickSwitcher } from './QuickSwitcher';
import { SaveStatus } from './SaveStatus';
import { SpaceDialogs, notesCount, type SpaceDialog } from './SpaceDialogs';
import { SpacesNav } from './SpacesNav';
import { SyncPanel } from './sync/SyncPanel';
import { useNotice } from './use-notice';
import { useShortcut } from './use-shortcut';

/** Export and import (and the zip library they use) load after the window has shown. */
const MarkdownMenu = lazy(() => import('./MarkdownMenu').then((m) => ({ default: m.MarkdownMenu })));

export function App({ host }: { host: HostApi }) {
  const [profile, needsName, saveProfileEverywhere] = useProfile(host);
  const route = useRoute();
  const spaces = useSpaces(host, profile, route.spaceId);
  const { spaceId, session, ready, error } = spaces;
  // `ready` holds only with a session: the catalog is decoded and its view built.
  const live = ready ? session : null;
  const view = useSyncExternalStore(live?.view.subscribe ?? noSubscription, live?.view.getView ?? emptyView);
  const news = useSyncExternalStore(session?.news.subscribe ?? noSubscription, session?.news.getView ?? emptyNews);
  const currentName = useSpaceName(live);
  const list = useNoteList(view, live?.search ?? null);
  const open = useOpenNote(route, session, live, list.notes[0]?.id ?? view.active[0]?.id ?? null);
  const { noteId, entry } = open;
  const notice = useNotice();
  const onLocalEdit = useTouchOnEdit(noteId, entry, profile);
  const [dialog, setDialog] = useState<SpaceDialog>(null);
  const [whatsNewOpen, setWhatsNewOpen] = useState(false);
  const [switcherOpen, setSwitcherOpen] = useState(false);
  useShortcut('k', useCallback(() => setSwitcherOpen(true), []));

  const catalog = live?.catalog ?? null;
  // One value while the space and member stay: the editor's attachment plugin registers its commands by it.
  const showNotice = notice.show;
  const attachmentContext = useMemo(
    () =>
      session && catalog
        ? { attachments: session.attachments, memberId: profile?.id ?? '', memberName: (id: string) => memberLabel(catalog, id, profile?.id ?? ''), onProblem: showNotice }
        : null,
    [session, catalog, profile?.id, showNotice],
  );

  // Members appear by name in the spaces they write in.
  useEffect(() => {
    if (profile) session?.setMember(profile.id);
    if (catalog && profile?.name) recordMember(catalog, profile);
  }, [session, catalog, profile]);

  if (error) return <div className="app-message" role="alert">Commonplace could not open your notebook: {error}</div>;
  if (profile && needsName) {
    return (
      <div className="app-message">
        <ProfileDialog open profile={profile} firstRun onSave={saveProfileEverywhere} onCancel={() => {}} />
      </div>
    );
  }
  if (!profile || !session || !live || !catalog || !spaceId || !spaces.spaces) return <div className="app-message">Opening your notebook…</div>;

  const newNote = () => {
    const id = createNote(session, profile, { tags: list.tagFilter ? [list.tagFilter] : [] });
    list.showNotes();
    navigate({ spaceId, noteId: id });
    requestAnimationFrame(() => document.querySelector<HTMLInputElement>('input[aria-label="Note title"]')?.focus());
  };

  return (
    <NoteLinkProvider
      value={{
        catalog,
        view: live.view,
        titles: session.titles,
        openNote: open.open,
        createNote: (id, title) => void createNote(session, profile, { id, title }),
      }}
    >
      <AttachmentProvider value={attachmentContext}>
        <div className="app">
          <aside className="sidebar">
            <div className="sidebar-top">
              <SpacesNav
                spaces={spaces.spaces}
                currentId={spaceId}
                currentName={currentName}
                onSwitch={(id) => id !== spaceId && navigate({ spaceId: id, noteId: null })}
                onNew={() => setDialog({ kind: 'new-space' })}
                onRename={() => setDialog({ kind: 'rename-space' })}
                onRemove={() => setDialog({ kind: 'remove-space' })}
              />
              <input
                type="search"
                className="search"
                aria-label="Search notes"
                placeholder="Search notes (Ctrl+K to jump)"
                value={list.query}
                onChange={(e) => list.setQuery(e.target.value)}
                onKeyDown={(e) => e.key === 'Escape' && list.setQuery('')}
              />
              <button type="button" className="primary" onClick={newNote}>
                New note
              </button>
              <button
                type="button"
                className="whats-new-button"
                onClick={() => setWhatsNewOpen(true)}
                aria-label={news.unseen.size > 0 ? `What's new: ${notesCount(news.unseen.size)} changed by others` : "What's new"}
              >
                What's new{news.unseen.size > 0 && <span className="badge">{news.unseen.size}</span>}
              </button>
            </div>
            <NotesNav
              spaceId={spaceId}
              notes={list.notes}
              trashed={view.trashed}
              hits={list.hits}
              query={list.query}
              currentNoteId={noteId}
              sort={list.sort}
              onSort={list.setSort}
              tagFilter={list.tagFilter}
              onClearTag={list.clearTag}
              mode={list.mode}
              onMode={list.setMode}
              onEmptyTrash={() => setDialog({ kind: 'empty-trash' })}
              unseen={news.unseen}
              recentlyDeleted={list.mode === 'trash' ? recentlyDeleted(catalog) : NO_DELETED}
              onRecover={(id) => {
                const deleted = getEntry(catalog, id);
                if (deleted) restoreEntry(deleted);
                open.open(id);
              }}
            />
            <TagsNav tags={view.tags} active={list.tagFilter} onSelect={list.selectTag} />
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
                <button type="button" className="profile-button" onClick={() => setDialog({ kind: 'profile' })} aria-label={`Profile: ${profile.name}`}>
                  <span className="avatar" style={{ background: profile.color }} aria-hidden="true" />
                  <span className="profile-name">{profile.name}</span>
                </button>
                <SaveStatus session={session} />
              </div>
              <SyncPanel session={session} profile={profile} onJoined={(id) => void spaces.refresh().then(() => navigate({ spaceId: id, noteId: null }))} />
            </div>
          </aside>
          <main className="note-pane">
            {notice.notice && (
              <div className="notice" role="alert">
                {notice.notice}
                <button type="button" className="link-button" onClick={() => notice.show(null)}>
                  Dismiss
                </button>
              </div>
            )}
            {open.shown && noteId ? (
              <NoteView
                key={noteId}
                session={session}
                noteId={noteId}
                entry={entry}
                summary={open.shown.summary}
                listedState={open.shown.state}
                author={profile}
                spaceTags={view.tags.map((t) => t.tag)}
                onLocalEdit={onLocalEdit}
                onDuplicate={() => notice.act(duplicateNote(session, noteId, profile).then(open.open), 'duplicate the note')}
                onTrash={() => entry && trashEntry(entry)}
                onRestore={() => entry && restoreEntry(entry)}
                onDeleteForever={() => setDialog({ kind: 'delete-note', noteId })}
                onNotice={notice.show}
              />
            ) : open.waiting ? (
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
          onOpen={(id) => (setSwitcherOpen(false), open.open(id))}
          onClose={() => setSwitcherOpen(false)}
        />
        <SpaceDialogs
          open={dialog}
          onClose={() => setDialog(null)}
          spaces={spaces}
          session={session}
          view={view}
          spaceName={currentName}
          profile={profile}
          onSaveProfile={saveProfileEverywhere}
          notice={notice}
        />
        {whatsNewOpen && (
          <WhatsNewDialog session={session} selfId={profile.id} onOpenNote={(id) => (list.showNotes(), open.open(id))} onClose={() => setWhatsNewOpen(false)} />
        )}
      </AttachmentProvider>
    </NoteLinkProvider>
  );
}

const NO_DELETED: DeletedNote[] = [];
const noSubscription = () => () => {};
const EMPTY_VIEW = { active: [], trashed: [], tags: [] };
const emptyView = () => EMPTY_VIEW;
const EMPTY_NEWS = { notes: [], unseen: new Set<string>() };
const emptyNews = () => EMPTY_NEWS;
