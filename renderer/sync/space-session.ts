/** An open space: its Y.Doc, the fast local cache (IndexedDB) and the durable copy on the host. */
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import type { HostApi } from '../../shared/host-api';
import { HostPersistence } from './host-persistence';
import { SpaceIndex } from './space-index';
import { PeerSync } from './peer-sync';

export class SpaceSession {
  readonly doc = new Y.Doc();
  readonly local: IndexeddbPersistence;
  readonly durable: HostPersistence;
  /** Sync with other members' devices (WebRTC), and the space's presence. */
  readonly peers: PeerSync;
  /** Resolves when the local cache has loaded (or failed to). */
  readonly localLoaded: Promise<void>;

  constructor(
    readonly spaceId: string,
    host: HostApi,
  ) {
    this.local = new IndexeddbPersistence(`commonplace-space-${spaceId}`, this.doc);
    this.localLoaded = Promise.race([
      this.local.whenSynced.then(() => undefined),
      // A browser that blocks IndexedDB still gets the host's copy.
      new Promise<void>((resolve) => setTimeout(resolve, 3000)),
    ]);
    this.durable = new HostPersistence(this.doc, spaceId, host, this.localLoaded);
    this.peers = new PeerSync(this.doc, spaceId, host);
  }

  /** Resolves when the notebook is ready to show: local cache loaded, or the host answered. */
  ready(): Promise<void> {
    return Promise.race([this.localLoaded.then(() => (this.doc.share.size > 0 ? undefined : this.durable.whenSynced())), this.durable.whenSynced()]);
  }

  private spaceIndex: SpaceIndex | null = null;

  /** Search, tags and backlinks of the space, built on first use (after the space has loaded). */
  get index(): SpaceIndex {
    this.spaceIndex ??= new SpaceIndex(this.doc);
    return this.spaceIndex;
  }

  destroy(): void {
    this.spaceIndex?.destroy();
    this.peers.destroy();
    this.durable.destroy();
    void this.local.destroy();
    this.doc.destroy();
  }
}

const sessions = new Map<string, SpaceSession>();

/** Closes a space's session; with `forget`, also deletes its local cache. */
export async function closeSpace(spaceId: string, { forget = false } = {}): Promise<void> {
  const session = sessions.get(spaceId);
  sessions.delete(spaceId);
  if (session) {
    if (forget) await session.local.clearData();
    session.destroy();
  } else if (forget) {
    indexedDB.deleteDatabase(`commonplace-space-${spaceId}`);
  }
}

/** One session per space per window: y-indexeddb and providers allow one per doc name. */
export function openSpace(spaceId: string, host: HostApi): SpaceSession {
  let session = sessions.get(spaceId);
  if (!session) {
    session = new SpaceSession(spaceId, host);
    sessions.set(spaceId, session);
  }
  return session;
}
