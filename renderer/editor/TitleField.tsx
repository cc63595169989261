/** A note's title: a plain input; the title is one value per note, so concurrent renames settle on one. */
import { useCallback, useSyncExternalStore } from 'react';
import { noteTitle, renameNote, type AuthorRef, type NoteMap } from '../../shared/space-model';

export function TitleField({ note, author, onEnter }: { note: NoteMap; author: AuthorRef; onEnter?: () => void }) {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const observer = (event: { keysChanged: Set<string> }) => event.keysChanged.has('title') && onChange();
      note.observe(observer);
      return () => note.unobserve(observer);
    },
    [note],
  );
  const value = useSyncExternalStore(subscribe, () => noteTitle(note));
  return (
    <input
      className="note-title"
      aria-label="Note title"
      placeholder="Untitled note"
      value={value}
      onChange={(event) => renameNote(note, event.target.value, author)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          onEnter?.();
        }
      }}
    />
  );
}
