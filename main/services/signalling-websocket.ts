/**
 * The WebSocket y-webrtc's signalling client is given in Node (it takes the global one). lib0 parses each
 * frame in `onmessage` and y-webrtc reads it there, so a frame that a signalling server sends and they
 * cannot read (not JSON, `null`) threw out of ws's event and ended the process: any server the host
 * dials could stop an always-on host. Here such a frame is dropped, with a warning at most once a minute.
 */
import { WebSocket } from 'ws';
import { errorMessage } from '../../shared/errors';
import { logger } from './logger';

/** A server may send many unreadable frames: one line a minute says how many. */
const WARN_EVERY_MS = 60_000;
let droppedSinceWarning = 0;
let lastWarningAt = -Infinity;

function noteDropped(error: unknown): void {
  droppedSinceWarning++;
  const now = Date.now();
  if (now - lastWarningAt < WARN_EVERY_MS) return;
  logger.warn(`signalling: dropped ${droppedSinceWarning} message(s) from a server that could not be read: ${errorMessage(error).slice(0, 120)}`);
  lastWarningAt = now;
  droppedSinceWarning = 0;
}

export class SignallingWebSocket extends WebSocket {}

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
