/** The open note: title, tags, actions, the editor, and the notes that link here. */
import { useCallback, useSyncExternalStore } from 'react';
import type * as Y from 'yjs';
import { noteState, spaceMembers, summarizeNote, type AuthorRef, type NoteMap } from '../../shared/space-model';
import { NoteEditor } from '../editor/NoteEditor';
import { TitleField } from '../editor/TitleField';
import type { PeerSync } from '../sync/peer-sync';
import type { SpaceIndex } from '../sync/space-index';
import { TagEditor } from './TagEditor';

function useNoteFields(note: NoteMap) {
  const subscribe = useCallback(
    (onChange: () => void) => {
      note.observe(onChange);
      return () => note.unobserve(onChange);
    },
    [note],
  );
  const key = useSyncExternalStore(
    subscribe,
    () => `${noteState(note)}|${String(note.get('updatedAt'))}|${String(note.get('updatedBy'))}`,
  );
  return { state: key.split('|')[0] as ReturnType<typeof noteState> };
}

/** The notes that link to this one, kept current as links are added and removed. */
function Backlinks({ index, spaceId, noteId }: { index: SpaceIndex; spaceId: string; noteId: string }) {
  useSyncExternalStore(index.subscribeContent, index.getContentVersion);
  const backlinks = index.backlinks(noteId);
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

function memberName(doc: Y.Doc, id: string, self: AuthorRef): string {
  if (id === self.id) return 'you';
  return spaceMembers(doc).get(id)?.name || 'a member';
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function NoteView({
  doc,
  spaceId,
  noteId,
  note,
  index,
  author,
  spaceTags,
  onLocalEdit,
  sync,
  onDuplicate,
  onTrash,
  onRestore,
  onDeleteForever,
}: {
  doc: Y.Doc;
  spaceId: string;
  noteId: string;
  note: NoteMap;
  index: SpaceIndex;
  author: AuthorRef;
  spaceTags: string[];
  onLocalEdit: () => void;
  sync: PeerSync;
  onDuplicate: () => void;
  onTrash: () => void;
  onRestore: () => void;
  onDeleteForever: () => void;
}) {
  const { state } = useNoteFields(note);
  const summary = summarizeNote(noteId, note);
  const focusBody = () => document.querySelector<HTMLElement>('[aria-label="Note body"]')?.focus();
  return (
    <article className="note">
      {state !== 'active' && (
        <div className="trash-banner" role="note">
          This note is in the trash.
          <button type="button" onClick={onRestore}>
            Restore
          </button>
          <button type="button" className="danger" onClick={onDeleteForever}>
            Delete forever
          </button>
        </div>
      )}
      <TitleField note={note} author={author} onEnter={focusBody} />
      <div className="note-meta">
        <TagEditor note={note} spaceTags={spaceTags} author={author} />
        <div className="note-actions">
          <button type="button" className="link-button" onClick={onDuplicate}>
            Duplicate
          </button>
          {state === 'active' && (
            <button type="button" className="link-button" onClick={onTrash}>
              Move to trash
            </button>
          )}
        </div>
      </div>
      <p className="note-dates muted">
        Created {summary.createdAt ? dateFormat.format(summary.createdAt) : '—'} by {memberName(doc, summary.createdBy, author)} · updated{' '}
        {summary.updatedAt ? dateFormat.format(summary.updatedAt) : '—'} by {memberName(doc, summary.updatedBy, author)}
      </p>
      <NoteEditor doc={doc} noteId={noteId} onLocalEdit={onLocalEdit} sync={sync} />
      <Backlinks index={index} spaceId={spaceId} noteId={noteId} />
    </article>
  );
}
