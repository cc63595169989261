/**
 * A space's catalog: one small Y.Doc with the space's metadata, its members and one entry per note
 * (title, tags, authors, times, trash and deletion state). Note bodies are documents of their own
 * (see note-doc.ts): the catalog never holds a body, so opening a space costs what its list costs.
 *
 * An entry is a Y.Map with as few items as a note needs, because decoding cost follows the number of
 * items: `title` (string, last writer wins), `created` and `updated` ([time, member id]), `tag:NAME`
 * and `author:ID` keys used as sets (concurrent additions merge; the creator is an author without a
 * key of its own), and `trashedAt`, `deletedAt`,
 * `deletedSeen` and `deletedBodySeen` only once a note is trashed or deleted. Entries migrated from a
 * space written before schema 2 keep their old fields (`createdAt`, `createdBy`, `updatedAt`,
 * `updatedBy`, nested `tags` and `authors` maps) with their original Yjs item ids; readers accept both.
 */
import * as Y from 'yjs';
import { newId } from './ids';

/** Version of the space format: 2 = catalog plus one document per note body. */
export const SCHEMA_VERSION = 2;

export interface AuthorRef {
  id: string;
  name: string;
  color?: string;
}

/** A note's fields as lists and search read them. */
export interface NoteSummary {
  id: string;
  title: string;
  tags: string[];
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  trashedAt: number | null;
  /** The folder the note came from ('' for none): `Procedures/Lines`, as imported. */
  folder: string;
}

export type NoteEntry = Y.Map<unknown>;
export type NoteState = 'active' | 'trashed' | 'deleted';

const TAG = 'tag:';
const AUTHOR = 'author:';

export function catalogMeta(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta');
}

export function catalogNotes(doc: Y.Doc): Y.Map<NoteEntry> {
  return doc.getMap('notes');
}

/** Profiles of members seen in this space (id → {name, color}), so authors show by name. */
export function catalogMembers(doc: Y.Doc): Y.Map<{ name: string; color: string }> {
  return doc.getMap('members');
}

export function spaceName(doc: Y.Doc): string {
  const name = catalogMeta(doc).get('name');
  return typeof name === 'string' ? name : '';
}

export function renameSpace(doc: Y.Doc, name: string): void {
  catalogMeta(doc).set('name', name);
}

/** The schema the catalog says it follows (1 for spaces written before notes had documents of their own). */
export function catalogSchema(doc: Y.Doc): number {
  const schema = catalogMeta(doc).get('schema');
  return typeof schema === 'number' ? schema : 1;
}

/** Sets the space's name, creation time and schema unless another replica already did. */
export function initSpace(doc: Y.Doc, name: string, now = Date.now()): void {
  const meta = catalogMeta(doc);
  doc.transact(() => {
    if (!meta.has('name')) meta.set('name', name);
    if (!meta.has('createdAt')) meta.set('createdAt', now);
    if (meta.get('schema') !== SCHEMA_VERSION) meta.set('schema', SCHEMA_VERSION);
  });
}

/** Records (or updates) a member's display name and colour in the space. */
export function recordMember(doc: Y.Doc, member: AuthorRef): void {
  const members = catalogMembers(doc);
  const current = members.get(member.id);
  const color = member.color ?? current?.color ?? '#6b665d';
  if (!current || current.name !== member.name || current.color !== color) members.set(member.id, { name: member.name, color });
}

export function getEntry(doc: Y.Doc, noteId: string): NoteEntry | undefined {
  const entry = catalogNotes(doc).get(noteId);
  return entry instanceof Y.Map ? entry : undefined;
}

/** Ids of every note the catalog lists, whatever its state. */
export function catalogNoteIds(doc: Y.Doc): string[] {
  const ids: string[] = [];
  catalogNotes(doc).forEach((entry, id) => {
    if (entry instanceof Y.Map) ids.push(id);
  });
  return ids;
}

export function entryTitle(entry: NoteEntry): string {
  const title = entry.get('title');
  return typeof title === 'string' ? title : '';
}

function stamp(entry: NoteEntry, key: 'created' | 'updated'): { at: number; by: string } {
  const value = entry.get(key);
  if (Array.isArray(value) && typeof value[0] === 'number' && Number.isFinite(value[0])) return { at: value[0], by: typeof value[1] === 'string' ? value[1] : '' };
  const at = entry.get(`${key}At`);
  const by = entry.get(`${key}By`);
  return { at: typeof at === 'number' && Number.isFinite(at) ? at : 0, by: typeof by === 'string' ? by : '' };
}

/** Keys of a set kept as prefixed keys, plus those of a schema-1 nested map. */
function setMembers(entry: NoteEntry, prefix: string, legacyKey: string): string[] {
  const found = new Set<string>();
  for (const [key, value] of entry.entries()) if (key.startsWith(prefix) && value === true) found.add(key.slice(prefix.length));
  const legacy = entry.get(legacyKey);
  if (legacy instanceof Y.Map) for (const key of legacy.keys()) found.add(key);
  return [...found];
}

