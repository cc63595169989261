/**
 * Delete sets as history needs them: which items (client, clock range) a document or an update has
 * deleted, with the set operations Yjs does not export (difference, membership by range) and the
 * same compact encoding Yjs writes at the end of every update.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** client → sorted, non-overlapping, non-adjacent [clock, length] ranges. */
export type DeleteRanges = Map<number, Array<[number, number]>>;

function normalize(ranges: Array<[number, number]>): Array<[number, number]> {
  const sorted = ranges.filter(([, len]) => len > 0).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [clock, len] of sorted) {
    const last = out[out.length - 1];
    if (last && clock <= last[0] + last[1]) last[1] = Math.max(last[1], clock + len - last[0]);
    else out.push([clock, len]);
  }
  return out;
}

function fromYjs(ds: { clients: Map<number, Array<{ clock: number; len: number }>> }): DeleteRanges {
  const out: DeleteRanges = new Map();
  for (const [client, items] of ds.clients) {
    const ranges = normalize(items.map((item) => [item.clock, item.len]));
    if (ranges.length > 0) out.set(client, ranges);
  }
  return out;
}

/** Everything a document holds as deleted. */
export function deletedIn(doc: Y.Doc): DeleteRanges {
  return fromYjs(Y.createDeleteSetFromStructStore(doc.store));
}

/** The deletions an update carries. */
export function deletionsOf(update: Uint8Array): DeleteRanges {
  return fromYjs(Y.decodeUpdate(update).ds);
}

export function unionRanges(...sets: DeleteRanges[]): DeleteRanges {
  const out: DeleteRanges = new Map();
  for (const set of sets) for (const [client, ranges] of set) out.set(client, [...(out.get(client) ?? []), ...ranges]);
  for (const [client, ranges] of out) out.set(client, normalize(ranges));
  return out;
}

/** What `a` deletes that `b` does not. */
export function subtractRanges(a: DeleteRanges, b: DeleteRanges): DeleteRanges {
  const out: DeleteRanges = new Map();
  for (const [client, ranges] of a) {
    const minus = b.get(client) ?? [];
    const kept: Array<[number, number]> = [];
    let j = 0;
    for (const [clock, len] of ranges) {
      let start = clock;
      const end = clock + len;
      while (j < minus.length && minus[j]![0] + minus[j]![1] <= start) j++;
      let k = j;
      while (start < end && k < minus.length && minus[k]![0] < end) {
        const [mClock, mLen] = minus[k]!;
        if (mClock > start) kept.push([start, mClock - start]);
        start = Math.max(start, mClock + mLen);
        k++;
      }
      if (start < end) kept.push([start, end - start]);
    }
    if (kept.length > 0) out.set(client, kept);
  }
  return out;
}

/** Whether the item (client, clock) is in the set. */
export function rangesHave(set: DeleteRanges, client: number, clock: number): boolean {
  const ranges = set.get(client);
  if (!ranges) return false;
  const range = ranges[firstEndingAfter(ranges, clock)];
  return range !== undefined && range[0] <= clock;
}

/** Index of the first range of `ranges` that ends after `clock`. */
function firstEndingAfter(ranges: Array<[number, number]>, clock: number): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]![0] + ranges[mid]![1] <= clock) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Clocks strictly inside (from, to) where membership in the set changes, in order. */
export function rangeCuts(set: DeleteRanges, client: number, from: number, to: number): number[] {
  const ranges = set.get(client);
  if (!ranges) return [];
  const cuts: number[] = [];
  for (let i = firstEndingAfter(ranges, from); i < ranges.length && ranges[i]![0] < to; i++) {
    const [start, len] = ranges[i]!;
    if (start > from) cuts.push(start);
    if (start + len < to) cuts.push(start + len);
  }
  return cuts;
}

export function rangesSize(set: DeleteRanges): number {
  let size = 0;
  for (const ranges of set.values()) for (const [, len] of ranges) size += len;
  return size;
}

export function isEmptyRanges(set: DeleteRanges): boolean {
  return set.size === 0;
}

/** The ranges in Yjs's own update encoding (the tail of a v1 update). */
export function encodeRanges(set: DeleteRanges): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, set.size);
  for (const [client, ranges] of [...set].sort((a, b) => b[0] - a[0])) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, ranges.length);
    for (const [clock, len] of ranges) {
      encoding.writeVarUint(encoder, clock);
      encoding.writeVarUint(encoder, len);
    }
  }
  return encoding.toUint8Array(encoder);
}

/** Reads what encodeRanges wrote; throws on bytes that are not such an encoding. */
export function decodeRanges(bytes: Uint8Array): DeleteRanges {
  const decoder = decoding.createDecoder(bytes);
  const out: DeleteRanges = new Map();
  const clients = decoding.readVarUint(decoder);
  for (let i = 0; i < clients; i++) {
    const client = decoding.readVarUint(decoder);
    const count = decoding.readVarUint(decoder);
    if (count > bytes.length) throw new Error('delete set: more ranges than bytes');
    const ranges: Array<[number, number]> = [];
    for (let j = 0; j < count; j++) ranges.push([decoding.readVarUint(decoder), decoding.readVarUint(decoder)]);
    out.set(client, normalize(ranges));
  }
  if (decoding.hasContent(decoder)) throw new Error('delete set: bytes left over');
  return out;
}

/** The state vector as a Map, and back. */
export function stateVectorOf(doc: Y.Doc): Map<number, number> {
  return Y.decodeStateVector(Y.encodeStateVector(doc));
}
