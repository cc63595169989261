/**
 * Guarded entry points for bytes that arrive from elsewhere (the host, a peer): a malformed,
 * truncated or bit-flipped update is refused with a reason and the document is left as it was.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { errorMessage } from './errors';

export type UpdateCheck = { ok: true } | { ok: false; reason: string };

function reasonOf(error: unknown): string {
  return errorMessage(error);
}

/** Whether bytes decode completely as a Yjs update (every struct and the delete set). */
export function checkUpdate(update: Uint8Array): UpdateCheck {
  if (!(update instanceof Uint8Array)) return { ok: false, reason: 'not bytes' };
  try {
    Y.decodeUpdate(update);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `not a Yjs update: ${reasonOf(error)}` };
  }
}

/**
 * Applies an update only if it decodes; returns false (and leaves the doc alone) otherwise. An update
 * whose dependencies are missing is kept pending by Yjs, which changes no content.
 */
export function tryApplyUpdate(doc: Y.Doc, update: Uint8Array, origin?: unknown, onError?: (reason: string) => void): boolean {
  const check = checkUpdate(update);
  if (!check.ok) {
    onError?.(check.reason);
    return false;
  }
  try {
    Y.applyUpdate(doc, update, origin);
    return true;
  } catch (error) {
    onError?.(`update could not be applied: ${reasonOf(error)}`);
    return false;
  }
}

export type SyncMessageResult =
  | { ok: true; type: 'step1' | 'step2' | 'update'; reply: Uint8Array | null }
  | { ok: false; reason: string };

/**
 * Reads one y-protocols sync message (step 1, step 2 or update) like `readSyncMessage`, but checks
 * every payload before it reaches the doc. A step 1 gets its step 2 reply in `reply`.
 */
export function tryReadSyncMessage(doc: Y.Doc, message: Uint8Array, origin?: unknown): SyncMessageResult {
  try {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (type === syncProtocol.messageYjsSyncStep1) {
      Y.decodeStateVector(payload);
      const encoder = encoding.createEncoder();
      syncProtocol.writeSyncStep2(encoder, doc, payload);
      return { ok: true, type: 'step1', reply: encoding.toUint8Array(encoder) };
    }
    if (type === syncProtocol.messageYjsSyncStep2 || type === syncProtocol.messageYjsUpdate) {
      let reason = '';
      if (!tryApplyUpdate(doc, payload, origin, (r) => (reason = r))) return { ok: false, reason };
      return { ok: true, type: type === syncProtocol.messageYjsUpdate ? 'update' : 'step2', reply: null };
    }
    return { ok: false, reason: `unknown sync message type ${type}` };
  } catch (error) {
    return { ok: false, reason: `malformed sync message: ${reasonOf(error)}` };
  }
}
