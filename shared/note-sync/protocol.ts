/**
 * The wire format of document sync between members: messages that travel on the data channels a
 * space's peers already share, each starting with NOTE_SYNC_MESSAGE so they are told apart from
 * y-webrtc's own (which use 0 to 4). Every document is named in every message, so any number of
 * documents share one channel, as Hocuspocus frames documents on one WebSocket.
 *
 *   MANIFEST      the XOR of the digests of the documents in each of 256 buckets
 *   BUCKET_DOCS   the documents and digests of the buckets whose digests differed (maybe none)
 *   PULL          "send me what I lack": document ids with their state vectors
 *   DOCS          the updates a PULL asked for
 *   UPDATE        one live edit, relayed to the other peers once
 *
 * Decoding is strict and bounded: a malformed, oversized or unknown message is refused with a reason.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { DIGEST_BYTES } from '../doc-digest';
import { CATALOG_DOC_ID, isNoteId } from '../note-doc';
import { errorMessage } from '../errors';

/** First varint of every message of this protocol (y-webrtc uses 0 to 4). */
export const NOTE_SYNC_MESSAGE = 100;
export const BUCKETS = 256;
export const MANIFEST_BYTES = BUCKETS * DIGEST_BYTES;
/** Documents one BUCKET_DOCS message may list (a 20,000-note space takes a few). */
export const MAX_LISTED_DOCS = 8192;
/** Documents one PULL or DOCS message may carry. */
export const MAX_DOCS_PER_MESSAGE = 512;
/** Largest state vector accepted (a few bytes per client that ever wrote the document). */
export const MAX_STATE_VECTOR_BYTES = 64 * 1024;

export type NoteSyncMessage =
  | { kind: 'manifest'; buckets: Uint8Array }
  | { kind: 'bucket-docs'; buckets: number[]; docs: Array<{ docId: string; digest: Uint8Array }>; final: boolean }
  | { kind: 'pull'; requests: Array<{ docId: string; stateVector: Uint8Array }> }
  | { kind: 'docs'; updates: Array<{ docId: string; update: Uint8Array }> }
  | { kind: 'update'; docId: string; update: Uint8Array };

const KINDS = { manifest: 0, 'bucket-docs': 1, pull: 2, docs: 3, update: 4 } as const;

export function isDocId(value: unknown): value is string {
  return value === CATALOG_DOC_ID || isNoteId(value);
}

/** The bucket a document's digest is counted in: FNV-1a of its id, low byte (the same on every peer). */
export function bucketOf(docId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < docId.length; i++) {
    hash ^= docId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & (BUCKETS - 1);
}

export function encodeNoteSyncMessage(message: NoteSyncMessage): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, NOTE_SYNC_MESSAGE);
  encoding.writeVarUint(encoder, KINDS[message.kind]);
  switch (message.kind) {
    case 'manifest':
      encoding.writeUint8Array(encoder, message.buckets);
      break;
    case 'bucket-docs':
      encoding.writeVarUint(encoder, message.final ? 1 : 0);
      encoding.writeVarUint(encoder, message.buckets.length);
      for (const bucket of message.buckets) encoding.writeVarUint(encoder, bucket);
      encoding.writeVarUint(encoder, message.docs.length);
      for (const { docId, digest } of message.docs) {
        encoding.writeVarString(encoder, docId);
        encoding.writeUint8Array(encoder, digest);
      }
      break;
    case 'pull':
      encoding.writeVarUint(encoder, message.requests.length);
      for (const { docId, stateVector } of message.requests) {
        encoding.writeVarString(encoder, docId);
        encoding.writeVarUint8Array(encoder, stateVector);
      }
      break;
    case 'docs':
      encoding.writeVarUint(encoder, message.updates.length);
      for (const { docId, update } of message.updates) {
        encoding.writeVarString(encoder, docId);
        encoding.writeVarUint8Array(encoder, update);
      }
      break;
    case 'update':
      encoding.writeVarString(encoder, message.docId);
      encoding.writeVarUint8Array(encoder, message.update);
      break;
  }
  return encoding.toUint8Array(encoder);
}

