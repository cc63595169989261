/**
 * An open space in this window: its catalog (always loaded: the note list), the notes the member
 * opens, their caches and durable copies on the host, search through the host, and sync with peers.
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { catalogNotes } from '../../shared/catalog';
import type { HostApi, SummaryRow } from '../../shared/host-api';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import { catalogChannel, DocPersistence, type SaveState } from '../persistence/doc-persistence';
import { catalogDatabase, legacySpaceDatabase } from '../persistence/note-cache';
import { SearchClient } from '../search/search-client';
import { TitleIndex } from '../search/title-index';
import { PeerSync } from '../../shared/peer/peer-sync';
import { SpaceAttachments } from '../attachments/space-attachments';
import { PEER_ORIGIN, SpaceSyncStore } from '../../shared/note-sync/space-sync-store';
import { CatalogView } from './catalog-view';
import { NoteDocs } from './note-docs';
import { SpaceNews } from './space-news';
import { clientMembers, markDeletion, nameClient } from '../../shared/doc-clients';

/** The origin of the edits that name this window's client in the catalog. */
const NAMING = Symbol('naming');

/** The host's rows, or none when they do not parse as rows (the catalog then fills the list). */
function parseRows(text: string): SummaryRow[] {
  try {
    const rows: unknown = JSON.parse(text);
    return Array.isArray(rows) ? rows.filter((r): r is SummaryRow => Array.isArray(r) && r.length === 10 && typeof r[0] === 'string' && typeof r[1] === 'string' && Array.isArray(r[2])) : [];
  } catch {
    return [];
  }
}

/** The longest the window waits for the host's list rows before it loads the catalog anyway. */
const FIRST_PAINT_WAIT_MS = 800;

/** Resolves after the browser painted what React rendered for the state just set (two frames, or a timer when hidden). */
function afterNextPaint(): Promise<void> {
  if (typeof requestAnimationFrame === 'undefined') return Promise.resolve();
  return Promise.race([
    new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0)))),
    new Promise<void>((resolve) => setTimeout(resolve, 200)),
  ]);
}

/** Quiet time after other clients of the host changed notes before comparing with peers again. */
const RESYNC_AFTER_HOST_CHANGES_MS = 1000;

export class SpaceSession {
  readonly catalog = new Y.Doc({ guid: CATALOG_DOC_ID });
  private localCache: IndexeddbPersistence | null = null;
  readonly durable: DocPersistence;
  readonly notes: NoteDocs;
  /** Sync with other members' devices (WebRTC), and the space's presence. */
  readonly peers: PeerSync;
  /** The files the space's notes show: added, shown, fetched from peers. */
  readonly attachments: SpaceAttachments;
  readonly search: SearchClient;
  /** What others changed since this member last looked (the list's marks, What's new). */
  readonly news: SpaceNews;
  /** Resolves when the local cache has loaded (or failed to). */
  readonly localLoaded: Promise<void>;
  private catalogView: CatalogView | null = null;
  private readonly cleanups: Array<() => void> = [];
  /** The host's list rows, asked for at once: the window shows its list before the catalog is decoded. */
  private summaryRows: SummaryRow[] | null = null;
  private readonly summariesArrived: Promise<void>;

