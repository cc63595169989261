/**
 * The notes of the space: a list (sorted, filtered by tag), search results with highlighted snippets,
 * or the trash. Lists draw only the rows in view, so a space of 20,000 notes costs what 30 rows cost.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useRef } from 'react';
import type { DeletedNote, NoteSort, NoteSummary } from '../../shared/catalog';
import type { ListMode } from '../notes/use-note-list';
import type { SearchHit } from '../../shared/search-index';

/** Height of a row in the list (CSS keeps rows at this height). */
const ROW_PX = 30;

/** One row; memoised so opening another note re-renders two rows, not thousands. */
const NoteLink = memo(function NoteLink({
  note,
  spaceId,
  current,
  changed = false,
  showFolder = false,
}: {
  note: { id: string; title: string; folder?: string };
  spaceId: string;
  current: boolean;
  changed?: boolean;
  /** Shows the folder the note came from before its title (the list sorted by folder). */
  showFolder?: boolean;
}) {
  const title = note.title || 'Untitled note';
  const where = note.folder ? `${note.folder}/${title}` : title;
  const className = [note.title ? '' : 'untitled', changed ? 'changed' : ''].join(' ').trim() || undefined;
  return (
    <a
      href={`#/space/${spaceId}/note/${note.id}`}
      aria-current={current ? 'page' : undefined}
      aria-label={changed ? `${title} (changed by others since you last looked)` : undefined}
      className={className}
      title={changed ? `${where}: changed by others since you last looked` : where}
    >
      {changed && <span className="changed-dot" aria-hidden="true" />}
      {showFolder && note.folder && <span className="note-folder">{note.folder}/</span>}
      {title}
    </a>
  );
});

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A list of notes that renders the rows in view (and a few around them) inside its own scroll area. */
function NoteRows({ notes, spaceId, currentNoteId, unseen, byFolder }: { notes: NoteSummary[]; spaceId: string; currentNoteId: string | null; unseen: ReadonlySet<string>; byFolder: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer's functions change identity by design
  const rows = useVirtualizer({ count: notes.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_PX, overscan: 12, initialRect: { width: 240, height: 600 } });
  return (
    <div className="note-rows" ref={scroller}>
      <ul style={{ height: rows.getTotalSize(), position: 'relative' }}>
        {rows.getVirtualItems().map((row) => {
          const note = notes[row.index]!;
          return (
            <li key={note.id} className="note-row" style={{ transform: `translateY(${row.start}px)` }}>
              <NoteLink note={note} spaceId={spaceId} current={note.id === currentNoteId} changed={unseen.has(note.id)} showFolder={byFolder} />
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function NotesNav({
  spaceId,
  notes,
  trashed,
  hits,
  query,
  currentNoteId,
  sort,
  onSort,
  tagFilter,
  onClearTag,
  mode,
  onMode,
  onEmptyTrash,
  unseen,
  recentlyDeleted,
  onRecover,
}: {
  spaceId: string;
  notes: NoteSummary[];
  trashed: NoteSummary[];
  hits: SearchHit[] | null;
  query: string;
  currentNoteId: string | null;
  sort: NoteSort;
  onSort: (sort: NoteSort) => void;
  tagFilter: string | null;
  onClearTag: () => void;
  mode: ListMode;
  onMode: (mode: ListMode) => void;
  onEmptyTrash: () => void;
  /** Notes others changed since the member last looked (marked in the list). */
  unseen: ReadonlySet<string>;
  /** Notes deleted forever in the last 30 days (shown under the trash). */
  recentlyDeleted: DeletedNote[];
  onRecover: (noteId: string) => void;
}) {
  return (
    <nav aria-label="Notes" className="note-list">
      {hits !== null ? (
        <>
          <div className="list-heading">
            {hits.length} {hits.length === 1 ? 'result' : 'results'} for “{query}”
          </div>
          <ul>
            {hits.map((hit) => (
              <li key={hit.id} className="search-hit">
                <NoteLink note={hit} spaceId={spaceId} current={hit.id === currentNoteId} changed={unseen.has(hit.id)} />
                <p className="snippet">
                  {hit.snippet.map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
                </p>
              </li>
            ))}
          </ul>
        </>
      ) : mode === 'trash' ? (
        <>
          <div className="list-heading">
            <button type="button" className="link-button" onClick={() => onMode('notes')}>
              ← Notes
            </button>
            <span>Trash</span>
            <button type="button" className="link-button danger" disabled={trashed.length === 0} onClick={onEmptyTrash}>
              Empty trash
            </button>
          </div>
          {trashed.length === 0 && <p className="muted">The trash is empty.</p>}
          <NoteRows notes={trashed} spaceId={spaceId} currentNoteId={currentNoteId} unseen={unseen} byFolder={false} />
          {recentlyDeleted.length > 0 && (
            <section aria-label="Recently deleted" className="recently-deleted">
              <div className="list-heading">Recently deleted</div>
              <p className="muted">Deleted forever, and still on this device for 30 days.</p>
              <ul>
                {recentlyDeleted.map((note) => (
                  <li key={note.id} className="deleted-row">
                    <span title={note.title || 'Untitled note'}>{note.title || 'Untitled note'}</span>
                    <span className="muted">{dayFormat.format(note.deletedAt)}</span>
                    <button type="button" className="link-button" aria-label={`Recover ${note.title || 'Untitled note'}`} onClick={() => onRecover(note.id)}>
                      Recover
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      ) : (
        <>
          <div className="list-heading">
            <label className="sort">
              <span className="visually-hidden">Sort notes</span>
              <select aria-label="Sort notes" value={sort} onChange={(e) => onSort(e.target.value as NoteSort)}>
                <option value="updated">Last updated</option>
                <option value="title">Title</option>
                <option value="folder">Folder</option>
              </select>
            </label>
            {tagFilter !== null && (
              <button type="button" className="tag-chip active" onClick={onClearTag} aria-label={`Stop filtering by tag ${tagFilter}`}>
                #{tagFilter} ✕
              </button>
            )}
          </div>
          <NoteRows notes={notes} spaceId={spaceId} currentNoteId={currentNoteId} unseen={unseen} byFolder={sort === 'folder'} />
          <button type="button" className="link-button trash-toggle" onClick={() => onMode('trash')}>
            Trash ({trashed.length})
          </button>
        </>
      )}
    </nav>
  );
}

export function TagsNav({ tags, active, onSelect }: { tags: Array<{ tag: string; count: number }>; active: string | null; onSelect: (tag: string | null) => void }) {
  return (
    <nav aria-label="Tags" className="tags-nav">
      <div className="list-heading">Tags</div>
      {tags.length === 0 && <p className="muted">No tags yet.</p>}
      <ul>
        {tags.map(({ tag, count }) => (
          <li key={tag}>
            <button type="button" className="tag-row" aria-pressed={active === tag} onClick={() => onSelect(active === tag ? null : tag)} title={tag}>
              <span className="tag-name">#{tag}</span>
              <span className="count">{count}</span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
