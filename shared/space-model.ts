/**
 * The shape of a space's Y.Doc: one doc per space, holding its metadata, its members and every note.
 *
 * A note is a Y.Map: `title` (string, last writer wins, so concurrent renames end with one title),
 * `body` (Y.XmlText bound to Lexical), `tags` (Y.Map used as a set), `authors` (Y.Map used as a set),
 * timestamps, and trash state. Notes are never removed from the map: "deleted forever" is a marker that
 * hides a note only while no edit unseen by the deleting replica exists, so concurrent edits survive.
 */
import * as Y from 'yjs';
import { newId } from './ids';

export interface AuthorRef {
  id: string;
  name: string;
  color?: string;
}

/** A note's fields as lists and search read them (the body stays a Y.XmlText bound to the editor). */
export interface NoteSummary {
  id: string;
  title: string;
  tags: string[];
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  trashedAt: number | null;
}

export type NoteMap = Y.Map<unknown>;
export type NoteState = 'active' | 'trashed' | 'deleted';

export function spaceMeta(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta');
}

export function spaceNotes(doc: Y.Doc): Y.Map<NoteMap> {
  return doc.getMap('notes');
}

/** Profiles of members seen in this space (id → {name, color}), so authors show by name. */
export function spaceMembers(doc: Y.Doc): Y.Map<{ name: string; color: string }> {
  return doc.getMap('members');
}

export function spaceName(doc: Y.Doc): string {
  const name = spaceMeta(doc).get('name');
  return typeof name === 'string' ? name : '';
}

export function renameSpace(doc: Y.Doc, name: string): void {
  spaceMeta(doc).set('name', name);
}

/** Sets the space's name and creation time unless another replica already did. */
export function initSpace(doc: Y.Doc, name: string, now = Date.now()): void {
  const meta = spaceMeta(doc);
  doc.transact(() => {
    if (!meta.has('name')) meta.set('name', name);
    if (!meta.has('createdAt')) meta.set('createdAt', now);
  });
}

/** Records (or updates) a member's display name and colour in the space. */
export function recordMember(doc: Y.Doc, member: AuthorRef): void {
  const members = spaceMembers(doc);
  const current = members.get(member.id);
  const color = member.color ?? current?.color ?? '#6b665d';
  if (!current || current.name !== member.name || current.color !== color) members.set(member.id, { name: member.name, color });
}

export function getNote(doc: Y.Doc, noteId: string): NoteMap | undefined {
  const note = spaceNotes(doc).get(noteId);
  return note instanceof Y.Map && note.get('body') instanceof Y.XmlText ? note : undefined;
}

