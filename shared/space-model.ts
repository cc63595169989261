/**
 * The shape of a space's Y.Doc: one doc per space, holding its metadata and every note.
 * Notes are never removed from the map, only marked, so concurrent edits to a trashed note survive.
 */
import * as Y from 'yjs';
import { newId } from './ids';

export interface AuthorRef {
  id: string;
  name: string;
}

/** A note's fields as the UI reads them (the body stays a Y.XmlText bound to the editor). */
export interface NoteSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  trashedAt: number | null;
}

export type NoteMap = Y.Map<unknown>;

export function spaceMeta(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta');
}

export function spaceNotes(doc: Y.Doc): Y.Map<NoteMap> {
  return doc.getMap('notes');
}

export function spaceName(doc: Y.Doc): string {
  const name = spaceMeta(doc).get('name');
  return typeof name === 'string' ? name : '';
}

/** Sets the space's name and creation time unless another replica already did. */
export function initSpace(doc: Y.Doc, name: string, now = Date.now()): void {
  const meta = spaceMeta(doc);
  doc.transact(() => {
    if (!meta.has('name')) meta.set('name', name);
    if (!meta.has('createdAt')) meta.set('createdAt', now);
  });
}

export function getNote(doc: Y.Doc, noteId: string): NoteMap | undefined {
  return spaceNotes(doc).get(noteId);
}

export function noteTitle(note: NoteMap): Y.Text {
  const title = note.get('title');
  if (!(title instanceof Y.Text)) throw new Error('note has no title text');
  return title;
}

export function noteBody(note: NoteMap): Y.XmlText {
  const body = note.get('body');
  if (!(body instanceof Y.XmlText)) throw new Error('note has no body');
  return body;
}

/** The body of a note, for editor bindings that resolve their root from the doc. */
export function noteBodyIn(doc: Y.Doc, noteId: string): Y.XmlText {
  const note = getNote(doc, noteId);
  if (!note) throw new Error(`no note ${noteId}`);
  return noteBody(note);
}

/** Adds an empty note (title and body shared types, timestamps, author) and returns its id. */
export function createNote(doc: Y.Doc, options: { title?: string; author: AuthorRef; now?: number; id?: string }): string {
  const id = options.id ?? newId();
  const now = options.now ?? Date.now();
  doc.transact(() => {
    const note = new Y.Map<unknown>();
    spaceNotes(doc).set(id, note);
    note.set('title', new Y.Text(options.title ?? ''));
    note.set('body', new Y.XmlText());
    note.set('createdAt', now);
    note.set('createdBy', options.author.id);
    note.set('updatedAt', now);
    note.set('updatedBy', options.author.id);
    note.set('trashedAt', null);
  });
  return id;
}

/** Records who changed a note and when; call it from edits made on this device. */
export function touchNote(note: NoteMap, author: AuthorRef, now = Date.now()): void {
  note.set('updatedAt', now);
  note.set('updatedBy', author.id);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function summarizeNote(id: string, note: NoteMap): NoteSummary {
  const title = note.get('title');
  const trashedAt = note.get('trashedAt');
  return {
    id,
    title: title instanceof Y.Text ? title.toString() : '',
    createdAt: numberOr(note.get('createdAt'), 0),
    updatedAt: numberOr(note.get('updatedAt'), 0),
    trashedAt: typeof trashedAt === 'number' ? trashedAt : null,
  };
}

/** Every note that is not in the trash, most recently updated first. */
export function listNotes(doc: Y.Doc): NoteSummary[] {
  const notes: NoteSummary[] = [];
  spaceNotes(doc).forEach((note, id) => {
    if (note instanceof Y.Map && note.get('body') instanceof Y.XmlText) {
      const summary = summarizeNote(id, note);
      if (summary.trashedAt === null) notes.push(summary);
    }
  });
  return notes.sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
}

/** Applies a minimal splice so concurrent edits to other parts of the text survive. */
export function replaceText(text: Y.Text, next: string): void {
  const prev = text.toString();
  if (prev === next) return;
  let start = 0;
  while (start < prev.length && start < next.length && prev[start] === next[start]) start++;
  let end = 0;
  while (end < prev.length - start && end < next.length - start && prev[prev.length - 1 - end] === next[next.length - 1 - end]) end++;
  const splice = () => {
    if (prev.length - start - end > 0) text.delete(start, prev.length - start - end);
    if (next.length - start - end > 0) text.insert(start, next.slice(start, next.length - end));
  };
  if (text.doc) text.doc.transact(splice);
  else splice();
}
