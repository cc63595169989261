/**
 * Search and backlinks of one space, kept by the host from the stored documents: a MiniSearch index
 * over titles, bodies and tags, and the link graph between notes. It is saved beside the space
 * (`search.json`) with the digest, title and tags each note had when indexed, so a start re-indexes
 * only the notes that changed since; afterwards a changed note is indexed again once edits pause.
 * The renderer asks for results (space.search, note.backlinks) and holds no body it does not show.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { catalogNotes, entryState, getEntry, summarizeEntry, type NoteEntry } from '../../shared/catalog';
import { bodyAttachments, bodyLinks, bodyText } from '../../shared/note-content';
import { CATALOG_DOC_ID, noteBodyOf } from '../../shared/note-doc';
import { NoteSearchIndex, snippetOf, type SavedSearchIndex, type SearchHit } from '../../shared/search-index';
import type { SpaceStore } from './doc-store';
import { writeFileAtomic } from './private-files';
import { errorMessage } from '../../shared/errors';

const FILE = 'search.json';
/** 3: no bodies (snippets are read from the notes); 2: notes' attachments are kept as well (a version-1 file is indexed again once). */
const SAVED_VERSION = 3;
/** Versions whose index loads as it is (a version-2 file's bodies are left unread). */
const LOADABLE_VERSIONS = [2, 3];
/** Bodies' text kept for snippets of recent hits, by note and digest (a query typed letter by letter hits the same notes). */
const SNIPPET_CACHE_NOTES = 128;
/** Changed notes are indexed again once edits pause this long… */
const REINDEX_PAUSE_MS = 300;
/** …or after this long of continuous editing at the latest. */
const REINDEX_MAX_WAIT_MS = 3000;
/** The index is saved this long after the last change (and when the host stops). */
const SAVE_AFTER_MS = 5000;
/** Indexing yields to other work after this long, so the host keeps answering while it builds. */
const SLICE_MS = 15;

interface SavedFile {
  version: number;
  /** What each note was when indexed: body digest (hex), title, tags. */
  notes: Record<string, [string, string, string]>;
  links: Record<string, string[]>;
  /** The attachments each note shows (only notes that show any). */
  attachments: Record<string, string[]>;
  search: SavedSearchIndex;
}