/** Whether a data-channel message belongs to this protocol (and not to y-webrtc). */
export function isNoteSyncMessage(message: Uint8Array): boolean {
  return message.byteLength > 0 && message[0] === NOTE_SYNC_MESSAGE;
}

export type DecodeResult = { ok: true; message: NoteSyncMessage } | { ok: false; reason: string };

class Refused extends Error {}

function count(decoder: decoding.Decoder, max: number, what: string): number {
  const n = decoding.readVarUint(decoder);
  if (n > max) throw new Refused(`${n} ${what}, over the limit of ${max}`);
  return n;
}

function docId(decoder: decoding.Decoder): string {
  const id: string = decoding.readVarString(decoder);
  if (!isDocId(id)) throw new Refused(`${JSON.stringify(String(id).slice(0, 40))} is no document id`);
  return id;
}

/** Decodes one message of this protocol, or says why it is refused; never throws. */
export function decodeNoteSyncMessage(bytes: Uint8Array): DecodeResult {
  try {
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== NOTE_SYNC_MESSAGE) return { ok: false, reason: 'not a document sync message' };
    const kind = decoding.readVarUint(decoder);
    let message: NoteSyncMessage;
    switch (kind) {
      case KINDS.manifest:
        message = { kind: 'manifest', buckets: decoding.readUint8Array(decoder, MANIFEST_BYTES).slice() };
        break;
      case KINDS['bucket-docs']: {
        const final = decoding.readVarUint(decoder) === 1;
        const buckets: number[] = [];
        for (let i = count(decoder, BUCKETS, 'buckets'); i > 0; i--) {
          const bucket = decoding.readVarUint(decoder);
          if (bucket >= BUCKETS) throw new Refused(`bucket ${bucket} does not exist`);
          buckets.push(bucket);
        }
        const docs: Array<{ docId: string; digest: Uint8Array }> = [];
        for (let i = count(decoder, MAX_LISTED_DOCS, 'documents listed'); i > 0; i--) docs.push({ docId: docId(decoder), digest: decoding.readUint8Array(decoder, DIGEST_BYTES).slice() });
        message = { kind: 'bucket-docs', buckets, docs, final };
        break;
      }
      case KINDS.pull: {
        const requests: Array<{ docId: string; stateVector: Uint8Array }> = [];
        for (let i = count(decoder, MAX_DOCS_PER_MESSAGE, 'documents pulled'); i > 0; i--) {
          const id = docId(decoder);
          const stateVector = decoding.readVarUint8Array(decoder);
          if (stateVector.byteLength > MAX_STATE_VECTOR_BYTES) throw new Refused(`a state vector of ${stateVector.byteLength} bytes`);
          requests.push({ docId: id, stateVector });
        }
        message = { kind: 'pull', requests };
        break;
      }
      case KINDS.docs: {
        const updates: Array<{ docId: string; update: Uint8Array }> = [];
        for (let i = count(decoder, MAX_DOCS_PER_MESSAGE, 'documents sent'); i > 0; i--) updates.push({ docId: docId(decoder), update: decoding.readVarUint8Array(decoder) });
        message = { kind: 'docs', updates };
        break;
      }
      case KINDS.update:
        message = { kind: 'update', docId: docId(decoder), update: decoding.readVarUint8Array(decoder) };
        break;
      default:
        return { ok: false, reason: `unknown message kind ${kind}` };
    }
    if (decoding.hasContent(decoder)) return { ok: false, reason: `${bytes.byteLength - decoder.pos} bytes after the end of a ${message.kind} message` };
    return { ok: true, message };
  } catch (error) {
    return { ok: false, reason: error instanceof Refused ? error.message : `malformed: ${errorMessage(error)}` };
  }
}
