/** The open note: title, tags, actions, the editor, and the notes that link here. */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { catalogMembers, entryState, summarizeEntry, type AuthorRef, type NoteEntry, type NoteState, type NoteSummary } from '../../shared/catalog';
import { NoteEditor } from '../editor/NoteEditor';
import { TitleField } from '../editor/TitleField';
import { useBacklinks } from '../search/use-search';
import type { NoteLoadState, OpenNote } from '../spaces/note-docs';
import type { SpaceSession } from '../spaces/space-session';
import { TagEditor } from './TagEditor';
import type { NoteNews, ShownVersion } from '../../shared/history/history-types';
import { errorMessage } from '../../shared/errors';
import { applyMemberEdit } from '../editor/tracked-edits';
import { HistoryPanel, useVersions } from './history/HistoryPanel';
import { UndoMemberDialog } from './history/UndoMemberDialog';
import { VersionPane } from './history/VersionPane';
import { SinceLastSeen } from './history/WhatsNew';
import { memberLabel, timeFormat } from './member-names';
import { CommentsPanel, useThreads } from './comments/CommentsPanel';
import type { CommentDraft, CommentsEditorApi } from '../editor/CommentsPlugin';

/** What others changed in the note since the member last looked (read when it opens; then it counts as seen). */
function useSinceLastSeen(session: SpaceSession, noteId: string): [NoteNews | null, () => void] {
  const [news, setNews] = useState<{ noteId: string; news: NoteNews | null }>({ noteId, news: null });
  useEffect(() => {
    let cancelled = false;
    void session.news.open(noteId).then((found) => !cancelled && setNews({ noteId, news: found ?? null }));
    return () => {
      cancelled = true;
      session.news.close(noteId);
    };
  }, [session, noteId]);
  return [news.noteId === noteId ? news.news : null, () => setNews({ noteId, news: null })];
}

/**
 * The entry's state and times, re-read when the entry changes (it holds no body: typing never reaches
 * it); from the host's list row while the catalog is not decoded yet.
 */
function useEntry(entry: NoteEntry | undefined, summary: NoteSummary, listedState: NoteState) {
  const subscribe = useCallback(
    (onChange: () => void) => {
      entry?.observeDeep(onChange);
      return () => entry?.unobserveDeep(onChange);
    },
    [entry],
  );
  const key = useSyncExternalStore(subscribe, () => {
    const s = entry ? summarizeEntry('', entry) : summary;
    return `${entry ? entryState(entry) : listedState}|${s.createdAt}|${s.createdBy}|${s.updatedAt}|${s.updatedBy}`;
  });
  const [state, createdAt, createdBy, updatedAt, updatedBy] = key.split('|') as [ReturnType<typeof entryState>, string, string, string, string];
  return { state, createdAt: Number(createdAt), createdBy, updatedAt: Number(updatedAt), updatedBy };
}

/** Holds a note's document open while the view shows it, and asks peers for it first. */
function useOpenNote(session: SpaceSession, noteId: string): OpenNote {
  // Loading does not hold the note, so a render React throws away leaves nothing open for good.
  const note = useMemo(() => session.notes.load(noteId), [session, noteId]);
  useEffect(() => {
    session.notes.retain(noteId);
    session.peers.engine.prioritize([noteId]);
    return () => session.notes.release(noteId);
  }, [session, noteId, note]);
  return note;
}

function useLoadState(note: OpenNote): NoteLoadState {
  const subscribe = useCallback(
    (onChange: () => void) => {
      note.on('change', onChange);
      return () => note.off('change', onChange);
    },
    [note],
  );
  return useSyncExternalStore(subscribe, () => note.state);
}

