/**
 * The wire format of attachment transfer between members, on the data channels a space's peers share
 * (first varint ATTACHMENT_MESSAGE; y-webrtc uses 0 to 4, document sync 100):
 *
 *   WANT   "do you have this file?"                       hash
 *   HAVE   its size and the SHA-256 of each chunk          hash, size, chunk hashes
 *   LACK   "I do not have it"                              hash
 *   GET    one chunk                                       hash, index
 *   CHUNK  the chunk's bytes                               hash, index, bytes
 *   GOT    "I have this file now" (to every peer)           hash
 *
 * Decoding is strict and bounded: a malformed, oversized or unknown message is refused with a reason.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { errorMessage } from '../errors';
import { ATTACHMENT_CHUNK_BYTES, MAX_ATTACHMENT_CHUNKS, toHex } from './attachment';

export const ATTACHMENT_MESSAGE = 101;
const HASH_BYTES = 32;

export type AttachmentMessage =
  | { kind: 'want'; hash: string }
  | { kind: 'have'; hash: string; size: number; chunkHashes: Uint8Array }
  | { kind: 'lack'; hash: string }
  | { kind: 'get'; hash: string; index: number }
  | { kind: 'chunk'; hash: string; index: number; bytes: Uint8Array }
  | { kind: 'got'; hash: string };

const KINDS = { want: 0, have: 1, lack: 2, get: 3, chunk: 4, got: 5 } as const;

function hashBytes(hash: string): Uint8Array {
  const bytes = new Uint8Array(HASH_BYTES);
  for (let i = 0; i < HASH_BYTES; i++) bytes[i] = parseInt(hash.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function encodeAttachmentMessage(message: AttachmentMessage): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, ATTACHMENT_MESSAGE);
  encoding.writeVarUint(encoder, KINDS[message.kind]);
  encoding.writeUint8Array(encoder, hashBytes(message.hash));
  switch (message.kind) {
    case 'have':
      encoding.writeVarUint(encoder, message.size);
      encoding.writeVarUint8Array(encoder, message.chunkHashes);
      break;
    case 'get':
      encoding.writeVarUint(encoder, message.index);
      break;
    case 'chunk':
      encoding.writeVarUint(encoder, message.index);
      encoding.writeVarUint8Array(encoder, message.bytes);
      break;
    default:
      break;
  }
  return encoding.toUint8Array(encoder);
}

export function isAttachmentMessage(message: Uint8Array): boolean {
  return message.byteLength > 0 && message[0] === ATTACHMENT_MESSAGE;
}

export type AttachmentDecodeResult = { ok: true; message: AttachmentMessage } | { ok: false; reason: string };

class Refused extends Error {}

function index(decoder: decoding.Decoder): number {
  const i = decoding.readVarUint(decoder);
  if (i >= MAX_ATTACHMENT_CHUNKS) throw new Refused(`chunk ${i} is past the largest file`);
  return i;
}

/** Decodes one message of this protocol, or says why it is refused; never throws. */
export function decodeAttachmentMessage(bytes: Uint8Array): AttachmentDecodeResult {
  try {
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== ATTACHMENT_MESSAGE) return { ok: false, reason: 'not an attachment message' };
    const kind = decoding.readVarUint(decoder);
    const hash = toHex(decoding.readUint8Array(decoder, HASH_BYTES));
    let message: AttachmentMessage;
    switch (kind) {
      case KINDS.want:
        message = { kind: 'want', hash };
        break;
      case KINDS.lack:
        message = { kind: 'lack', hash };
        break;
      case KINDS.got:
        message = { kind: 'got', hash };
        break;
      case KINDS.have: {
        const size = decoding.readVarUint(decoder);
        if (size > MAX_ATTACHMENT_CHUNKS * ATTACHMENT_CHUNK_BYTES) throw new Refused(`a file of ${size} bytes`);
        const chunkHashes = decoding.readVarUint8Array(decoder).slice();
        if (chunkHashes.byteLength !== Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_BYTES)) * HASH_BYTES) throw new Refused(`${chunkHashes.byteLength} bytes of chunk hashes for a file of ${size} bytes`);
        message = { kind: 'have', hash, size, chunkHashes };
        break;
      }
      case KINDS.get:
        message = { kind: 'get', hash, index: index(decoder) };
        break;
      case KINDS.chunk: {
        const i = index(decoder);
        const chunk = decoding.readVarUint8Array(decoder);
        if (chunk.byteLength > ATTACHMENT_CHUNK_BYTES) throw new Refused(`a chunk of ${chunk.byteLength} bytes`);
        message = { kind: 'chunk', hash, index: i, bytes: chunk.slice() };
        break;
      }
      default:
        return { ok: false, reason: `unknown message kind ${kind}` };
    }
    if (decoding.hasContent(decoder)) return { ok: false, reason: `${bytes.byteLength - decoder.pos} bytes after the end of a ${message.kind} message` };
    return { ok: true, message };
  } catch (error) {
    return { ok: false, reason: error instanceof Refused ? error.message : `malformed: ${errorMessage(error)}` };
  }
}
