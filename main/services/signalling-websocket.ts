/**
 * The WebSocket y-webrtc's signalling client is given in Node (it takes the global one). Two things a
 * signalling server controls threw out of ws and ended the process, so any server the host dials could
 * stop an always-on host:
 * - lib0 parses each frame in `onmessage` and y-webrtc reads it there: a frame they cannot read (not
 *   JSON, `null`) threw. Here it is dropped, with a warning at most once a minute.
 * - lib0 sends on a socket still connecting (it reconnects at once when one drops, and y-webrtc sends
 *   ICE candidates whenever they come): ws throws there. Here the message is dropped, as on a closed
 *   socket; y-webrtc announces again once connected, and a connection that lost its signals starts over.
 */
import type { ClientRequestArgs } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';
import { errorMessage } from '../../shared/errors';
import { logger } from './logger';

/** A server may send many unreadable frames: one line a minute says how many. */
const WARN_EVERY_MS = 60_000;
/** A server that accepts the connection but never upgrades it is given up after this. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Signalling carries encrypted SDP offers of a few KiB (the LAN server takes no more either). */
const MAX_FRAME_BYTES = 64 * 1024;

let dropped = 0;
let lastWarningAt = -Infinity;
let pendingWarning: ReturnType<typeof setTimeout> | null = null;
let lastReason = '';

function warnDropped(): void {
  pendingWarning = null;
  if (dropped === 0) return;
  logger.warn(`signalling: dropped ${dropped} message(s) from a server that could not be read: ${lastReason}`);
  lastWarningAt = Date.now();
  dropped = 0;
}

function noteDropped(error: unknown): void {
  dropped++;
  lastReason = errorMessage(error).slice(0, 120);
  const wait = lastWarningAt + WARN_EVERY_MS - Date.now();
  if (wait <= 0) warnDropped();
  // Those dropped since the last line are told at the end of its minute.
  else if (!pendingWarning) (pendingWarning = setTimeout(warnDropped, wait)).unref?.();
}

export class SignallingWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions | ClientRequestArgs) {
    super(address, protocols, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, maxPayload: MAX_FRAME_BYTES, ...options });
  }

  override send(data: Parameters<WebSocket['send']>[0], ...rest: unknown[]): void {
    if (this.readyState === WebSocket.CONNECTING) return;
    (super.send as (...args: unknown[]) => void).call(this, data, ...rest);
  }
}

const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
if (!onmessage?.get || !onmessage.set) throw new Error('ws has no onmessage accessor to guard');
const { get, set } = onmessage;
Object.defineProperty(SignallingWebSocket.prototype, 'onmessage', {
  configurable: true,
  enumerable: true,
  get(this: WebSocket) {
    return get.call(this);
  },
  set(this: WebSocket, handler: unknown) {
    if (typeof handler !== 'function') return set.call(this, handler);
    set.call(this, function guarded(this: WebSocket, event: unknown) {
      try {
        handler.call(this, event);
      } catch (error) {
        noteDropped(error);
      }
    });
  },
});
