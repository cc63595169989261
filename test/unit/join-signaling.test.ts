/**
 * Joining must not hang when one signalling server is reached through two of a page's connections (on
 * one machine, an invite names the inviter's server by 127.0.0.1 and by the LAN address, and mDNS
 * finds it a third time). The server relays each publish to every connection, and y-webrtc, which
 * applies what it is given, answered one offer twice: its second answer failed, one side closed the
 * connection, and the other waited on it for good while ignoring the peer's announcements.
 * test/e2e/join.e2e.ts shows the whole thing in browsers; these pin the two parts of the fix.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { WebsocketClient } from 'lib0/websocket';
import { HostError, type HostApi } from '../../shared/host-api';
import type { NoteSyncStore } from '../../shared/note-sync/engine';
import { logger } from '../../main/services/logger';
import { startSignalingServer, type SignalingServer } from '../../main/services/signaling-server';
import { CONNECT_TIMEOUT_MS, dropRelayedCopies, isRelayedCopy, PeerSync, RELAYED_COPY_MAX, RELAYED_COPY_WINDOW_MS } from '../../shared/peer/peer-sync';

logger.setQuiet(true);

let server: SignalingServer | null = null;
const clients: WebsocketClient[] = [];
const syncs: PeerSync[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const sync of syncs.splice(0)) sync.destroy();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  await server?.close();
  server = null;
});

/** A fresh topic per test: what was seen is remembered page-wide. */
let topics = 0;
const topic = () => `join-topic-${++topics}-${Math.random().toString(36).slice(2)}`;
/** Stands for y-webrtc's encrypted payload (base64 of the algorithm, a random IV and the ciphertext). */
const payload = () => Buffer.from(`AES-GCM${Math.random()}${Math.random()}`.padEnd(200, 'x')).toString('base64');

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

/** A connection as y-webrtc opens them (lib0's WebsocketClient), counting the publishes it hands on. */
async function pageConnection(url: string, seen: string[]): Promise<WebsocketClient> {
  const client = new WebsocketClient(url);
  clients.push(client);
  client.on('message', (message: { type?: string; data?: string }) => {
    if (message.type === 'publish' && typeof message.data === 'string') seen.push(message.data);
  });
  await until(() => client.connected, `a connection to ${url}`);
  return client;
}

describe('signalling copies', () => {
  it('a publish relayed through two connections to one server reaches y-webrtc once', async () => {
    vi.stubGlobal('WebSocket', WebSocket);
    server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const room = topic();
    // One page, two connections to the same server (y-webrtc keys them by URL: 127.0.0.1 and the LAN address, say).
    const filtered: string[] = [];
    const both = [await pageConnection(`ws://127.0.0.1:${server.port}`, filtered), await pageConnection(`ws://127.0.0.1:${server.port}`, filtered)];
    for (const connection of both) {
      dropRelayedCopies(connection);
      dropRelayedCopies(connection); // a second call changes nothing
      connection.send({ type: 'subscribe', topics: [room] });
    }
    // Without the filter, as before: every publish twice.
    const unfiltered: string[] = [];
    const plain = [await pageConnection(`ws://127.0.0.1:${server.port}`, unfiltered), await pageConnection(`ws://127.0.0.1:${server.port}`, unfiltered)];
    for (const connection of plain) connection.send({ type: 'subscribe', topics: [room] });
    const peer = await pageConnection(`ws://127.0.0.1:${server.port}`, []);
    peer.send({ type: 'subscribe', topics: [room] });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const offer = payload();
    const candidate = payload();
    peer.send({ type: 'publish', topic: room, data: offer });
    peer.send({ type: 'publish', topic: room, data: candidate });
    await until(() => unfiltered.length === 4, 'the unfiltered copies');
    await until(() => filtered.length === 2, 'the filtered messages');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unfiltered.sort()).toEqual([offer, offer, candidate, candidate].sort());
    expect(filtered.sort()).toEqual([offer, candidate].sort());
  });

  it('lets through distinct publishes, other topics, other messages, and a payload again after the window', () => {
    const room = topic();
    const data = payload();
    const now = Date.now();
    expect(isRelayedCopy({ type: 'publish', topic: room, data }, now)).toBe(false);
    expect(isRelayedCopy({ type: 'publish', topic: room, data }, now + 5)).toBe(true);
    expect(isRelayedCopy({ type: 'publish', topic: topic(), data }, now + 5)).toBe(false);
    expect(isRelayedCopy({ type: 'publish', topic: room, data: payload() }, now + 5)).toBe(false);
    for (let i = 0; i < 3; i++) expect(isRelayedCopy({ type: 'pong' }, now)).toBe(false);
    expect(isRelayedCopy(null, now)).toBe(false);
    expect(isRelayedCopy({ type: 'publish', topic: room, data: { not: 'encrypted' } }, now)).toBe(false);
    expect(isRelayedCopy({ type: 'publish', topic: room, data: { not: 'encrypted' } }, now)).toBe(false);
    expect(isRelayedCopy({ type: 'publish', topic: room, data }, now + RELAYED_COPY_WINDOW_MS + 10)).toBe(false);
  });

  it('remembers a bounded number of messages', () => {
    const room = topic();
    const now = Date.now();
    const first = payload();
    isRelayedCopy({ type: 'publish', topic: room, data: first }, now);
    for (let i = 0; i < RELAYED_COPY_MAX; i++) isRelayedCopy({ type: 'publish', topic: room, data: payload() }, now);
    // The oldest was let go to make room: seen again, it passes.
    expect(isRelayedCopy({ type: 'publish', topic: room, data: first }, now)).toBe(false);
  });
});

/** A host that is never reachable: PeerSync keeps retrying it, which is all this needs. */
const offlineHost: HostApi = {
  call: async () => {
    throw new HostError('unavailable', 'offline');
  },
  on: () => () => {},
  onConnection: (listener) => {
    listener(false);
    return () => {};
  },
};

const noStore: NoteSyncStore = {
  manifest: async () => new Uint8Array(2048),
  bucketDocs: async () => [],
  stateVectors: async (ids) => ids.map(() => new Uint8Array([0])),
  diffs: async (requests) => requests.map(() => Y.encodeStateAsUpdate(new Y.Doc())),
  apply: async () => {},
  isListed: () => true,
};

describe('connections that never open', () => {
  it(`are given up after ${CONNECT_TIMEOUT_MS / 1000} s, so y-webrtc announces again and starts over; open ones are kept`, () => {
    vi.useFakeTimers();
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sync = new PeerSync('space-join-stall', offlineHost, noStore);
    syncs.push(sync);
    // y-webrtc's side of it: the room's connection per remote peer. One whose other end closed before
    // sending a candidate stays unconnected for good.
    const stalled = { connected: false, closed: false, destroy: vi.fn() };
    const open = { connected: true, closed: false, destroy: vi.fn() };
    const provider = { room: { webrtcConns: new Map([['stalled-peer', stalled], ['open-peer', open]]) }, signalingConns: [], disconnect: () => {}, destroy: () => {} };
    (sync as unknown as { provider: unknown }).provider = provider;

    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS - 1000);
    expect(stalled.destroy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    expect(stalled.destroy).toHaveBeenCalledTimes(1);
    // Destroyed once: y-webrtc drops it on its close event.
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS * 2);
    expect(stalled.destroy).toHaveBeenCalledTimes(1);
    expect(open.destroy).not.toHaveBeenCalled();
  });
});
