/**
 * A short digest of what a document holds, equal on two replicas exactly when they hold the same
 * items and the same deletions, whatever order updates arrived in and whether deleted content was
 * garbage-collected. A state vector alone is not enough: deleting text adds no item, only a deletion.
 * Peers compare digests to find the notes they need to sync (see note-sync/).
 */
import * as encoding from 'lib0/encoding';
import { digest as sha256 } from 'lib0/hash/sha256';
import * as Y from 'yjs';

/** Bytes of a document digest: 64 bits, enough to tell a changed note from an unchanged one. */
export const DIGEST_BYTES = 8;

/** The digest of a loaded document, bound to its note id (so XOR-ed bucket digests cannot cancel). */
export function docDigest(docId: string, doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, docId);
  encoding.writeVarUint8Array(encoder, Y.encodeStateVector(doc));
  const deleted = Y.createDeleteSetFromStructStore(doc.store);
  const clients = [...deleted.clients.keys()].sort((a, b) => a - b);
  encoding.writeVarUint(encoder, clients.length);
  for (const client of clients) {
    const ranges = deleted.clients.get(client)!;
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, ranges.length);
    for (const range of ranges) {
      encoding.writeVarUint(encoder, range.clock);
      encoding.writeVarUint(encoder, range.len);
    }
  }
  // A copy into a plain Uint8Array: under Node, sha256 answers with a Buffer, which JSON would turn into an object.
  return new Uint8Array(sha256(encoding.toUint8Array(encoder)).subarray(0, DIGEST_BYTES));
}

/** The digest of a document stored as one update (loads it into a scratch document). */
export function updateDigest(docId: string, update: Uint8Array): Uint8Array {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, update);
    return docDigest(docId, doc);
  } finally {
    doc.destroy();
  }
}

/** XORs `digest` into `into` (bucket digests are the XOR of their documents' digests). */
export function xorInto(into: Uint8Array, digest: Uint8Array): void {
  for (let i = 0; i < DIGEST_BYTES; i++) into[i]! ^= digest[i]!;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
