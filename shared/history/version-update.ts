/**
 * A version of a document as history stores it: the items created since the version before it, and
 * only the deletions made since then. Yjs's own diff (`encodeStateAsUpdate(doc, stateVector)`)
 * repeats every deletion the document ever had, which would make each stored version as large as the
 * whole delete set; this keeps the same encoding and drops what the version before already had.
 */
import * as Y from 'yjs';
import { deletedIn, encodeRanges, subtractRanges, type DeleteRanges } from './delete-set';

export interface DocPoint {
  stateVector: Map<number, number>;
  deleted: DeleteRanges;
}

export const EMPTY_POINT: DocPoint = { stateVector: new Map(), deleted: new Map() };

export function pointOf(doc: Y.Doc): DocPoint {
  return { stateVector: Y.decodeStateVector(Y.encodeStateVector(doc)), deleted: deletedIn(doc) };
}

function sameStateVector(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [client, clock] of a) if (b.get(client) !== clock) return false;
  return true;
}

function endsWith(bytes: Uint8Array, tail: Uint8Array): boolean {
  if (tail.length > bytes.length) return false;
  const offset = bytes.length - tail.length;
  for (let i = 0; i < tail.length; i++) if (bytes[offset + i] !== tail[i]) return false;
  return true;
}

/**
 * What `doc` has beyond `since`, as one update, with the point it reaches and where in the update its
 * deletions start (null when Yjs wrote it differently, with pending updates: then the update carries
 * every deletion); null when nothing changed. `since` must be a point of this document's own past.
 */
export function versionUpdate(doc: Y.Doc, since: DocPoint): { update: Uint8Array; point: DocPoint; deletions: DeleteRanges; deletionsAt: number | null } | null {
  const point = pointOf(doc);
  const deletions = subtractRanges(point.deleted, since.deleted);
  if (sameStateVector(point.stateVector, since.stateVector) && deletions.size === 0) return null;
  const whole = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(since.stateVector));
  const allDeletions = encodeRanges(point.deleted);
  // Without pending updates, Yjs writes the delete set last, in this same encoding: swap it for the new part.
  if (!endsWith(whole, allDeletions)) return { update: whole, point, deletions, deletionsAt: null };
  const structs = whole.subarray(0, whole.length - allDeletions.length);
  const fresh = encodeRanges(deletions);
  const update = new Uint8Array(structs.length + fresh.length);
  update.set(structs, 0);
  update.set(fresh, structs.length);
  return { update, point, deletions, deletionsAt: structs.length };
}
