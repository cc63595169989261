/**
 * A signalling server that sends frames y-webrtc cannot read (not JSON, `null`) does not stop the
 * always-on host. lib0 parses each frame inside ws's message event and y-webrtc reads it there; with
 * ws's own WebSocket such a frame threw out of the event and ended the Node process. The host gives
 * y-webrtc SignallingWebSocket, which drops the frame with a warning; later frames still arrive.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
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
});
