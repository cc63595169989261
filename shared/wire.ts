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

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? { $bytes: toBase64(v) } : v));
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