const hex = (bytes: Uint8Array | null) => (bytes ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') : '');

export interface SpaceSearchEvents {
  /** The index caught up with changes. */
  indexed: () => void;
}

export class SpaceSearch extends ObservableV2<SpaceSearchEvents> {
  private index = new NoteSearchIndex();
  private readonly links = new Map<string, Set<string>>();
  private readonly attachments = new Map<string, Set<string>>();
  private readonly indexedAs = new Map<string, [string, string, string]>();
  /** Recent hits' text and the digest it was read at, by note, oldest first. */
  private readonly snippetTexts = new Map<string, { digest: string; text: string }>();
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private firstDirtyAt = 0;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private unsaved = false;
  private closed = false;
  private readonly offStore: () => void;
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  /** Resolves once the index holds every note (loaded and brought up to date, or built). */
  readonly ready: Promise<void>;
  /** Milliseconds the first build or catch-up took (for the benchmark). */
  buildMs = 0;

  constructor(
    private readonly space: SpaceStore,
    private readonly warn: (message: string) => void = () => {},
  ) {
    super();
    this.offStore = space.onUpdate((docId) => {
      if (docId !== CATALOG_DOC_ID) this.markDirty(docId);
    });
    this.observer = (events) => {
      for (const event of events) {
        const [noteId] = event.path as [string | undefined];
        if (noteId !== undefined) this.markDirty(noteId);
        else for (const key of (event as Y.YMapEvent<unknown>).keysChanged) this.markDirty(key);
      }
    };
    catalogNotes(space.catalog).observeDeep(this.observer);
    this.ready = this.build().catch((error: unknown) => this.warn(`search index of space ${space.spaceId}: ${errorMessage(error)}`));
  }

  private get file() {
    return join(this.space.dir, FILE);
  }

  /** Loads the saved index, then indexes again only what changed since it was saved. */
  private async build(): Promise<void> {
    const started = performance.now();
    await this.load();
    const ids = new Set<string>();
    catalogNotes(this.space.catalog).forEach((_entry, id) => ids.add(id));
    for (const id of [...this.indexedAs.keys()]) if (!ids.has(id)) this.forget(id);
    let slice = performance.now();
    for (const id of ids) {
      if (this.closed) return;
      await this.indexNote(id, false);
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    this.buildMs = performance.now() - started;
    this.scheduleSave();
    this.emit('indexed', []);
  }

  private async load(): Promise<void> {
    let saved: SavedFile;
    try {
      saved = JSON.parse(await readFile(this.file, 'utf8')) as SavedFile;
      if (!LOADABLE_VERSIONS.includes(saved.version)) return;
      this.index = new NoteSearchIndex({ index: saved.search.index });
      // A version-2 file is written again without its bodies.
      if (saved.version !== SAVED_VERSION) this.unsaved = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`the saved search index of space ${this.space.spaceId} is unreadable; indexing again`);
      this.index = new NoteSearchIndex();
      return;
    }
    for (const [id, as] of Object.entries(saved.notes)) this.indexedAs.set(id, as);
    for (const [id, targets] of Object.entries(saved.links)) this.links.set(id, new Set(targets));
    for (const [id, hashes] of Object.entries(saved.attachments)) this.attachments.set(id, new Set(hashes));
  }

  /** Indexes a note if its body, title or tags changed since it was last indexed (or `force`). */
  private async indexNote(id: string, force: boolean): Promise<void> {
    const entry = getEntry(this.space.catalog, id);
    if (!entry || entryState(entry) === 'deleted') {
      this.forget(id);
      return;
    }
    const digest = hex(await this.space.digest(id).catch(() => null));
    const summary = summarizeEntry(id, entry as NoteEntry);
    const as: [string, string, string] = [digest, summary.title, summary.tags.join('\n')];
    const before = this.indexedAs.get(id);
    if (!force && before && before[0] === as[0] && before[1] === as[1] && before[2] === as[2] && this.index.has(id)) return;
    let text = '';
    let links = new Set<string>();
    let attachments = new Set<string>();
    try {
      await this.readBody(id, (body) => {
        text = bodyText(body);
        links = bodyLinks(body);
        attachments = bodyAttachments(body);
      });
    } catch (error) {
      this.warn(`note ${id} could not be read for search: ${errorMessage(error)}`);
    }
    this.index.set({ id, title: summary.title, body: text, tags: summary.tags });
    this.links.set(id, links);
    if (attachments.size > 0) this.attachments.set(id, attachments);
    else this.attachments.delete(id);
    this.indexedAs.set(id, as);
    this.unsaved = true;
  }

  private forget(id: string): void {
    if (!this.index.has(id) && !this.links.has(id)) return;
    this.index.remove(id);
    this.links.delete(id);
    this.attachments.delete(id);
    this.indexedAs.delete(id);
    this.snippetTexts.delete(id);
    this.unsaved = true;
  }

  private markDirty(noteId: string): void {
    this.dirty.add(noteId);
    const now = Date.now();
    if (this.timer !== null) clearTimeout(this.timer);
    else this.firstDirtyAt = now;
    const wait = Math.min(REINDEX_PAUSE_MS, Math.max(0, this.firstDirtyAt + REINDEX_MAX_WAIT_MS - now));
    this.timer = setTimeout(() => void this.reindexDirty(), wait);
  }

  private async reindexDirty(): Promise<void> {
    this.timer = null;
    await this.ready;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      if (this.closed) return;
      await this.indexNote(id, true);
    }
    this.scheduleSave();
    this.emit('indexed', []);
  }

  private scheduleSave(): void {
    if (!this.unsaved || this.closed) return;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.save(), SAVE_AFTER_MS);
  }

  /** Writes the index beside the space (a lost save only means more indexing at the next start). */
  async save(): Promise<void> {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (!this.unsaved) return;
    this.unsaved = false;
    const saved: SavedFile = {
      version: SAVED_VERSION,
      notes: Object.fromEntries(this.indexedAs),
      links: Object.fromEntries([...this.links].map(([id, targets]) => [id, [...targets]])),
      attachments: Object.fromEntries([...this.attachments].map(([id, hashes]) => [id, [...hashes]])),
      search: this.index.save(),
    };
    try {
      await writeFileAtomic(this.file, JSON.stringify(saved));
    } catch (error) {
      this.unsaved = true;
      this.warn(`the search index of space ${this.space.spaceId} could not be saved: ${errorMessage(error)}`);
    }
  }

  async search(query: string, limit = 30, titlesOnly = false): Promise<SearchHit[]> {
    await this.ready;
    if (titlesOnly) return this.index.searchTitles(query, limit).map((hit) => ({ ...hit, score: 0, snippet: [] }));
    const ranked = this.index.rank(query, limit);
    const texts = await Promise.all(ranked.map((hit) => this.textOf(hit.id)));
    return ranked.map(({ terms, ...hit }, i) => ({ ...hit, snippet: snippetOf(texts[i]!, terms) }));
  }

  /** Reads a stored note's body (no editor) and hands it to `read`. */
  private async readBody(id: string, read: (body: ReturnType<typeof noteBodyOf>) => void): Promise<void> {
    const doc = new Y.Doc();
    try {
      Y.applyUpdate(doc, await this.space.readState(id));
      read(noteBodyOf(doc, id));
    } finally {
      doc.destroy();
    }
  }

  /** A note's text as search reads it, for a snippet: from a small cache, else from the store. */
  private async textOf(id: string): Promise<string> {
    const digest = this.indexedAs.get(id)?.[0] ?? '';
    const cached = this.snippetTexts.get(id);
    this.snippetTexts.delete(id);
    if (cached?.digest === digest) {
      this.snippetTexts.set(id, cached);
      return cached.text;
    }
    let text = '';
    try {
      await this.readBody(id, (body) => (text = bodyText(body)));
    } catch {
      // A note that cannot be read shows its title alone (indexing said why).
    }
    this.snippetTexts.set(id, { digest, text });
    if (this.snippetTexts.size > SNIPPET_CACHE_NOTES) this.snippetTexts.delete(this.snippetTexts.keys().next().value!);
    return text;
  }

  /** Notes whose bodies link to `noteId`. */
  async backlinks(noteId: string): Promise<string[]> {
    await this.ready;
    const from: string[] = [];
    for (const [id, targets] of this.links) if (id !== noteId && targets.has(noteId)) from.push(id);
    return from;
  }

  /** Every attachment the space's notes show (trashed notes included: they may come back), with the notes that show it. */
  async attachmentRefs(): Promise<Map<string, string[]>> {
    await this.ready;
    const refs = new Map<string, string[]>();
    for (const [id, hashes] of this.attachments) for (const hash of hashes) refs.set(hash, [...(refs.get(hash) ?? []), id]);
    return refs;
  }

  get size(): number {
    return this.index.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    catalogNotes(this.space.catalog).unobserveDeep(this.observer);
    this.offStore();
    await this.ready;
    await this.save();
    super.destroy();
  }
}
