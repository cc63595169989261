/**
 * Migration of a schema-1 space (one Y.Doc holding every note and its body) to schema 2 (a catalog
 * plus one document per body), keeping every Yjs item with its original id. Two members who migrate
 * their own copies of a space therefore hold the same items in the same documents, and their copies
 * merge as they did before, instead of each body arriving twice.
 *
 * Each new document is written as an update that carries the old document's structs that belong to
 * it; every other struct of the same client up to its last kept one becomes a garbage-collected range
 * (a GC struct), which is how Yjs itself stores content nobody can reach. The old ids stay unique:
 * a struct belongs to exactly one body, or to the catalog (the note's own map item goes to both,
 * since both documents reach the body through it).
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { SCHEMA_VERSION } from './catalog';

export interface SplitSpace {
  catalog: Uint8Array;
  notes: Array<{ noteId: string; update: Uint8Array }>;
  /** Updates the old document held that were waiting for missing ones; they cannot be placed. */
  pendingBytes: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types are invariant in their event type
type AnyType = Y.AbstractType<any>;

/** The body XmlText of each note of a schema-1 space, by note id. */
function legacyBodies(doc: Y.Doc): Map<AnyType, string> {
  const bodies = new Map<AnyType, string>();
  if (!doc.share.has('notes')) return bodies;
  doc.getMap('notes').forEach((note, noteId) => {
    const body = note instanceof Y.Map ? note.get('body') : undefined;
    if (body instanceof Y.XmlText) bodies.set(body, noteId);
  });
  return bodies;
}

/** Writes the given structs of each client (from clock 0) and the deletions among them as a V1 update. */
function encodeStructs(clients: Map<number, Array<Y.Item | Y.GC>>, deletions: Map<number, Array<[number, number]>>): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const ordered = [...clients].filter(([, structs]) => structs.length > 0).sort((a, b) => b[0] - a[0]);
  encoding.writeVarUint(encoder.restEncoder, ordered.length);
  for (const [client, structs] of ordered) {
    encoding.writeVarUint(encoder.restEncoder, structs.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, 0);
    for (const struct of structs) struct.write(encoder, 0);
  }
  const deleted = [...deletions].filter(([, ranges]) => ranges.length > 0).sort((a, b) => b[0] - a[0]);
  encoding.writeVarUint(encoder.restEncoder, deleted.length);
  for (const [client, ranges] of deleted) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, ranges.length);
    for (const [clock, length] of ranges) {
      encoder.writeDsClock(clock);
      encoder.writeDsLen(length);
    }
  }
  return encoder.toUint8Array();
}

/** Collects one target document's structs: kept ones as they are, the gaps before them as GC ranges. */
class TargetWriter {
  readonly clients = new Map<number, Array<Y.Item | Y.GC>>();
  readonly deletions = new Map<number, Array<[number, number]>>();
  /** Per client, the clock up to which structs were written. */
  private readonly written = new Map<number, number>();

  keep(item: Y.Item): void {
    const { client, clock } = item.id;
    let structs = this.clients.get(client);
    if (!structs) this.clients.set(client, (structs = []));
    const from = this.written.get(client) ?? 0;
    if (clock > from) structs.push(new Y.GC(Y.createID(client, from), clock - from));
    structs.push(item);
    this.written.set(client, clock + item.length);
    if (item.deleted) {
      let ranges = this.deletions.get(client);
      if (!ranges) this.deletions.set(client, (ranges = []));
      const last = ranges.at(-1);
      if (last && last[0] + last[1] === clock) last[1] += item.length;
      else ranges.push([clock, item.length]);
    }
  }

  encode(): Uint8Array {
    return encodeStructs(this.clients, this.deletions);
  }
}

/**
 * Splits a schema-1 space into its catalog (meta, members, note entries without bodies) and one
 * update per note body. The catalog update also records schema 2, as an edit of `migrator` (a fresh
 * client id by default), so a space migrated on two devices records it twice, harmlessly.
 */
export function splitLegacySpace(legacy: Y.Doc, options: { now?: number } = {}): SplitSpace {
  const bodies = legacyBodies(legacy);
  const bodyItems = new Map<Y.Item, string>();
  for (const [body, noteId] of bodies) if (body._item) bodyItems.set(body._item, noteId);
  /** The note a type belongs to (its body or below), or null for the catalog; memoised per type. */
  const ownerOfType = new Map<AnyType, string | null>();
  const ownerOf = (type: AnyType): string | null => {
    const known = ownerOfType.get(type);
    if (known !== undefined) return known;
    const direct = bodies.get(type);
    const owner = direct ?? (type._item ? ownerOfItem(type._item) : null);
    ownerOfType.set(type, owner);
    return owner;
  };
  const ownerOfItem = (item: Y.Item): string | null => {
    const body = bodyItems.get(item);
    if (body !== undefined) return body;
    return item.parent instanceof Y.AbstractType ? ownerOf(item.parent) : null;
  };
  // A note's own map item: both its catalog entry and its body document are reached through it.
  const noteItems = new Map<Y.Item, string>();
  for (const noteId of bodies.values()) {
    const item = (legacy.getMap('notes').get(noteId) as AnyType | undefined)?._item;
    if (item) noteItems.set(item, noteId);
  }

  const catalog = new TargetWriter();
  const notes = new Map<string, TargetWriter>();
  const noteWriter = (noteId: string) => {
    let writer = notes.get(noteId);
    if (!writer) notes.set(noteId, (writer = new TargetWriter()));
    return writer;
  };
  for (const noteId of bodies.values()) noteWriter(noteId);
  for (const structs of legacy.store.clients.values()) {
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue; // GC: unreachable everywhere, written as a gap
      const sharedNote = noteItems.get(struct);
      if (sharedNote !== undefined) {
        catalog.keep(struct);
        noteWriter(sharedNote).keep(struct);
        continue;
      }
      const owner = ownerOfItem(struct);
      if (owner === null) catalog.keep(struct);
      else noteWriter(owner).keep(struct);
    }
  }

  // Schema 2 is recorded by an ordinary edit on top of the migrated catalog.
  const scratch = new Y.Doc();
  const catalogUpdate = catalog.encode();
  Y.applyUpdate(scratch, catalogUpdate);
  const before = Y.encodeStateVector(scratch);
  scratch.transact(() => {
    const meta = scratch.getMap('meta');
    meta.set('schema', SCHEMA_VERSION);
    if (!meta.has('createdAt')) meta.set('createdAt', options.now ?? Date.now());
  });
  const migrated = Y.mergeUpdates([catalogUpdate, Y.encodeStateAsUpdate(scratch, before)]);
  scratch.destroy();
  const pending = legacy.store.pendingStructs?.update.byteLength ?? 0;
  return {
    catalog: migrated,
    notes: [...notes].map(([noteId, writer]) => ({ noteId, update: writer.encode() })),
    pendingBytes: pending,
  };
}