  constructor(
    readonly spaceId: string,
    readonly host: HostApi,
  ) {
    const browser = typeof indexedDB !== 'undefined';
    // Schema 1 cached the whole space in one database; the catalog and notes have their own now.
    if (browser) indexedDB.deleteDatabase(legacySpaceDatabase(spaceId));
    performance.mark('commonplace:session-open');
    this.summariesArrived = new Promise<void>((resolve) => {
      const off = host.onConnection((connected) => {
        if (!connected || this.summaryRows !== null) return;
        host.call('space.summaries', { spaceId }).then(
          ({ rows }) => {
            this.summaryRows = parseRows(rows);
            performance.mark('commonplace:summaries-arrived');
            queueMicrotask(() => off());
            resolve();
          },
          () => {},
        );
      });
      this.cleanups.push(() => off());
    });
    // Decoding the catalog takes the main thread a while in a big space: the window first shows the
    // list (from the host's rows) and the note, then loads the catalog from the browser's cache and the host.
    const shown = Promise.race([this.summariesArrived.then(afterNextPaint), new Promise<void>((resolve) => setTimeout(resolve, FIRST_PAINT_WAIT_MS))]);
    this.localLoaded = shown.then(() => {
      if (!browser || this.destroyed) return;
      this.localCache = new IndexeddbPersistence(catalogDatabase(spaceId), this.catalog);
      return Promise.race([
        this.localCache.whenSynced.then(() => void performance.mark('commonplace:cache-loaded')),
        // A browser that blocks IndexedDB still gets the host's copy.
        new Promise<void>((resolve) => setTimeout(resolve, 3000)),
      ]);
    });
    this.durable = new DocPersistence(this.catalog, catalogChannel(host, spaceId), host, this.localLoaded, (origin) =>
      origin === PEER_ORIGIN ? 'peers' : origin === this.localCache ? undefined : 'local',
    );
    this.notes = new NoteDocs(spaceId, host, (noteId, update, origin) => {
      if (origin !== PEER_ORIGIN) this.peers.engine.broadcast(noteId, update);
    });
    this.attachments = new SpaceAttachments(spaceId, host);
    this.peers = new PeerSync(spaceId, host, new SpaceSyncStore(host, spaceId, this.catalog, (noteId) => this.notes.get(noteId)), this.attachments);
    this.search = new SearchClient(host, spaceId);
    this.news = new SpaceNews(host, spaceId);
    // Once the catalog came from the host, rows the host listed but the catalog lacks are gone.
    void this.durable.whenSynced().then(() => this.catalogView?.dropMissing());
    const onCatalogUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === PEER_ORIGIN) this.peers.engine.recheckHeld();
      else if (origin !== this.durable && origin !== this.local) this.peers.engine.broadcast(CATALOG_DOC_ID, update);
    };
    this.catalog.on('update', onCatalogUpdate);
    this.cleanups.push(() => this.catalog.off('update', onCatalogUpdate));
    // The member's own catalog edits name their author (history says who trashed or renamed a note).
    const onCatalogTransaction = (transaction: Y.Transaction) => {
      const origin = transaction.origin;
      if (!this.memberId || !transaction.local || origin === this.durable || origin === this.localCache || origin === PEER_ORIGIN || origin === NAMING) return;
      const client = this.catalog.clientID;
      const wrote = (transaction.afterState.get(client) ?? 0) > (transaction.beforeState.get(client) ?? 0);
      const memberId = this.memberId;
      if (wrote && clientMembers(this.catalog).get(client) !== memberId) this.catalog.transact(() => nameClient(this.catalog, memberId), NAMING);
      else if (!wrote && transaction.deleteSet.clients.size > 0) this.catalog.transact(() => markDeletion(this.catalog, memberId), NAMING);
    };
    this.catalog.on('afterTransaction', onCatalogTransaction);
    this.cleanups.push(() => this.catalog.off('afterTransaction', onCatalogTransaction));
    let resync: ReturnType<typeof setTimeout> | null = null;
    this.cleanups.push(
      host.on('space.changed', ({ spaceId: changed }) => {
        if (changed !== spaceId) return;
        // Changes that did not travel live (an import, another window's peers): compare with peers again.
        if (resync !== null) clearTimeout(resync);
        resync = setTimeout(() => {
          resync = null;
          this.peers.engine.resync();
        }, RESYNC_AFTER_HOST_CHANGES_MS);
      }),
      () => resync !== null && clearTimeout(resync),
    );
  }

  private memberId = '';

  /** The member this window edits as (their catalog edits name them). */
  setMember(memberId: string): void {
    this.memberId = memberId;
  }

  /** Resolves when the notebook is ready to show: the host's list rows, the local cache, or the host's catalog. */
  ready(): Promise<void> {
    return Promise.race([
      this.summariesArrived,
      this.localLoaded.then(() => (this.catalog.share.size > 0 ? undefined : this.durable.whenSynced())),
      this.durable.whenSynced(),
    ]);
  }

  /** The browser's cache of the catalog (opened once the window has shown). */
  get local(): IndexeddbPersistence | null {
    return this.localCache;
  }

  /** Whether the catalog itself is here (until then, lists show the host's rows and notes are read-only). */
  catalogLoaded(): boolean {
    return catalogNotes(this.catalog).size > 0 || this.durable.state !== 'connecting';
  }

  /** The note list, tags and trash, built on first use (after the catalog has loaded). */
  get view(): CatalogView {
    if (!this.catalogView) {
      performance.mark('commonplace:view-start');
      this.catalogView = new CatalogView(this.catalog, this.summaryRows ?? undefined);
      performance.mark('commonplace:view-built');
    }
    return this.catalogView;
  }

  private titleIndex: TitleIndex | null = null;

  /** Titles of the active notes, for the quick switcher and links (built on first use). */
  get titles(): TitleIndex {
    this.titleIndex ??= new TitleIndex(this.view);
    return this.titleIndex;
  }

  /** The window's save state: saved only when the catalog and every held note are on disk. */
  saveState(): SaveState {
    const states = [this.durable.state, ...this.notes.saveStates()];
    for (const state of ['error', 'unsaved', 'saving', 'connecting'] as const) if (states.includes(state)) return state;
    return 'saved';
  }

  onSaveState(listener: (state: SaveState) => void): () => void {
    const update = () => listener(this.saveState());
    const offCatalog = this.durable.onState(update);
    const offNotes = this.notes.onSaveState(update);
    return () => {
      offCatalog();
      offNotes();
    };
  }

  /** Resolves once the host has every edit of this window on disk. */
  whenSaved(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.onSaveState((state) => {
        if (state !== 'saved') return;
        queueMicrotask(() => off());
        resolve();
      });
    });
  }

  private destroyed = false;

  destroy(): void {
    this.destroyed = true;
    for (const cleanup of this.cleanups) cleanup();
    this.catalogView?.destroy();
    this.search.destroy();
    this.news.destroy();
    this.peers.destroy();
    this.attachments.destroy();
    this.notes.destroy();
    this.durable.destroy();
    void this.localCache?.destroy();
    this.catalog.destroy();
  }
}

const sessions = new Map<string, SpaceSession>();

/** Closes a space's session; with `forget`, also deletes its caches in this browser. */
export async function closeSpace(spaceId: string, { forget = false } = {}): Promise<void> {
  const session = sessions.get(spaceId);
  sessions.delete(spaceId);
  if (session) {
    if (forget) {
      await session.local?.clearData();
      session.notes.forgetCache();
    }
    session.destroy();
  } else if (forget && typeof indexedDB !== 'undefined') {
    indexedDB.deleteDatabase(catalogDatabase(spaceId));
  }
}

/** One session per space per window: y-indexeddb and providers allow one per document name. */
export function openSpace(spaceId: string, host: HostApi): SpaceSession {
  let session = sessions.get(spaceId);
  if (!session) {
    session = new SpaceSession(spaceId, host);
    sessions.set(spaceId, session);
  }
  return session;
}
