/**
 * Framing for data-channel messages of any size: Chromium silently drops data-channel messages over
 * 256 KiB, and y-webrtc sends a whole sync step as one. Each message becomes frames of at most
 * FRAME_BYTES: [magic u8][message id u32][index u32][count u32][payload]. A data channel is
 * reliable and ordered, so frames of one message arrive in order and never interleave with another's;
 * anything else is a broken or hostile peer, and the frame (and the message it belongs to) is dropped.
 */
export const FRAME_BYTES = 64 * 1024;
const MAGIC = 0xc7;
const HEADER_BYTES = 13;
export const FRAME_PAYLOAD_BYTES = FRAME_BYTES - HEADER_BYTES;
/** Largest message reassembled; matches the largest update a host accepts. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Splits one message into frames (an empty message is one empty frame). */
export function encodeFrames(message: Uint8Array, messageId: number, frameBytes = FRAME_BYTES): Uint8Array[] {
  const payloadBytes = frameBytes - HEADER_BYTES;
  if (payloadBytes <= 0) throw new RangeError('frames too small');
  const count = Math.max(1, Math.ceil(message.length / payloadBytes));
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const payload = message.subarray(index * payloadBytes, (index + 1) * payloadBytes);
    const frame = new Uint8Array(HEADER_BYTES + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint8(0, MAGIC);
    view.setUint32(1, messageId >>> 0);
    view.setUint32(5, index);
    view.setUint32(9, count);
    frame.set(payload, HEADER_BYTES);
    frames.push(frame);
  }
  return frames;
}

export type FrameResult = { kind: 'partial' } | { kind: 'message'; message: Uint8Array } | { kind: 'error'; reason: string };

/** Reassembles frames from one channel; never throws, reports what it drops. */
export class FrameAssembler {
  private messageId = -1;
  private count = 0;
  private next = 0;
  private parts: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  private reset(): void {
    this.messageId = -1;
    this.count = 0;
    this.next = 0;
    this.parts = [];
    this.bytes = 0;
  }

  push(data: unknown): FrameResult {
    if (!(data instanceof Uint8Array) && !(data instanceof ArrayBuffer)) {
      this.reset();
      return { kind: 'error', reason: 'a frame that is not binary' };
    }
    const frame = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (frame.length < HEADER_BYTES || frame[0] !== MAGIC) {
      this.reset();
      return { kind: 'error', reason: 'a frame without our header' };
    }
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const messageId = view.getUint32(1);
    const index = view.getUint32(5);
    const count = view.getUint32(9);
    const payload = frame.subarray(HEADER_BYTES);
    if (count === 0 || index >= count) {
      this.reset();
      return { kind: 'error', reason: `a frame numbered ${index} of ${count}` };
    }
    if (count > Math.ceil(this.maxMessageBytes / Math.max(1, FRAME_PAYLOAD_BYTES)) + 1) {
      this.reset();
      return { kind: 'error', reason: `a message of ${count} frames, over the ${this.maxMessageBytes}-byte cap` };
    }
    if (index === 0) {
      const interrupted = this.messageId !== -1;
      this.reset();
      this.messageId = messageId;
      this.count = count;
      if (interrupted) {
        // Keep the new message, but say that the previous one never finished.
        const result = this.accept(payload);
        return result.kind === 'message' ? result : { kind: 'error', reason: 'a message interrupted by the next one' };
      }
      return this.accept(payload);
    }
    if (messageId !== this.messageId || index !== this.next || count !== this.count) {
      this.reset();
      return { kind: 'error', reason: 'a frame out of order' };
    }
    return this.accept(payload);
  }

  private accept(payload: Uint8Array): FrameResult {
    this.bytes += payload.length;
    if (this.bytes > this.maxMessageBytes) {
      this.reset();
      return { kind: 'error', reason: `a message over the ${this.maxMessageBytes}-byte cap` };
    }
    this.parts.push(payload);
    this.next++;
    if (this.next < this.count) return { kind: 'partial' };
    const message = this.parts.length === 1 ? this.parts[0]!.slice() : concat(this.parts, this.bytes);
    this.reset();
    return { kind: 'message', message };
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