/** The notes that link to this one, kept current as links are added and removed. */
function Backlinks({ session, spaceId, noteId }: { session: SpaceSession; spaceId: string; noteId: string }) {
  const ids = useBacklinks(session.search, noteId);
  const view = session.view;
  useSyncExternalStore(view.subscribe, view.getView);
  const backlinks = (ids ?? [])
    .map((id) => view.get(id))
    .filter((n) => n?.state === 'active')
    .map((n) => n!.summary)
    .sort((a, b) => a.title.localeCompare(b.title));
  return (
    <section aria-label="Backlinks" className="backlinks">
      <h2>Backlinks</h2>
      {backlinks.length === 0 ? (
        <p className="muted">No note links here yet. Type [[ in another note to link to this one.</p>
      ) : (
        <ul>
          {backlinks.map((b) => (
            <li key={b.id}>
              <a href={`#/space/${spaceId}/note/${b.id}`}>{b.title || 'Untitled note'}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function memberName(session: SpaceSession, id: string, self: AuthorRef): string {
  if (id === self.id) return 'you';
  return catalogMembers(session.catalog).get(id)?.name || 'a member';
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function NoteView({
  session,
  noteId,
  entry,
  summary,
  listedState,
  author,
  spaceTags,
  onLocalEdit,
  onDuplicate,
  onTrash,
  onRestore,
  onDeleteForever,
  onNotice,
}: {
  session: SpaceSession;
  noteId: string;
  /** The note's catalog entry, once the catalog is decoded. */
  entry: NoteEntry | undefined;
  /** The note as the list shows it (the host's row until the catalog is decoded). */
  summary: NoteSummary;
  listedState: NoteState;
  author: AuthorRef;
  spaceTags: string[];
  onLocalEdit: () => void;
  onDuplicate: () => void;
  onTrash: () => void;
  onRestore: () => void;
  onDeleteForever: () => void;
  /** Shows a message to the member (a restore done, an undo of a member's changes). */
  onNotice: (message: string) => void;
}) {
  const { state, createdAt, createdBy, updatedAt, updatedBy } = useEntry(entry, summary, listedState);
  const note = useOpenNote(session, noteId);
  const load = useLoadState(note);
  const [provider] = useState(() => session.peers.noteProvider(noteId));
  const member = useCallback(() => session.peers.member, [session]);
  const active = state === 'active';
  /** The panel beside the note: one at a time. */
  const [panel, setPanel] = useState<'history' | 'comments' | null>(null);
  const historyOpen = panel === 'history';
  const commentsOpen = panel === 'comments';
  const [version, setVersion] = useState<number | null>(null);
  const [draft, setDraft] = useState<CommentDraft | null>(null);
  const [marks, setMarks] = useState<ReadonlySet<string>>(new Set());
  const threads = useThreads(note.doc);
  const openThreads = threads.filter((t) => !t.resolved).length;
  const onCommentDraft = useCallback(
    (next: CommentDraft | null) => {
      if (!next) {
        onNotice('Select the passage to comment on, then press Comment.');
        return;
      }
      setDraft(next);
      setPanel('comments');
      setVersion(null);
    },
    [onNotice],
  );
  const me = useCallback(() => ({ id: author.id, ...session.peers.member }), [author.id, session]);
  const [commentsApi, setCommentsApi] = useState<CommentsEditorApi | null>(null);
  const [focusedThread, setFocusedThread] = useState<string | null>(null);
  const onCommentMarkClick = useCallback((threadIds: string[]) => {
    setFocusedThread(threadIds[threadIds.length - 1] ?? null);
    setPanel('comments');
  }, []);
  const [undoMember, setUndoMember] = useState<{ memberId: string; since: number } | null>(null);
  const [sinceSeen, dismissSinceSeen] = useSinceLastSeen(session, noteId);
  const { versions, error: historyError } = useVersions(session, noteId, historyOpen);
  const latest = versions?.[0]?.n ?? null;
  const restore = async (shown: ShownVersion) => {
    try {
      const { update } = await session.host.call('note.restore', { spaceId: session.spaceId, noteId, n: shown.version.n });
      if (!update) {
        onNotice('This version cannot be restored: its history is damaged.');
        return;
      }
      applyMemberEdit(note.doc, update);
      setVersion(null);
      onNotice(`Restored the version of ${timeFormat.format(shown.version.at)}. Undo (Ctrl+Z) takes it back; history keeps both.`);
    } catch (error) {
      onNotice(`Could not restore the version: ${errorMessage(error)}`);
    }
  };
  const focusBody = () => document.querySelector<HTMLElement>('[aria-label="Note body"]')?.focus();
  return (
    <article className={panel ? 'note with-history' : 'note'}>
      {!active && (
        <div className="trash-banner" role="note">
          This note is in the trash: restore it to edit it.
          <button type="button" onClick={onRestore}>
            Restore
          </button>
          <button type="button" className="danger" onClick={onDeleteForever}>
            Delete forever
          </button>
        </div>
      )}
      {entry ? (
        <TitleField entry={entry} author={author} readOnly={!active} onEnter={focusBody} />
      ) : (
        <input className="note-title" aria-label="Note title" placeholder="Untitled note" value={summary.title} readOnly />
      )}
      <div className="note-meta">
        {entry ? (
          <TagEditor entry={entry} spaceTags={spaceTags} author={author} readOnly={!active} />
        ) : (
          <div className="tag-editor">
            {summary.tags.map((tag) => (
              <span key={tag} className="tag-chip" title={tag}>
                <span className="tag-name">#{tag}</span>
              </span>
            ))}
          </div>
        )}
        <div className="note-actions">
          <button
            type="button"
            className="link-button"
            aria-pressed={historyOpen}
            onClick={() => {
              setPanel((open) => (open === 'history' ? null : 'history'));
              setVersion(null);
            }}
          >
            History
          </button>
          <button
            type="button"
            className="link-button"
            aria-pressed={commentsOpen}
            onClick={() => {
              setPanel((open) => (open === 'comments' ? null : 'comments'));
              setVersion(null);
            }}
          >
            Comments{openThreads > 0 ? ` (${openThreads})` : ''}
          </button>
          <button type="button" className="link-button" onClick={onDuplicate} disabled={load !== 'ready'}>
            Duplicate
          </button>
          {active && (
            <button type="button" className="link-button" onClick={onTrash}>
              Move to trash
            </button>
          )}
        </div>
      </div>
      <p className="note-dates muted">
        Created {createdAt ? dateFormat.format(createdAt) : '—'} by {memberName(session, createdBy, author)} · updated{' '}
        {updatedAt ? dateFormat.format(updatedAt) : '—'} by {memberName(session, updatedBy, author)}
      </p>
      {sinceSeen && version === null && <SinceLastSeen session={session} news={sinceSeen} selfId={author.id} onDismiss={dismissSinceSeen} />}
      {version !== null ? (
        <VersionPane
          session={session}
          noteId={noteId}
          n={version}
          selfId={author.id}
          canRestore={active && load === 'ready'}
          isCurrent={version === latest}
          onRestore={restore}
          onUndoMember={(memberId, since) => setUndoMember({ memberId, since })}
          onBack={() => setVersion(null)}
        />
      ) : load === 'ready' ? (
        <NoteEditor
          doc={note.doc}
          noteId={noteId}
          editable={active}
          onLocalEdit={onLocalEdit}
          provider={provider}
          member={member}
          authorId={author.id}
          onCommentDraft={onCommentDraft}
          onCommentMarks={setMarks}
          onCommentMarkClick={onCommentMarkClick}
          onCommentsApi={setCommentsApi}
        />
      ) : load === 'error' ? (
        <p className="note-problem" role="alert">
          This note could not be opened: {note.error ?? 'its stored copy is unreadable'}. The rest of the space is unaffected.
        </p>
      ) : (
        <p className="note-waiting muted" role="status">
          {load === 'waiting' ? 'This note has not reached this device yet: it arrives from the members who have it.' : 'Opening the note…'}
        </p>
      )}
      <Backlinks session={session} spaceId={session.spaceId} noteId={noteId} />
      {historyOpen && (
        <HistoryPanel
          session={session}
          versions={versions}
          error={historyError}
          selfId={author.id}
          selected={version}
          onSelect={setVersion}
          onClose={() => (setPanel(null), setVersion(null))}
        />
      )}
      {commentsOpen && (
        <CommentsPanel
          doc={note.doc}
          threads={threads}
          marks={marks}
          draft={draft}
          editable={active && load === 'ready'}
          me={me}
          focused={focusedThread}
          onReveal={(threadId) => {
            setFocusedThread(threadId);
            commentsApi?.reveal(threadId);
          }}
          onDraftDone={() => setDraft(null)}
          onClose={() => (setPanel(null), setDraft(null))}
        />
      )}
      {undoMember && (
        <UndoMemberDialog
          session={session}
          memberId={undoMember.memberId}
          memberName={memberLabel(session.catalog, undoMember.memberId, author.id)}
          since={undoMember.since}
          onClose={() => setUndoMember(null)}
          onDone={onNotice}
        />
      )}
    </article>
  );
}