export function noteTitle(note: NoteMap): string {
  const title = note.get('title');
  return typeof title === 'string' ? title : '';
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

function setOf(note: NoteMap, key: 'tags' | 'authors'): Y.Map<true> {
  const set = note.get(key);
  if (set instanceof Y.Map) return set as Y.Map<true>;
  const created = new Y.Map<true>();
  note.set(key, created);
  return created;
}

/** Adds an empty note and returns its id. */
export function createNote(
  doc: Y.Doc,
  options: { title?: string; author: AuthorRef; now?: number; id?: string; tags?: string[] },
): string {
  const id = options.id ?? newId();
  const now = options.now ?? Date.now();
  doc.transact(() => {
    const note = new Y.Map<unknown>();
    spaceNotes(doc).set(id, note);
    note.set('title', options.title ?? '');
    note.set('body', new Y.XmlText());
    note.set('tags', new Y.Map());
    note.set('authors', new Y.Map());
    note.set('createdAt', now);
    note.set('createdBy', options.author.id);
    note.set('trashedAt', null);
    note.set('deletedAt', null);
    for (const tag of options.tags ?? []) addTag(note, tag);
    touchNote(note, options.author, now);
    if (options.author.name) recordMember(doc, options.author);
  });
  return id;
}

/** Records who changed a note and when; call it for edits made on this device. */
export function touchNote(note: NoteMap, author: AuthorRef, now = Date.now()): void {
  note.doc!.transact(() => {
    note.set('updatedAt', now);
    note.set('updatedBy', author.id);
    if (!setOf(note, 'authors').has(author.id)) setOf(note, 'authors').set(author.id, true);
  });
}

export function renameNote(note: NoteMap, title: string, author: AuthorRef): void {
  if (noteTitle(note) === title) return;
  note.doc!.transact(() => {
    note.set('title', title);
    touchNote(note, author);
  });
}

/** Tags are stored whole (any Unicode, any length); only surrounding space and a leading # are dropped. */
export function normalizeTag(tag: string): string {
  return tag.trim().replace(/^#+/, '').trim();
}

export function noteTags(note: NoteMap): string[] {
  const tags = note.get('tags');
  return tags instanceof Y.Map ? [...tags.keys()].sort((a, b) => a.localeCompare(b)) : [];
}

export function addTag(note: NoteMap, tag: string): void {
  const clean = normalizeTag(tag);
  if (clean) setOf(note, 'tags').set(clean, true);
}

export function removeTag(note: NoteMap, tag: string): void {
  const tags = note.get('tags');
  if (tags instanceof Y.Map) tags.delete(tag);
}

export function noteAuthors(note: NoteMap): string[] {
  const authors = note.get('authors');
  return authors instanceof Y.Map ? [...authors.keys()].sort() : [];
}

export function trashNote(note: NoteMap, now = Date.now()): void {
  note.set('trashedAt', now);
}

/** Takes a note out of the trash (also one that was deleted forever, while it still exists anywhere). */
export function restoreNote(note: NoteMap): void {
  note.doc!.transact(() => {
    note.set('trashedAt', null);
    note.set('deletedAt', null);
    note.delete('deletedSeen');
  });
}

/**
 * Deletes a trashed note for good on this replica. The state vector stored with the marker says which
 * edits the deleting replica had seen: an edit it had not seen brings the note back to the trash.
 */
export function deleteNoteForever(note: NoteMap, now = Date.now()): void {
  const doc = note.doc!;
  doc.transact(() => {
    if (note.get('trashedAt') === null) note.set('trashedAt', now);
    note.set('deletedAt', now);
    note.set('deletedSeen', Y.encodeStateVector(doc));
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types are invariant in their event type
type AnyType = Y.AbstractType<any>;

/** Whether every item of a shared type (and the types nested in it) was created before `seen`. */
function coveredBy(type: AnyType, seen: Map<number, number>, skipKey?: string): boolean {
  const covered = (item: Y.Item) =>
    item.id.clock + item.length <= (seen.get(item.id.client) ?? 0) &&
    !(item.content instanceof Y.ContentType && !coveredBy(item.content.type, seen));
  for (let item = type._start; item !== null; item = item.right) if (!covered(item)) return false;
  for (const [key, item] of type._map) if (key !== skipKey && !covered(item)) return false;
  return true;
}

export function noteState(note: NoteMap): NoteState {
  const trashedAt = note.get('trashedAt');
  const deletedSeen = note.get('deletedSeen');
  if (typeof note.get('deletedAt') === 'number' && deletedSeen instanceof Uint8Array) {
    try {
      if (coveredBy(note, Y.decodeStateVector(deletedSeen), 'deletedSeen')) return 'deleted';
    } catch {
      // an unreadable marker hides nothing
    }
    return 'trashed';
  }
  return typeof trashedAt === 'number' ? 'trashed' : 'active';
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

export function summarizeNote(id: string, note: NoteMap): NoteSummary {
  const trashedAt = note.get('trashedAt');
  return {
    id,
    title: noteTitle(note),
    tags: noteTags(note),
    createdAt: numberOr(note.get('createdAt'), 0),
    createdBy: stringOr(note.get('createdBy'), ''),
    updatedAt: numberOr(note.get('updatedAt'), 0),
    updatedBy: stringOr(note.get('updatedBy'), ''),
    trashedAt: typeof trashedAt === 'number' ? trashedAt : null,
  };
}

export type NoteSort = 'updated' | 'title';

const titleCollator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

export function sortNotes(notes: NoteSummary[], sort: NoteSort): NoteSummary[] {
  return notes.sort((a, b) =>
    sort === 'title'
      ? titleCollator.compare(a.title, b.title) || a.id.localeCompare(b.id)
      : b.updatedAt - a.updatedAt || a.id.localeCompare(b.id),
  );
}

/** The notes in one state (active by default), most recently updated first unless sorted by title. */
export function listNotes(doc: Y.Doc, options: { state?: NoteState; sort?: NoteSort } = {}): NoteSummary[] {
  const wanted = options.state ?? 'active';
  const notes: NoteSummary[] = [];
  spaceNotes(doc).forEach((note, id) => {
    if (note instanceof Y.Map && note.get('body') instanceof Y.XmlText && noteState(note) === wanted) notes.push(summarizeNote(id, note));
  });
  return sortNotes(notes, options.sort ?? 'updated');
}

/** Tags of the space's active notes with how many notes carry each, by name. */
export function tagCounts(notes: NoteSummary[]): Array<{ tag: string; count: number }> {
  const counts = new Map<string, number>();
  for (const note of notes) for (const tag of note.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts].map(([tag, count]) => ({ tag, count })).sort((a, b) => titleCollator.compare(a.tag, b.tag));
}
