/** A note's tags: chips to remove, and a field that adds a tag with suggestions from the space's tags. */
import { useCallback, useState, useSyncExternalStore } from 'react';
import type * as Y from 'yjs';
import { addTag, noteTags, removeTag, touchNote, type AuthorRef, type NoteMap } from '../../shared/space-model';

const MAX_SUGGESTIONS = 8;

export function TagEditor({ note, spaceTags, author }: { note: NoteMap; spaceTags: string[]; author: AuthorRef }) {
  const [draft, setDraft] = useState('');
  const [highlighted, setHighlighted] = useState(-1);
  // Stable per note, and blind to typing in the body (which is nested in the same note map).
  const subscribe = useCallback(
    (onChange: () => void) => {
      const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
        if (events.some((e) => e.path[0] !== 'body' && e.target !== note.get('body'))) onChange();
      };
      note.observeDeep(observer);
      return () => note.unobserveDeep(observer);
    },
    [note],
  );
  const tags = useSyncExternalStore(subscribe, () => noteTags(note).join('\u0000'))
    .split('\u0000')
    .filter(Boolean);
  const edit = (fn: () => void) =>
    note.doc!.transact(() => {
      fn();
      touchNote(note, author);
    });
  const needle = draft.trim().replace(/^#/, '').toLowerCase();
  const suggestions = needle
    ? spaceTags.filter((t) => !tags.includes(t) && t.toLowerCase().includes(needle)).slice(0, MAX_SUGGESTIONS)
    : [];
  const add = (tag: string) => {
    if (tag.trim()) edit(() => addTag(note, tag));
    setDraft('');
    setHighlighted(-1);
  };
  return (
    <div className="tag-editor">
      {tags.map((tag) => (
        <span key={tag} className="tag-chip" title={tag}>
          <span className="tag-name">#{tag}</span>
          <button type="button" aria-label={`Remove tag ${tag}`} onClick={() => edit(() => removeTag(note, tag))}>
            ✕
          </button>
        </span>
      ))}
      <div className="tag-input">
        <input
          aria-label="Add tag"
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
