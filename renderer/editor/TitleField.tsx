/** A note's title: a plain input; the title is one value per note, so concurrent renames settle on one. */
import { useCallback, useSyncExternalStore } from 'react';
import { entryTitle, renameEntry, type AuthorRef, type NoteEntry } from '../../shared/catalog';

export function TitleField({ entry, author, readOnly = false, onEnter }: { entry: NoteEntry; author: AuthorRef; readOnly?: boolean; onEnter?: () => void }) {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const observer = (event: { keysChanged: Set<string> }) => event.keysChanged.has('title') && onChange();
      entry.observe(observer);
      return () => entry.unobserve(observer);
    },
    [entry],
  );
  const value = useSyncExternalStore(subscribe, () => entryTitle(entry));
  return (
    <input
      className="note-title"
      aria-label="Note title"
      placeholder="Untitled note"
      value={value}
      readOnly={readOnly}
      onChange={(event) => renameEntry(entry, event.target.value, author)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          onEnter?.();
        }
      }}
    />
  );
}
