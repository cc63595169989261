/** Marks a note updated (when, by whom) as its member types, at most once every few seconds. */
import { useCallback, useRef } from 'react';
import { touchEntry, type AuthorRef, type NoteEntry } from '../../shared/catalog';

/** Touching a note's "updated" fields on every keystroke would flood the catalog; once in a while is enough. */
const TOUCH_INTERVAL_MS = 3000;

export function useTouchOnEdit(noteId: string | null, entry: NoteEntry | undefined, author: AuthorRef | null): () => void {
  const lastTouch = useRef(new Map<string, number>());
  return useCallback(() => {
    if (!entry || !noteId || !author) return;
    const now = Date.now();
    if (now - (lastTouch.current.get(noteId) ?? 0) < TOUCH_INTERVAL_MS) return;
    lastTouch.current.set(noteId, now);
    touchEntry(entry, author, now);
  }, [entry, noteId, author]);
}
