/**
 * A signalling server does not stop the always-on host, whatever it sends or leaves unsaid. With ws's own
 * WebSocket, two things threw out of ws and ended the Node process: a frame y-webrtc cannot read (not
 * JSON, `null`; lib0 parses each inside ws's message event and y-webrtc reads it there), and a send on a
 * socket still connecting (lib0 reconnects at once and sends whenever y-webrtc has a signal). The host
 * gives y-webrtc SignallingWebSocket, which drops both, and later frames still arrive.
 */
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';
import { SignallingWebSocket } from '../../main/services/signalling-websocket';
import { logger } from '../../main/services/logger';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

describe('a signalling server that sends what y-webrtc cannot read', () => {
  it('has its unreadable frames dropped with a warning, and its next frame read', async () => {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    // What a hostile or broken server sends first, then a frame y-webrtc reads.
    wss.on('connection', (socket) => {
      socket.send('not json');
      socket.send('null');
      socket.send(JSON.stringify({ type: 'pong' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    cleanups.push(() => wss.close());
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});

    const previous = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = SignallingWebSocket;
    cleanups.push(() => ((globalThis as { WebSocket?: unknown }).WebSocket = previous));
    const { port } = server.address() as AddressInfo;
    const provider = new WebrtcProvider('hostile-server-room', new Y.Doc(), { signaling: [`ws://127.0.0.1:${port}`], password: 'the space key, derived' });
    cleanups.push(() => {
      provider.disconnect();
      provider.destroy();
    });
    const read: unknown[] = [];
    (provider.signalingConns[0] as unknown as { on(name: string, f: (m: unknown) => void): void }).on('message', (m) => read.push(m));

    await vi.waitFor(() => expect(read).toContainEqual({ type: 'pong' }), { timeout: 5000 });
    // One warning line for the first unreadable frame; the second is counted toward the next line.
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/^signalling: dropped 1 message\(s\) from a server that could not be read: /);
  });

  it('has a send on a socket still connecting dropped, where ws throws', async () => {
    // A server that takes the connection and never answers the upgrade.
    const server = createTcpServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const plain = new WebSocket(url);
    const guarded = new SignallingWebSocket(url);
    cleanups.push(() => plain.terminate(), () => guarded.terminate());
    plain.on('error', () => {});
    guarded.on('error', () => {});
    expect(plain.readyState).toBe(WebSocket.CONNECTING);
    expect(() => plain.send('{"type":"subscribe","topics":[]}')).toThrow(/not open/);
    expect(guarded.readyState).toBe(WebSocket.CONNECTING);
    expect(() => guarded.send('{"type":"subscribe","topics":[]}')).not.toThrow();
  });
});
