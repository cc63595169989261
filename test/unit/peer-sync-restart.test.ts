/**
 * When PeerSync stops its provider (the space's key or relays changed, or the window closed), y-webrtc
 * may still act on a signal it was decrypting at that moment and open a connection for the room it has
 * just left. Such a connection would use the old key's room and the old relays (a removed member could
 * be on its other end) and nothing would ever close it. The stopped provider's WebRTC refuses it, and
 * so does an offline one's. And a stopped provider lets go of its signalling connections: y-webrtc keeps
 * one per URL for the page, so a rendezvous taken away from the space used to stay connected.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import './support/websocket-global';
import { PeerSync } from '../../shared/peer/peer-sync';
import { chunkedWrtc, type WrtcImplementation } from '../../shared/peer/chunked-webrtc';
import { NO_RELAYS, type SpaceRelays } from '../../shared/relays';
import type { HostApi } from '../../shared/host-api';
import { MemoryNoteStore } from './support/memory-note-store';


/** Counts the peer connections made through it; nothing here connects anywhere. */
class CountedPeerConnection {
  static made = 0;
  constructor() {
    CountedPeerConnection.made++;
  }
  addEventListener(): void {}
  createDataChannel(): object {
    return {};
  }
  setRemoteDescription(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}
const fakeWebrtc = { RTCPeerConnection: CountedPeerConnection, RTCSessionDescription: class {}, RTCIceCandidate: class {} } as unknown as WrtcImplementation;

const TURN: SpaceRelays = { rendezvous: [], turn: [{ url: 'turn:203.0.113.7:3478', username: 'ward-7', credential: 'first' }] };

/** A host with one shared space, whose relays can be set, and no signalling servers to reach. */
function hostWithSharedSpace(spaceId = 'space-restart', initialRelays = NO_RELAYS): HostApi {
  let relays = initialRelays;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  return {
    call: (async (method: string, input: { relays?: SpaceRelays }) => {
      if (method === 'space.sharing') return { room: { name: `${spaceId}-room`, password: 'a key, derived' }, addresses: [], epoch: 1, removed: false, relays };
      if (method === 'sync.info') return { lan: false, signalingUrls: [], addresses: [] };
      if (method === 'space.setRelays') {
        relays = input.relays!;
        for (const listener of listeners.get('space.relays') ?? []) listener({ spaceId, relays });
        return { relays };
      }
      throw new Error(`not in this test: ${method}`);
    }) as HostApi['call'],
    on: ((event: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    }) as HostApi['on'],
    onConnection: (listener) => {
      listener(true);
      return () => {};
    },
  };
}


/** The WebRTC PeerSync gave its current y-webrtc provider. */
const providerWebrtc = (sync: PeerSync): WrtcImplementation => {
  const provider = (sync as unknown as { provider: { peerOpts: { wrtc: WrtcImplementation } } | null }).provider;
  if (!provider) throw new Error('no provider running');
  return provider.peerOpts.wrtc;
};

/** y-webrtc's signalling connections of PeerSync's current provider. */
type SignalingConnection = { url: string; shouldConnect: boolean };
const signalingConnections = (sync: PeerSync): SignalingConnection[] => (sync as unknown as { provider: { signalingConns: SignalingConnection[] } }).provider.signalingConns;

const syncs: PeerSync[] = [];
afterEach(() => {
  for (const sync of syncs.splice(0)) sync.destroy();
  vi.restoreAllMocks();
});

describe('a stopped provider opens no connection', () => {
  it('the WebRTC of a provider stopped for new relays refuses a connection; the new one makes it', async () => {
    const sync = new PeerSync('space-restart', hostWithSharedSpace(), new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(sync);
    await vi.waitFor(() => providerWebrtc(sync), { timeout: 10_000 });
    const before = providerWebrtc(sync);
    expect(() => new before.RTCPeerConnection({})).not.toThrow();

    await sync.saveRelays(TURN);
    // The host's event restarts the provider; saveRelays may return while it is starting.
    await vi.waitFor(() => expect(providerWebrtc(sync)).not.toBe(before), { timeout: 10_000 });
    const after = providerWebrtc(sync);
    const made = CountedPeerConnection.made;
    expect(() => new before.RTCPeerConnection({})).toThrow(/peer sync stopped/);
    expect(CountedPeerConnection.made).toBe(made);
    expect(() => new after.RTCPeerConnection({})).not.toThrow();
    expect(CountedPeerConnection.made).toBe(made + 1);

    // And once PeerSync is gone, so is the last one's.
    sync.destroy();
    expect(() => new after.RTCPeerConnection({})).toThrow(/peer sync stopped/);
  });

  it('offline, the current WebRTC refuses a connection too, and back online makes it', async () => {
    const sync = new PeerSync('space-restart', hostWithSharedSpace(), new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(sync);
    await vi.waitFor(() => providerWebrtc(sync), { timeout: 10_000 });
    const wrtc = providerWebrtc(sync);
    sync.setOnline(false);
    expect(() => new wrtc.RTCPeerConnection({})).toThrow(/peer sync stopped/);
    sync.setOnline(true);
    expect(() => new wrtc.RTCPeerConnection({})).not.toThrow();
  });

  it('a rendezvous taken away is dialled no more', async () => {
    const host = hostWithSharedSpace();
    const RENDEZVOUS = 'wss://127.0.0.1:9'; // y-webrtc keeps connections per URL for the process: one URL per test
    await host.call('space.setRelays', { spaceId: 'space-restart', relays: { rendezvous: [RENDEZVOUS], turn: [] } });
    const sync = new PeerSync('space-restart', host, new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(sync);
    await vi.waitFor(() => providerWebrtc(sync), { timeout: 10_000 });
    const connections = () => signalingConnections(sync);
    const rendezvous = connections().find((c) => c.url === RENDEZVOUS)!;
    expect(rendezvous.shouldConnect).toBe(true);

    await sync.saveRelays(NO_RELAYS);
    await vi.waitFor(() => expect(connections().some((c) => c.url === RENDEZVOUS)).toBe(false), { timeout: 10_000 });
    // y-webrtc keeps one connection per URL for the whole page: the old provider's must be closed, not just left.
    expect(rendezvous.shouldConnect).toBe(false);
  });

  it('a PeerSync destroyed (its space closed or left) lets go of its rendezvous connection', async () => {
    const RENDEZVOUS = 'wss://127.0.0.1:19'; // y-webrtc keeps connections per URL for the process: one URL per test
    const sync = new PeerSync('space-restart', hostWithSharedSpace('space-restart', { rendezvous: [RENDEZVOUS], turn: [] }), new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(sync);
    await vi.waitFor(() => providerWebrtc(sync), { timeout: 10_000 });
    const rendezvous = signalingConnections(sync).find((c) => c.url === RENDEZVOUS)!;
    expect(rendezvous.shouldConnect).toBe(true);
    sync.destroy();
    expect(rendezvous.shouldConnect).toBe(false);
  });

  it("restarting while offline leaves another space's connection to the same server alone", async () => {
    const RENDEZVOUS = 'wss://127.0.0.1:29'; // y-webrtc keeps connections per URL for the process: one URL per test
    const relays = { rendezvous: [RENDEZVOUS], turn: [] };
    const a = new PeerSync('space-a', hostWithSharedSpace('space-a', relays), new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(a);
    await vi.waitFor(() => providerWebrtc(a), { timeout: 10_000 });
    a.setOnline(false); // its connection, used by no one else, is closed
    const b = new PeerSync('space-b', hostWithSharedSpace('space-b', relays), new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(b);
    await vi.waitFor(() => providerWebrtc(b), { timeout: 10_000 });
    const shared = signalingConnections(b).find((c) => c.url === RENDEZVOUS)!;

    const before = providerWebrtc(a);
    await a.saveRelays({ ...relays, turn: TURN.turn }); // a restart, while offline
    await vi.waitFor(() => expect(providerWebrtc(a)).not.toBe(before), { timeout: 10_000 });
    a.setOnline(true);
    // One connection per server for the page: space A takes up the one space B holds.
    expect(signalingConnections(a).find((c) => c.url === RENDEZVOUS)).toBe(shared);
    expect(shared.shouldConnect).toBe(true);
  });

  it("keeps this member's presence (name, colour, open note) across a restart", async () => {
    const sync = new PeerSync('space-restart', hostWithSharedSpace(), new MemoryNoteStore(), undefined, fakeWebrtc);
    syncs.push(sync);
    sync.setMember({ name: 'Noor', color: '#2b8a3e' });
    await vi.waitFor(() => providerWebrtc(sync), { timeout: 10_000 });
    sync.awareness.setLocalStateField('awarenessData', { noteId: 'note-handover-01' });
    const before = providerWebrtc(sync);

    await sync.saveRelays(TURN);
    await vi.waitFor(() => expect(providerWebrtc(sync)).not.toBe(before), { timeout: 10_000 });
    // y-webrtc clears the local state as it leaves the old room; it must be back once the new one is open.
    await vi.waitFor(() => expect(sync.awareness.getLocalState()).toMatchObject({ name: 'Noor', color: '#2b8a3e', awarenessData: { noteId: 'note-handover-01' } }), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sync.awareness.getLocalState()).toMatchObject({ name: 'Noor', awarenessData: { noteId: 'note-handover-01' } });
  });

  it('chunkedWrtc without `accepting` makes connections as before', () => {
    const wrtc = chunkedWrtc({ base: fakeWebrtc });
    expect(() => new wrtc.RTCPeerConnection({})).not.toThrow();
  });
});
