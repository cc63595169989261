/** A note's tags: chips to remove, and a field that adds a tag with suggestions from the space's tags. */
import { useCallback, useState, useSyncExternalStore } from 'react';
import { addTag, entryTags, removeTag, touchEntry, type AuthorRef, type NoteEntry } from '../../shared/catalog';

const MAX_SUGGESTIONS = 8;

export function TagEditor({ entry, spaceTags, author, readOnly = false }: { entry: NoteEntry; spaceTags: string[]; author: AuthorRef; readOnly?: boolean }) {
  const [draft, setDraft] = useState('');
  const [highlighted, setHighlighted] = useState(-1);
  // Stable per note; the entry holds no body, so typing never reaches this.
  const subscribe = useCallback(
    (onChange: () => void) => {
      entry.observeDeep(onChange);
      return () => entry.unobserveDeep(onChange);
    },
    [entry],
  );
  const tags = useSyncExternalStore(subscribe, () => entryTags(entry).join('\u0000'))
    .split('\u0000')
    .filter(Boolean);
  const edit = (fn: () => void) =>
    entry.doc!.transact(() => {
      fn();
      touchEntry(entry, author);
    });
  
  const needle = draft.trim().replace(/^#/, '').toLowerCase();
  const suggestions = needle
    ? spaceTags.filter((t) => !tags.includes(t) && t.toLowerCase().includes(needle)).slice(0, MAX_SUGGESTIONS)
    : [];
  const add = (tag: string) => {
    if (tag.trim()) edit(() => addTag(entry, tag));
    setDraft('');
    setHighlighted(-1);
  };
  return (
    <div className="tag-editor">
      {tags.map((tag) => (
        <span key={tag} className="tag-chip" title={tag}>
          <span className="tag-name">#{tag}</span>
          <button type="button" aria-label={`Remove tag ${tag}`} disabled={readOnly} onClick={() => edit(() => removeTag(entry, tag))}>
            ✕
          </button>
        </span>
      ))}
      <div className="tag-input">
        <input
          aria-label="Add tag"
          disabled={readOnly}
          placeholder="Add tag"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            setHighlighted(-1);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') setHighlighted((h) => Math.min(h + 1, suggestions.length - 1));
            else if (e.key === 'ArrowUp') setHighlighted((h) => Math.max(h - 1, -1));
            else if (e.key === 'Enter') add(suggestions[highlighted] ?? draft);
            else if (e.key === 'Escape') setDraft('');
            else return;
            e.preventDefault();
          }}
        />
        {suggestions.length > 0 && (
          <ul className="tag-suggestions" role="listbox" aria-label="Tag suggestions">
            {suggestions.map((tag, i) => (
              <li key={tag} role="option" aria-selected={i === highlighted} onMouseDown={(e) => e.preventDefault()} onClick={() => add(tag)}>
                #{tag}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
