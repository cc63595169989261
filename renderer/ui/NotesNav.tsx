/** The notes of the space: a list (sorted, filtered by tag), search results with highlighted snippets, or the trash. */
import { memo } from 'react';
import type { SearchHit } from '../../shared/search-index';
import type { NoteSort, NoteSummary } from '../../shared/space-model';

export type ListMode = 'notes' | 'trash';

/** One row; memoised so opening another note re-renders two rows, not thousands. */
const NoteLink = memo(function NoteLink({ note, spaceId, current }: { note: { id: string; title: string }; spaceId: string; current: boolean }) {
  const title = note.title || 'Untitled note';
  return (
    <a href={`#/space/${spaceId}/note/${note.id}`} aria-current={current ? 'page' : undefined} className={note.title ? undefined : 'untitled'} title={title}>
      {title}
    </a>
  );
});

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
                <NoteLink note={hit} spaceId={spaceId} current={hit.id === currentNoteId} />
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
          <ul>
            {trashed.map((n) => (
              <li key={n.id}>
                <NoteLink note={n} spaceId={spaceId} current={n.id === currentNoteId} />
              </li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <div className="list-heading">
            <label className="sort">
              <span className="visually-hidden">Sort notes</span>
              <select aria-label="Sort notes" value={sort} onChange={(e) => onSort(e.target.value as NoteSort)}>
                <option value="updated">Last updated</option>
                <option value="title">Title</option>
              </select>
            </label>
            {tagFilter !== null && (
              <button type="button" className="tag-chip active" onClick={onClearTag} aria-label={`Stop filtering by tag ${tagFilter}`}>
                #{tagFilter} ✕
              </button>
            )}
          </div>
          <ul>
            {notes.map((n) => (
              <li key={n.id}>
                <NoteLink note={n} spaceId={spaceId} current={n.id === currentNoteId} />
              </li>
            ))}
          </ul>
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
