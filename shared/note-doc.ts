/**
 * A note's body is a Y.Doc of its own (guid = note id), so a space costs what its open notes cost.
 * Its text is the root XmlText `root` (@lexical/yjs's own name for a document's root). Bodies migrated
 * from a space written before schema 2 keep their original Yjs items, and with them their original
 * place: `notes` → note id → `body`, so two members who migrated the same space on their own devices
 * hold the same items and merge without duplicating anything.
 */
import * as Y from 'yjs';

/** The catalog's document id in a space's store; note ids are 8 or more characters, so none is this. */
export const CATALOG_DOC_ID = 'catalog';

/** Note ids as they appear in documents, stores and messages (random url-safe strings). */
export const NOTE_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export function isNoteId(value: unknown): value is string {
  return typeof value === 'string' && NOTE_ID_PATTERN.test(value);
}

export function newNoteDoc(noteId: string): Y.Doc {
  return new Y.Doc({ guid: noteId });
}

/** The migrated body at its schema-1 place, if this document holds one. */
function legacyBody(doc: Y.Doc, noteId: string): Y.XmlText | null {
  if (!doc.share.has('notes')) return null;
  const entry = doc.getMap('notes').get(noteId);
  const body = entry instanceof Y.Map ? entry.get('body') : undefined;
  return body instanceof Y.XmlText ? body : null;
}

/** The XmlText that holds a note's body in its document. */
export function noteBodyOf(doc: Y.Doc, noteId: string): Y.XmlText {
  return legacyBody(doc, noteId) ?? doc.get('root', Y.XmlText);
}

/**
 * Whether the document holds a body yet. Every note gets its first paragraph from the device that
 * creates it, so an empty document is one whose content has not arrived: it is shown, not edited.
 */
export function hasBody(doc: Y.Doc, noteId: string): boolean {
  return noteBodyOf(doc, noteId).length > 0;
}
