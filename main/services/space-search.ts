/**
 * Search and backlinks of one space, kept by the host from the stored documents.
 * - The link graph (the notes each note links to, and the attachments it shows) is always in memory: it
 *   answers backlinks and tells which attachments are in use. Saved in `links.json`.
 * - The search index (MiniSearch over titles, bodies and tags; some 40 MB at 10,000 notes) is held while
 *   a window has the space open, and for 10 minutes after the last search; otherwise it stays on disk
 *   (`search.json`) and loads again on the next search. An always-on host with no window never loads it.
 * Each is saved with what every note was when read (body digest; title and tags for the index), so a
 * start or a load reads again only the notes that changed since; a changed note is read again once
 * edits pause. The renderer asks for results (space.search, note.backlinks) and holds no body it does
 * not show.
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

const INDEX_FILE = 'search.json';
const GRAPH_FILE = 'links.json';
/** 4: the index alone (the link graph has its own file); 3: no bodies; 2: bodies kept (left unread). */
const INDEX_VERSION = 4;
const LOADABLE_INDEX_VERSIONS = [2, 3, 4];
const GRAPH_VERSION = 1;
/** Bodies' text kept for snippets of recent hits, by note and digest (a query typed letter by letter hits the same notes). */
const SNIPPET_CACHE_NOTES = 128;
/** Changed notes are read again once edits pause this long… */
const REINDEX_PAUSE_MS = 300;
/** …or after this long of continuous editing at the latest. */
const REINDEX_MAX_WAIT_MS = 3000;
/** What changed is saved this long after the last change (and when the host stops). */
const SAVE_AFTER_MS = 5000;
/** Reading notes yields to other work after this long, so the host keeps answering while it builds. */
const SLICE_MS = 15;
/** With no window on the space, the index leaves memory this long after the last search. */
const INDEX_IDLE_MS = 10 * 60_000;

/** What a note was when indexed: body digest (hex), title, tags. */
type IndexedAs = [string, string, string];

interface SavedIndex {
  version: number;
  notes: Record<string, IndexedAs>;
  search: SavedSearchIndex;
  /** Versions 2 and 3 also held the link graph. */
  links?: Record<string, string[]>;
  attachments?: Record<string, string[]>;
}

interface SavedGraph {
  version: number;
  /** Each note's body digest (hex) when its links were read. */
  notes: Record<string, string>;
  links: Record<string, string[]>;
  /** The attachments each note shows (only notes that show any). */
  attachments: Record<string, string[]>;
}

/** The search index while it is in memory. */
interface LoadedIndex {
  index: NoteSearchIndex;
  indexedAs: Map<string, IndexedAs>;
  unsaved: boolean;
}

