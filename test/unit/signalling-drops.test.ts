/**
 * Signalling messages y-webrtc cannot use are dropped, and nothing throws. In y-webrtc 10.3.0 each of
 * these threw, in a window as an unhandled rejection, but in the always-on host (Node) it ended the
 * process, and with it every member's sync through that host:
 * - an answer from a peer whose connection is already gone here (given up as stalled, or closed while
 *   the answer was on its way), seen in test/e2e/relay.e2e.ts;
 * - a publish to the room's topic that the room's key does not open, which any signalling server, or
 *   anyone subscribed to the topic, can send.
 * The fix is a patch to y-webrtc (patches/, applied by `npm install`); these run the real y-webrtc on the
 * path a signalling message takes. Answers that do reach their connection are what every peer-to-peer
 * end-to-end test exercises.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';

// y-webrtc's signalling client uses the WebSocket global, which Node 20 lacks (as in headless-sync.ts).
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

interface RoomInternals {
  peerId: string;
  webrtcConns: Map<string, unknown>;
}
interface ConnectionInternals {
  emit(name: string, args: unknown[]): void;
}

const providers: WebrtcProvider[] = [];
afterEach(() => {
  for (const provider of providers.splice(0)) {
    provider.disconnect();
    provider.destroy();
  }
});

/** A provider whose room is open, and the signalling connection messages reach it through. */
async function openRoom(name: string, password: string | null = null): Promise<{ room: RoomInternals; connection: ConnectionInternals }> {
  // Without a password y-webrtc reads a message as it arrives; with one, once decrypted.
  const provider = new WebrtcProvider(name, new Y.Doc(), { signaling: ['ws://127.0.0.1:9'], password: password as string | undefined });
  providers.push(provider);
  await provider.key;
  const room = (provider as unknown as { room: RoomInternals | null }).room;
  if (!room) throw new Error('the room did not open');
  return { room, connection: provider.signalingConns[0] as unknown as ConnectionInternals };
}

const answer = (room: RoomInternals, from: string) => ({
  type: 'publish',
  topic: 'stale-answer-room',
  data: { type: 'signal', from, to: room.peerId, token: 0.5, signal: { type: 'answer', sdp: 'v=0\r\n' } },
});

describe('signalling messages y-webrtc cannot use', () => {
  it('an answer for a connection that is gone is dropped: nothing throws and no connection is made for it', async () => {
    const { room, connection } = await openRoom('stale-answer-room');
    expect(() => connection.emit('message', [answer(room, 'peer-that-left')])).not.toThrow();
    expect(room.webrtcConns.has('peer-that-left')).toBe(false);
  });

  it('a message the room key does not open is dropped, with a warning and no unhandled rejection', async () => {
    const { connection } = await openRoom('sealed-room', 'the space key, derived');
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    process.on('unhandledRejection', onRejection);
    try {
      connection.emit('message', [{ type: 'publish', topic: 'sealed-room', data: Buffer.from('not sealed with this key').toString('base64') }]);
      await vi.waitFor(() => expect(warn).toHaveBeenCalledWith('y-webrtc: dropped a signalling message that could not be read:', expect.any(String)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      warn.mockRestore();
    }
  });
});
