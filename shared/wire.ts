/**
 * JSON framing for the host API over a WebSocket: Uint8Array values travel as {"$bytes": base64},
 * so the same schemas validate both transports.
 */
import { fromBase64, toBase64 } from 'lib0/buffer';

export interface WireRequest {
  id: number;
  method: string;
  input: unknown;
}
export type WireResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };
export interface WireEvent {
  event: string;
  payload: unknown;
}

/**
 * JSON.stringify hands a replacer what toJSON made of a value, and a Node Buffer (a Uint8Array) turns
 * itself into {type, data}: look at the holder's own value to catch every Uint8Array.
 */
function bytesReplacer(replace: (bytes: Uint8Array) => unknown) {
  return function (this: Record<string, unknown>, key: string, v: unknown): unknown {
    const original = this[key];
    return original instanceof Uint8Array ? replace(original) : v;
  };
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, bytesReplacer((bytes) => ({ $bytes: toBase64(bytes) })));
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length === 1 && keys[0] === '$bytes' && typeof record.$bytes === 'string') {
        return fromBase64(record.$bytes);
      }
    }
    return v;
  });
}

/**
 * Binary frames for messages that carry much data (a whole space on first open): a JSON header whose
 * Uint8Arrays are references, followed by the bytes themselves, with no base64 on either side.
 * Layout: "CPW1", u32 header length (little endian), the header (UTF-8 JSON), then the blobs.
 */
const FRAME_MAGIC = [0x43, 0x50, 0x57, 0x31];
/** Messages carrying at least this many bytes go binary to clients that asked for binary frames. */
export const BINARY_FRAME_THRESHOLD = 32 * 1024;

export class WireFormatError extends Error {}

export function encodeWireBinary(value: unknown): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  const header = new TextEncoder().encode(
    JSON.stringify({
      value: JSON.parse(JSON.stringify(value, bytesReplacer((bytes) => ({ $blob: blobs.push(bytes) - 1 })))) as unknown,
      blobs: blobs.map((b) => b.byteLength),
    }),
  );
  const total = 8 + header.byteLength + blobs.reduce((sum, b) => sum + b.byteLength, 0);
  const frame = new Uint8Array(total);
  frame.set(FRAME_MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, header.byteLength, true);
  frame.set(header, 8);
  let offset = 8 + header.byteLength;
  for (const blob of blobs) {
    frame.set(blob, offset);
    offset += blob.byteLength;
  }
  return frame;
}

export function decodeWireBinary(frame: Uint8Array): unknown {
  if (frame.byteLength < 8 || FRAME_MAGIC.some((b, i) => frame[i] !== b)) throw new WireFormatError('not a Commonplace binary frame');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  if (8 + headerLength > frame.byteLength) throw new WireFormatError('binary frame header runs past its end');
  const header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(8, 8 + headerLength))) as { value?: unknown; blobs?: unknown };
  if (!Array.isArray(header.blobs) || !header.blobs.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) throw new WireFormatError('binary frame has no blob table');
  const blobs: Uint8Array[] = [];
  let offset = 8 + headerLength;
  for (const length of header.blobs as number[]) {
    if (offset + length > frame.byteLength) throw new WireFormatError('binary frame is cut short');
    blobs.push(frame.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== frame.byteLength) throw new WireFormatError('binary frame has trailing bytes');
  return JSON.parse(JSON.stringify(header.value), (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const ref = (v as Record<string, unknown>).$blob;
      if (Object.keys(v).length === 1 && typeof ref === 'number') {
        const blob = blobs[ref];
        if (!blob) throw new WireFormatError('binary frame refers to a missing blob');
        return blob;
      }
    }
    return v;
  });
}

/** Total bytes a message carries in Uint8Arrays (to choose text or binary). */
export function carriedBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + carriedBytes(v), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, v) => sum + carriedBytes(v), 0);
  return 0;
}

/** A message as a text frame, or a binary one when it carries much data and the peer reads binary. */
export function encodeWireFrame(value: unknown, binary: boolean): string | Uint8Array<ArrayBuffer> {
  return binary && carriedBytes(value) >= BINARY_FRAME_THRESHOLD ? encodeWireBinary(value) : encodeWire(value);
}