const hex = (bytes: Uint8Array | null) => (bytes ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') : '');
const sameAs = (a: IndexedAs, b: IndexedAs) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

export interface SpaceSearchEvents {
  /** The index or the link graph caught up with changes. */
  indexed: () => void;
}

export class SpaceSearch extends ObservableV2<SpaceSearchEvents> {
  private readonly links = new Map<string, Set<string>>();
  private readonly attachments = new Map<string, Set<string>>();
  /** Each note's body digest when its links were read. */
  private readonly graphAs = new Map<string, string>();
  private graphUnsaved = false;
  private loaded: LoadedIndex | null = null;
  private opening: Promise<LoadedIndex | null> | null = null;
  /** Whether a window has the space open. */
  private windowsOpen = false;
  private lastUsedAt = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Recent hits' text and the digest it was read at, by note, oldest first. */
  private readonly snippetTexts = new Map<string, { digest: string; text: string }>();
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private firstDirtyAt = 0;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Building, loading, catching up and unloading run one after another, never interleaved. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly offStore: () => void;
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  /** Resolves once the link graph holds every note (loaded and brought up to date, or built). */
  readonly ready: Promise<void>;

  constructor(
    private readonly space: SpaceStore,
    private readonly warn: (message: string) => void = () => {},
    private readonly indexIdleMs = INDEX_IDLE_MS,
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
    this.ready = this.enqueue(() => this.buildGraph()).catch((error: unknown) => this.warn(`links of space ${space.spaceId}: ${errorMessage(error)}`));
  }

  /** Whether the search index is in memory now. */
  get indexLoaded(): boolean {
    return this.loaded !== null;
  }

  /** Notes in the search index (0 while it is not loaded). */
  get size(): number {
    return this.loaded?.index.size ?? 0;
  }

  /**
   * Whether a window has the space open: then a member may search at any moment, so the index is
   * loaded now and held; once none has, it leaves memory after the idle time.
   */
  setWindowsOpen(open: boolean): void {
    if (this.closed || open === this.windowsOpen) return;
    this.windowsOpen = open;
    this.lastUsedAt = Date.now();
    if (open) this.openIndex().catch((error: unknown) => this.warn(`search index of space ${this.space.spaceId}: ${errorMessage(error)}`));
    else this.scheduleUnload();
  }

  /** Loads the index ahead of a window about to open (a host with windows, at start); let go after the idle time if none comes. */
  async preload(): Promise<void> {
    this.lastUsedAt = Date.now();
    await this.openIndex();
  }

  async search(query: string, limit = 30, titlesOnly = false): Promise<SearchHit[]> {
    this.lastUsedAt = Date.now();
    const loaded = await this.openIndex();
    if (!loaded) return [];
    if (titlesOnly) return loaded.index.searchTitles(query, limit).map((hit) => ({ ...hit, score: 0, snippet: [] }));
    const ranked = loaded.index.rank(query, limit);
    const texts = await Promise.all(ranked.map((hit) => this.textOf(hit.id, loaded.indexedAs.get(hit.id)?.[0] ?? '')));
    return ranked.map(({ terms, ...hit }, i) => ({ ...hit, snippet: snippetOf(texts[i]!, terms) }));
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

  /** Writes what changed beside the space (a lost save only means more reading at the next start). */
  async save(): Promise<void> {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await Promise.all([this.saveGraph(), this.saveIndex()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of [this.timer, this.idleTimer]) if (timer !== null) clearTimeout(timer);
    catalogNotes(this.space.catalog).unobserveDeep(this.observer);
    this.offStore();
    await this.queue;
    await this.save();
    super.destroy();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }

  private file(name: string): string {
    return join(this.space.dir, name);
  }

  /** A saved file, or null when there is none or it cannot be read (then it is built again). */
  private async readSaved<T>(name: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file(name), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`the saved ${name} of space ${this.space.spaceId} is unreadable; reading the notes again`);
      return null;
    }
  }

  private catalogIds(): Set<string> {
    const ids = new Set<string>();
    catalogNotes(this.space.catalog).forEach((_entry, id) => ids.add(id));
    return ids;
  }

  /** Brings every note up to date, yielding to other work now and then. */
  private async refreshAll(ids: Set<string>, index: LoadedIndex | null): Promise<void> {
    let slice = performance.now();
    for (const id of ids) {
      if (this.closed) return;
      await this.refreshNote(id, false, index);
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
  }

  /** Loads the saved link graph, then reads again only the notes that changed since it was saved. */
  private async buildGraph(): Promise<void> {
    const saved = await this.readSaved<SavedGraph>(GRAPH_FILE);
    // Before the graph had a file of its own, the index's file held it (versions 2 and 3).
    const older = saved?.version === GRAPH_VERSION ? null : await this.readSaved<SavedIndex>(INDEX_FILE);
    if (saved?.version === GRAPH_VERSION) {
      for (const [id, digest] of Object.entries(saved.notes)) this.graphAs.set(id, digest);
      for (const [id, targets] of Object.entries(saved.links)) this.links.set(id, new Set(targets));
      for (const [id, hashes] of Object.entries(saved.attachments)) this.attachments.set(id, new Set(hashes));
    } else if (older && (older.version === 2 || older.version === 3) && older.links && older.attachments) {
      for (const [id, as] of Object.entries(older.notes)) this.graphAs.set(id, as[0]);
      for (const [id, targets] of Object.entries(older.links)) this.links.set(id, new Set(targets));
      for (const [id, hashes] of Object.entries(older.attachments)) this.attachments.set(id, new Set(hashes));
      this.graphUnsaved = true;
    }
    const ids = this.catalogIds();
    for (const id of [...this.graphAs.keys()]) if (!ids.has(id)) this.forget(id);
    // A window open, or the index asked for (preloaded at start, a search): each changed note is read once for both.
    const index = this.windowsOpen || this.opening !== null ? await this.readIndex(ids) : null;
    await this.refreshAll(ids, index);
    if (index && !this.closed) this.publishIndex(index);
    this.scheduleSave();
    this.emit('indexed', []);
  }

  /** The index, loaded (and brought up to date) if it is not in memory. */
  private openIndex(): Promise<LoadedIndex | null> {
    if (this.loaded) return Promise.resolve(this.loaded);
    this.opening ??= this.enqueue(() => this.loadIndex()).finally(() => (this.opening = null));
    return this.opening;
  }

  private async loadIndex(): Promise<LoadedIndex | null> {
    if (this.loaded || this.closed) return this.loaded;
    const ids = this.catalogIds();
    const loaded = await this.readIndex(ids);
    await this.refreshAll(ids, loaded);
    if (this.closed) return null;
    this.publishIndex(loaded);
    this.emit('indexed', []);
    return loaded;
  }

  /** The saved index, without the notes that left the space (the others are not checked yet). */
  private async readIndex(ids: Set<string>): Promise<LoadedIndex> {
    const loaded: LoadedIndex = { index: new NoteSearchIndex(), indexedAs: new Map(), unsaved: false };
    const saved = await this.readSaved<SavedIndex>(INDEX_FILE);
    if (saved && LOADABLE_INDEX_VERSIONS.includes(saved.version)) {
      try {
        loaded.index = new NoteSearchIndex({ index: saved.search.index });
        for (const [id, as] of Object.entries(saved.notes)) loaded.indexedAs.set(id, as);
        // An older file is written again as the index alone.
        loaded.unsaved = saved.version !== INDEX_VERSION;
      } catch (error) {
        // One MiniSearch cannot read (another version of it, a damaged file): every note is indexed again.
        this.warn(`the saved search index of space ${this.space.spaceId} cannot be loaded (${errorMessage(error)}); indexing again`);
        loaded.index = new NoteSearchIndex();
        loaded.indexedAs.clear();
        loaded.unsaved = true;
      }
    }
    for (const id of [...loaded.indexedAs.keys()]) {
      if (ids.has(id)) continue;
      if (loaded.index.has(id)) loaded.index.remove(id);
      loaded.indexedAs.delete(id);
      loaded.unsaved = true;
    }
    return loaded;
  }

  /** Searches see an index only once it holds every note. */
  private publishIndex(loaded: LoadedIndex): void {
    this.loaded = loaded;
    this.scheduleSave();
    this.scheduleUnload();
  }

  private scheduleUnload(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.windowsOpen || !this.loaded || this.closed) return;
    this.idleTimer = setTimeout(() => void this.enqueue(() => this.unloadIfIdle()), Math.max(0, this.lastUsedAt + this.indexIdleMs - Date.now()));
    this.idleTimer.unref?.();
  }

  /** Saves the index and lets it go, unless a window opened or a search came meanwhile. */
  private async unloadIfIdle(): Promise<void> {
    this.idleTimer = null;
    const idle = () => this.loaded !== null && !this.windowsOpen && !this.closed && Date.now() - this.lastUsedAt >= this.indexIdleMs;
    if (!idle()) return this.scheduleUnload();
    await this.saveIndex();
    if (this.loaded?.unsaved) {
      // The disk refused: kept (nothing to read again for it), and tried again after another idle time.
      this.lastUsedAt = Date.now();
      return this.scheduleUnload();
    }
    if (!idle()) return this.scheduleUnload();
    this.loaded = null;
    this.snippetTexts.clear();
  }

  /**
   * Reads a note again if its body changed since its links were read, or (with the index in memory)
   * its body, title or tags since it was indexed; `force` reads it regardless.
   */
  private async refreshNote(id: string, force: boolean, index: LoadedIndex | null): Promise<void> {
    const entry = getEntry(this.space.catalog, id);
    if (!entry || entryState(entry) === 'deleted') {
      this.forget(id, index);
      return;
    }
    const digest = hex(await this.space.digest(id).catch(() => null));
    const summary = summarizeEntry(id, entry as NoteEntry);
    const as: IndexedAs = [digest, summary.title, summary.tags.join('\n')];
    const graphStale = force || this.graphAs.get(id) !== digest;
    const before = index?.indexedAs.get(id);
    const indexStale = index !== null && (force || !before || !sameAs(before, as) || !index.index.has(id));
    if (!graphStale && !indexStale) return;
    let text = '';
    let links = new Set<string>();
    let attachments = new Set<string>();
    try {
      await this.readBody(id, (body) => {
        if (indexStale) text = bodyText(body);
        links = bodyLinks(body);
        attachments = bodyAttachments(body);
      });
    } catch (error) {
      this.warn(`note ${id} could not be read for search: ${errorMessage(error)}`);
    }
    if (graphStale) {
      this.links.set(id, links);
      if (attachments.size > 0) this.attachments.set(id, attachments);
      else this.attachments.delete(id);
      this.graphAs.set(id, digest);
      this.graphUnsaved = true;
    }
    if (index && indexStale) {
      index.index.set({ id, title: summary.title, body: text, tags: summary.tags });
      index.indexedAs.set(id, as);
      index.unsaved = true;
    }
  }

  private forget(id: string, index: LoadedIndex | null = this.loaded): void {
    const inGraph = this.graphAs.delete(id);
    if (this.links.delete(id) || inGraph) this.graphUnsaved = true;
    this.attachments.delete(id);
    this.snippetTexts.delete(id);
    if (index && (index.index.has(id) || index.indexedAs.has(id))) {
      if (index.index.has(id)) index.index.remove(id);
      index.indexedAs.delete(id);
      index.unsaved = true;
    }
  }

  private markDirty(noteId: string): void {
    this.dirty.add(noteId);
    const now = Date.now();
    if (this.timer !== null) clearTimeout(this.timer);
    else this.firstDirtyAt = now;
    const wait = Math.min(REINDEX_PAUSE_MS, Math.max(0, this.firstDirtyAt + REINDEX_MAX_WAIT_MS - now));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.enqueue(() => this.refreshDirty());
    }, wait);
  }

  private async refreshDirty(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      if (this.closed) return;
      await this.refreshNote(id, true, this.loaded);
    }
    this.scheduleSave();
    this.emit('indexed', []);
  }

  private scheduleSave(): void {
    if ((!this.graphUnsaved && !this.loaded?.unsaved) || this.closed) return;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.save(), SAVE_AFTER_MS);
  }

  private async saveGraph(): Promise<void> {
    if (!this.graphUnsaved) return;
    this.graphUnsaved = false;
    const saved: SavedGraph = {
      version: GRAPH_VERSION,
      notes: Object.fromEntries(this.graphAs),
      links: Object.fromEntries([...this.links].map(([id, targets]) => [id, [...targets]])),
      attachments: Object.fromEntries([...this.attachments].map(([id, hashes]) => [id, [...hashes]])),
    };
    try {
      await writeFileAtomic(this.file(GRAPH_FILE), JSON.stringify(saved));
    } catch (error) {
      this.graphUnsaved = true;
      this.warn(`the links of space ${this.space.spaceId} could not be saved: ${errorMessage(error)}`);
    }
  }

  private async saveIndex(): Promise<void> {
    const loaded = this.loaded;
    if (!loaded?.unsaved) return;
    loaded.unsaved = false;
    const saved: SavedIndex = { version: INDEX_VERSION, notes: Object.fromEntries(loaded.indexedAs), search: loaded.index.save() };
    try {
      await writeFileAtomic(this.file(INDEX_FILE), JSON.stringify(saved));
    } catch (error) {
      loaded.unsaved = true;
      this.warn(`the search index of space ${this.space.spaceId} could not be saved: ${errorMessage(error)}`);
    }
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
  private async textOf(id: string, digest: string): Promise<string> {
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
}