export function entryTags(entry: NoteEntry): string[] {
  return setMembers(entry, TAG, 'tags').sort((a, b) => a.localeCompare(b));
}

/** Everyone who wrote in the note: its creator (never stored again as an author key) and the others. */
export function entryAuthors(entry: NoteEntry): string[] {
  const authors = new Set(setMembers(entry, AUTHOR, 'authors'));
  const creator = stamp(entry, 'created').by;
  if (creator) authors.add(creator);
  return [...authors].sort();
}

/** Adds a note's entry (no body: the body is the note's own document) and returns its id. */
export function createEntry(doc: Y.Doc, options: { title?: string; author: AuthorRef; now?: number; id?: string; tags?: string[] }): string {
  const id = options.id ?? newId();
  const now = options.now ?? Date.now();
  doc.transact(() => {
    const entry = new Y.Map<unknown>();
    catalogNotes(doc).set(id, entry);
    entry.set('title', options.title ?? '');
    entry.set('created', [now, options.author.id]);
    for (const tag of options.tags ?? []) addTag(entry, tag);
    touchEntry(entry, options.author, now);
    if (options.author.name) recordMember(doc, options.author);
  });
  return id;
}

/** Records who changed a note and when; call it for edits made on this device. */
export function touchEntry(entry: NoteEntry, author: AuthorRef, now = Date.now()): void {
  entry.doc!.transact(() => {
    entry.set('updated', [now, author.id]);
    if (!entryAuthors(entry).includes(author.id)) entry.set(AUTHOR + author.id, true);
  });
}

/** Sets the times an import read from front matter. */
export function setEntryTimes(entry: NoteEntry, created: number, updated: number): void {
  entry.doc!.transact(() => {
    const by = stamp(entry, 'created').by;
    entry.set('created', [created, by]);
    entry.set('updated', [updated, stamp(entry, 'updated').by]);
  });
}

export function renameEntry(entry: NoteEntry, title: string, author: AuthorRef): void {
  if (entryTitle(entry) === title) return;
  entry.doc!.transact(() => {
    entry.set('title', title);
    touchEntry(entry, author);
  });
}

