/**
 * A host that syncs its spaces itself, with no window (`commonplace serve`): for every space it holds
 * a key for, it joins the space's room as a peer of its own, with the same PeerSync a window runs
 * (y-webrtc, document sync, attachments; shared/peer) over a WebRTC binding for Node (@roamhq/wrtc,
 * whose prebuilt binaries install from the npm registry), reading and writing its own store through
 * its own API. An always-on machine then keeps a space available to members who come and go.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { newId } from '../../shared/ids';
import { SpaceFiles } from '../../shared/attachments/space-files';
import { errorMessage } from '../../shared/errors';
import { PeerSync } from '../../shared/peer/peer-sync';
import type { WrtcImplementation } from '../../shared/peer/chunked-webrtc';
import { SpaceSyncStore } from '../../shared/note-sync/space-sync-store';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import type { HostService } from './host-service';
import { localHost, type LocalHost } from './local-host';
import { logger } from './logger';
import { SignallingWebSocket } from './signalling-websocket';
import { oneRunAtATime } from '../../shared/one-run-at-a-time';

/** Spaces joined or shared since the last look (and key changes) are picked up this often. */
const SPACES_CHECK_MS = 10_000;
/** Changes from other clients of the host (a window, an import) are compared with peers after this pause. */
const RESYNC_AFTER_MS = 500;
/** A space whose join failed is tried again after this. */
const JOIN_RETRY_MS = 60_000;

interface SpacePeer {
  /** The store the peer was joined with (a reloaded store means joining again). */
  store: unknown;
  sync: PeerSync;
  close(): void;
}

export class HeadlessSync {
  private readonly host: LocalHost;
  private readonly spaces = new Map<string, SpacePeer>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Spaces whose last join failed, and when to try again. */
  private readonly retryAt = new Map<string, number>();
  private closed = false;
  /** The binding for Node, loaded by `start` (a native module: a host that does not sync by itself never loads it). */
  private webrtc: WrtcImplementation | null = null;

  private readonly offRemoving: () => void;

  constructor(private readonly service: HostService) {
    this.host = localHost(service);
    this.offRemoving = service.onSpaceRemoving((spaceId) => this.leave(spaceId));
  }

  /** Joins the rooms of every shared space now, and of those shared or joined later. */
  async start(): Promise<void> {
    // y-webrtc's signalling client uses the WebSocket global (Node 20 has none): ours, always, so that a
    // frame y-webrtc cannot read is dropped instead of ending the process (signalling-websocket.ts).
    (globalThis as { WebSocket?: unknown }).WebSocket = SignallingWebSocket;
    this.webrtc = (await import('@roamhq/wrtc')).default as unknown as WrtcImplementation;
    // A member needs a name and an id: an always-on host that was never given one names itself after its machine.
    if (!(await this.host.call('profile.get', {})).profile) {
      await this.host.call('profile.set', { profile: { id: newId(), name: `Always-on host (${hostname().slice(0, 60)})`, color: '#6b665d' } });
    }
    this.host.on('space.key', () => void this.check());
    this.timer = setInterval(() => void this.check(), SPACES_CHECK_MS);
    this.timer.unref?.();
    await this.check();
  }

  /** The spaces this host syncs now. */
  syncing(): string[] {
    return [...this.spaces.keys()];
  }

  /** One check at a time, and at most one waiting: ticks while a check is slow add nothing. */
  private readonly check = oneRunAtATime(async () => {
    if (this.closed) return;
    let ids: string[];
    try {
      ids = (await this.host.call('spaces.list', {})).spaces.map((s) => s.id);
    } catch (error) {
      logger.warn(`headless sync: ${errorMessage(error)}`);
      return;
    }
    for (const [id, peer] of this.spaces) {
      // A space removed from this device, or whose store was reloaded after a failed write, is left (and joined again).
      const current = ids.includes(id) ? await this.service.space(id).catch(() => null) : null;
      if (current?.store === peer.store) continue;
      peer.close();
      this.spaces.delete(id);
    }
    for (const id of ids) {
      if (this.spaces.has(id) || this.closed || (this.retryAt.get(id) ?? 0) > Date.now()) continue;
      // Each space on its own: one that fails waits a while and does not keep the others out.
      try {
        const sharing = await this.host.call('space.sharing', { spaceId: id, create: false });
        if (!sharing.room) continue;
        const peer = await this.join(id);
        if (this.closed) peer.close();
        else this.spaces.set(id, peer);
        this.retryAt.delete(id);
      } catch (error) {
        this.retryAt.set(id, Date.now() + JOIN_RETRY_MS);
        logger.warn(`headless sync of space ${id}: ${errorMessage(error)}; trying again in ${JOIN_RETRY_MS / 1000} s`);
      }
    }
  });

  /** A space is being removed from this device: leave its room now, before its folder goes. */
  leave(spaceId: string): void {
    this.spaces.get(spaceId)?.close();
    this.spaces.delete(spaceId);
  }

  private async join(spaceId: string): Promise<SpacePeer> {
    const { host } = this;
    const space = await this.service.space(spaceId);
    await host.call('space.subscribe', { spaceId });
    const warn = (message: string) => logger.warn(`space ${spaceId}: ${message}`);
    // The catalog is read from the host's own copy (what it lists) and written through the host, like every note.
    const store = new SpaceSyncStore(host, spaceId, space.store.catalog, () => undefined, warn, false);
    const profile = (await host.call('profile.get', {})).profile;
    // Nothing below waits: a join that failed above left nothing running.
    const files = new SpaceFiles(spaceId, host, async (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()), warn);
    const sync = new PeerSync(spaceId, host, store, files, this.webrtc ?? undefined);
    sync.setMember({ name: profile?.name ?? 'Always-on host', color: profile?.color ?? '#6b665d' });
    // A host with no window says in its log when members come and go.
    let peersBefore = 0;
    let problemsBefore = '';
    const offStatus = sync.onStatus((status) => {
      if (status.peers !== peersBefore) logger.info(`space ${spaceId}: ${status.peers} ${status.peers === 1 ? 'member' : 'members'} connected`);
      peersBefore = status.peers;
      // What keeps the space's relays from working, said once each time it changes (a service's log is where an operator looks).
      const problems = status.problems.join(' ');
      if (problems !== problemsBefore && problems) logger.warn(`space ${spaceId}: ${problems}`);
      problemsBefore = problems;
    });
    logger.info(`space ${spaceId}: looking for members`);
    let resync: ReturnType<typeof setTimeout> | null = null;
    const changed = (event: { spaceId: string }) => {
      if (event.spaceId !== spaceId) return;
      // What other clients of this host wrote (a window, an import) did not travel live from here: compare again.
      if (resync !== null) clearTimeout(resync);
      resync = setTimeout(() => {
        resync = null;
        sync.engine.resync();
      }, RESYNC_AFTER_MS);
    };
    const offs = [host.on('space.changed', changed), host.on('space.update', changed)];
    // Documents from peers that the catalog did not list yet may be listed once the catalog arrived.
    const offCatalog = space.store.onUpdate((docId) => docId === CATALOG_DOC_ID && sync.engine.recheckHeld());
    return {
      store: space.store,
      sync,
      close: () => {
        for (const off of offs) off();
        offStatus();
        offCatalog();
        if (resync !== null) clearTimeout(resync);
        sync.destroy();
        files.destroy();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.offRemoving();
    if (this.timer !== null) clearInterval(this.timer);
    for (const peer of this.spaces.values()) peer.close();
    this.spaces.clear();
    this.host.close();
  }
}
