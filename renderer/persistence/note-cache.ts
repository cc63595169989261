/**
 * The browser's cache of a space's notes (y-indexeddb, one database per document, as it works): the
 * notes opened last, never the whole space. The list of cached notes lives in localStorage, most
 * recent last; past the limit the oldest databases are deleted, except those holding edits the host
 * has not confirmed (they stay until it has).
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** Notes kept in the browser per space. */
export const CACHED_NOTES = 50;

const listKey = (spaceId: string) => `commonplace.cachedNotes.${spaceId}`;
const unsavedKey = (spaceId: string) => `commonplace.unsavedNotes.${spaceId}`;
export const noteDatabase = (spaceId: string, noteId: string) => `commonplace-note-${spaceId}-${noteId}`;
export const catalogDatabase = (spaceId: string) => `commonplace-catalog-${spaceId}`;
/** The database schema 1 kept a whole space in. */
export const legacySpaceDatabase = (spaceId: string) => `commonplace-space-${spaceId}`;

function readList(key: string): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export class NoteCache {
  constructor(
    private readonly spaceId: string,
    private readonly limit = CACHED_NOTES,
  ) {}

  /** Caches a note's document in the browser (and loads what the cache holds into it). */
  attach(noteId: string, doc: Y.Doc, open: ReadonlySet<string>): IndexeddbPersistence {
    const local = new IndexeddbPersistence(noteDatabase(this.spaceId, noteId), doc);
    const list = readList(listKey(this.spaceId)).filter((id) => id !== noteId);
    list.push(noteId);
    const unsaved = new Set(readList(unsavedKey(this.spaceId)));
    while (list.length > this.limit) {
      const oldest = list.findIndex((id) => !open.has(id) && !unsaved.has(id));
      if (oldest === -1) break;
      const [evicted] = list.splice(oldest, 1);
      indexedDB.deleteDatabase(noteDatabase(this.spaceId, evicted!));
    }
    localStorage.setItem(listKey(this.spaceId), JSON.stringify(list));
    return local;
  }

  /** Whether the cache holds this note (its database may have been evicted by another window). */
  has(noteId: string): boolean {
    return readList(listKey(this.spaceId)).includes(noteId);
  }

  /** Marks a note whose edits the host has (saved) or not yet (unsaved): unsaved notes are never evicted. */
  setSaved(noteId: string, saved: boolean): void {
    const unsaved = new Set(readList(unsavedKey(this.spaceId)));
    if (saved === !unsaved.has(noteId)) return;
    if (saved) unsaved.delete(noteId);
    else unsaved.add(noteId);
    localStorage.setItem(unsavedKey(this.spaceId), JSON.stringify([...unsaved]));
  }

  /** Deletes every cached note of the space (the space was removed from this device). */
  forget(): void {
    for (const noteId of readList(listKey(this.spaceId))) indexedDB.deleteDatabase(noteDatabase(this.spaceId, noteId));
    localStorage.removeItem(listKey(this.spaceId));
    localStorage.removeItem(unsavedKey(this.spaceId));
  }
}