/** Tags are stored whole (any Unicode, any length); only surrounding space and a leading # are dropped. */
export function normalizeTag(tag: string): string {
  return tag.trim().replace(/^#+/, '').trim();
}

export function addTag(entry: NoteEntry, tag: string): void {
  const clean = normalizeTag(tag);
  if (clean && !entryTags(entry).includes(clean)) entry.set(TAG + clean, true);
}

export function removeTag(entry: NoteEntry, tag: string): void {
  entry.doc!.transact(() => {
    entry.delete(TAG + tag);
    const legacy = entry.get('tags');
    if (legacy instanceof Y.Map) legacy.delete(tag);
  });
}

export function trashEntry(entry: NoteEntry, now = Date.now()): void {
  entry.set('trashedAt', now);
}

/** Takes a note out of the trash (also one that was deleted forever, while it still exists anywhere). */
export function restoreEntry(entry: NoteEntry): void {
  entry.doc!.transact(() => {
    entry.set('trashedAt', null);
    for (const key of ['deletedAt', 'deletedSeen', 'deletedBodySeen']) if (entry.has(key)) entry.delete(key);
  });
}

/**
 * Deletes a trashed note for good on this replica. The state vectors stored with the marker say which
 * edits the deleting replica had seen, of the entry and of the body: an edit it had not seen brings the
 * note back to the trash.
 */
export function deleteEntryForever(entry: NoteEntry, bodyStateVector: Uint8Array, now = Date.now()): void {
  const doc = entry.doc!;
  doc.transact(() => {
    if (typeof entry.get('trashedAt') !== 'number') entry.set('trashedAt', now);
    entry.set('deletedAt', now);
    entry.set('deletedBodySeen', bodyStateVector);
    entry.set('deletedSeen', Y.encodeStateVector(doc));
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types are invariant in their event type
type AnyType = Y.AbstractType<any>;

/** Whether every item of a shared type (and the types nested in it) was created before `seen`. */
function coveredBy(type: AnyType, seen: Map<number, number>, skipKeys: ReadonlySet<string>): boolean {
  const covered = (item: Y.Item) =>
    item.id.clock + item.length <= (seen.get(item.id.client) ?? 0) && !(item.content instanceof Y.ContentType && !coveredBy(item.content.type, seen, new Set()));
  for (let item = type._start; item !== null; item = item.right) if (!covered(item)) return false;
  for (const [key, item] of type._map) if (!skipKeys.has(key) && !covered(item)) return false;
  return true;
}

const MARKER_KEYS = new Set(['deletedSeen', 'deletedBodySeen']);

/** What the deleting replica had seen of the body, for hosts that check it against the stored body. */
export function deletionOf(entry: NoteEntry): { at: number; bodySeen: Map<number, number> } | null {
  const at = entry.get('deletedAt');
  // A schema-1 marker's state vector covers the body too: migration kept the body's item ids.
  const seen = entry.get('deletedBodySeen') ?? entry.get('deletedSeen');
  if (typeof at !== 'number' || !(seen instanceof Uint8Array)) return null;
  try {
    return { at, bodySeen: Y.decodeStateVector(seen) };
  } catch {
    return null;
  }
}

/**
 * A note counts as deleted while every item of its entry is covered by the marker's state vector.
 * Body edits the deleting replica had not seen are checked by hosts, which hold every body: they
 * bring such a note back to the trash (see `bodyEscapesDeletion`).
 */
export function entryState(entry: NoteEntry): NoteState {
  const deletedSeen = entry.get('deletedSeen');
  if (typeof entry.get('deletedAt') === 'number' && deletedSeen instanceof Uint8Array) {
    try {
      if (coveredBy(entry, Y.decodeStateVector(deletedSeen), MARKER_KEYS)) return 'deleted';
    } catch {
      // an unreadable marker hides nothing
    }
    return 'trashed';
  }
  return typeof entry.get('trashedAt') === 'number' ? 'trashed' : 'active';
}

/** A note deleted forever that this device can still bring back (its body is still here). */
export interface DeletedNote {
  id: string;
  title: string;
  deletedAt: number;
}

/** How long a note deleted forever stays recoverable on a device. */
export const RECOVERABLE_MS = 30 * 24 * 60 * 60 * 1000;

/** Notes deleted forever in the 30 days before `now`, newest first. */
export function recentlyDeleted(doc: Y.Doc, now = Date.now()): DeletedNote[] {
  const since = now - RECOVERABLE_MS;
  const out: DeletedNote[] = [];
  catalogNotes(doc).forEach((entry, id) => {
    if (!(entry instanceof Y.Map) || entryState(entry) !== 'deleted') return;
    const deletedAt = entry.get('deletedAt');
    if (typeof deletedAt === 'number' && deletedAt >= since) out.push({ id, title: entryTitle(entry), deletedAt });
  });
  return out.sort((a, b) => b.deletedAt - a.deletedAt);
}

/** Whether a body holds edits that the replica which deleted its note had not seen. */
export function bodyEscapesDeletion(bodyStateVector: Map<number, number>, bodySeen: Map<number, number>): boolean {
  for (const [client, clock] of bodyStateVector) if (clock > (bodySeen.get(client) ?? 0)) return true;
  return false;
}

export function summarizeEntry(id: string, entry: NoteEntry): NoteSummary {
  const trashedAt = entry.get('trashedAt');
  const created = stamp(entry, 'created');
  const updated = stamp(entry, 'updated');
  return {
    id,
    title: entryTitle(entry),
    tags: entryTags(entry),
    createdAt: created.at,
    createdBy: created.by,
    updatedAt: updated.at,
    updatedBy: updated.by,
    trashedAt: typeof trashedAt === 'number' ? trashedAt : null,
    folder: entryFolder(entry),
  };
}

/** The folder a note was imported from ('' for none). */
function entryFolder(entry: NoteEntry): string {
  const folder = entry.get('folder');
  return typeof folder === 'string' ? folder : '';
}

/** Remembers the folder a note belongs to (forward slashes, no leading or trailing one). */
export function setEntryFolder(entry: NoteEntry, folder: string): void {
  const clean = folder.split('/').filter((part) => part !== '' && part !== '.' && part !== '..').join('/');
  if (clean) entry.set('folder', clean);
  else if (entry.has('folder')) entry.delete('folder');
}

export type NoteSort = 'updated' | 'title' | 'folder';

const titleCollator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

export function sortNotes(notes: NoteSummary[], sort: NoteSort): NoteSummary[] {
  const byTitle = (a: NoteSummary, b: NoteSummary) => titleCollator.compare(a.title, b.title) || a.id.localeCompare(b.id);
  return notes.sort((a, b) =>
    sort === 'title'
      ? byTitle(a, b)
      : sort === 'folder'
        ? titleCollator.compare(a.folder, b.folder) || byTitle(a, b)
        : b.updatedAt - a.updatedAt || a.id.localeCompare(b.id),
  );
}

/** The notes in one state (active by default), most recently updated first unless sorted by title. */
export function listNotes(doc: Y.Doc, options: { state?: NoteState; sort?: NoteSort } = {}): NoteSummary[] {
  const wanted = options.state ?? 'active';
  const notes: NoteSummary[] = [];
  catalogNotes(doc).forEach((entry, id) => {
    if (entry instanceof Y.Map && entryState(entry) === wanted) notes.push(summarizeEntry(id, entry));
  });
  return sortNotes(notes, options.sort ?? 'updated');
}

/** Tags of the given notes with how many notes carry each, by name. */
export function tagCounts(notes: NoteSummary[]): Array<{ tag: string; count: number }> {
  const counts = new Map<string, number>();
  for (const note of notes) for (const tag of note.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts].map(([tag, count]) => ({ tag, count })).sort((a, b) => titleCollator.compare(a.tag, b.tag));
}
