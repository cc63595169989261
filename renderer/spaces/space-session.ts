/**
 * An open space in this window: its catalog (always loaded: the note list), the notes the member
 * opens, their caches and durable copies on the host, search through the host, and sync with peers.
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import type { HostApi } from '../../shared/host-api';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import { catalogChannel, DocPersistence, type SaveState } from '../persistence/doc-persistence';
import { catalogDatabase, legacySpaceDatabase } from '../persistence/note-cache';
import { SearchClient } from '../search/search-client';
import { TitleIndex } from '../search/title-index';
import { PeerSync } from '../sync/peer-sync';
import { PEER_ORIGIN, SpaceSyncStore } from '../sync/space-sync-store';
import { CatalogView } from './catalog-view';
import { NoteDocs } from './note-docs';

/** Quiet time after other clients of the host changed notes before comparing with peers again. */
const RESYNC_AFTER_HOST_CHANGES_MS = 1000;

export class SpaceSession {
  readonly catalog = new Y.Doc({ guid: CATALOG_DOC_ID });
  readonly local: IndexeddbPersistence | null;
  readonly durable: DocPersistence;
  readonly notes: NoteDocs;
  /** Sync with other members' devices (WebRTC), and the space's presence. */
  readonly peers: PeerSync;
  readonly search: SearchClient;
  /** Resolves when the local cache has loaded (or failed to). */
  readonly localLoaded: Promise<void>;
  private catalogView: CatalogView | null = null;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    readonly spaceId: string,
    readonly host: HostApi,
  ) {
    const browser = typeof indexedDB !== 'undefined';
    // Schema 1 cached the whole space in one database; the catalog and notes have their own now.
    if (browser) indexedDB.deleteDatabase(legacySpaceDatabase(spaceId));
    this.local = browser ? new IndexeddbPersistence(catalogDatabase(spaceId), this.catalog) : null;
    this.localLoaded = Promise.race([
      this.local ? this.local.whenSynced.then(() => undefined) : Promise.resolve(),
      // A browser that blocks IndexedDB still gets the host's copy.
      new Promise<void>((resolve) => setTimeout(resolve, 3000)),
    ]);
    this.durable = new DocPersistence(this.catalog, catalogChannel(host, spaceId), host, this.localLoaded);
    this.notes = new NoteDocs(spaceId, host, (noteId, update, origin) => {
      if (origin !== PEER_ORIGIN) this.peers.engine.broadcast(noteId, update);
    });
    this.peers = new PeerSync(spaceId, host, new SpaceSyncStore(host, spaceId, this.catalog, (noteId) => this.notes.get(noteId)));
    this.search = new SearchClient(host, spaceId);
    const onCatalogUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === PEER_ORIGIN) this.peers.engine.recheckHeld();
      else if (origin !== this.durable && origin !== this.local) this.peers.engine.broadcast(CATALOG_DOC_ID, update);
    };
    this.catalog.on('update', onCatalogUpdate);
    this.cleanups.push(() => this.catalog.off('update', onCatalogUpdate));
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

  /** Resolves when the notebook is ready to show: local cache loaded, or the host answered. */
  ready(): Promise<void> {
    return Promise.race([this.localLoaded.then(() => (this.catalog.share.size > 0 ? undefined : this.durable.whenSynced())), this.durable.whenSynced()]);
  }

  /** The note list, tags and trash, built on first use (after the catalog has loaded). */
  get view(): CatalogView {
    this.catalogView ??= new CatalogView(this.catalog);
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

  destroy(): void {
    for (const cleanup of this.cleanups) cleanup();
    this.catalogView?.destroy();
    this.search.destroy();
    this.peers.destroy();
    this.notes.destroy();
    this.durable.destroy();
    void this.local?.destroy();
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
