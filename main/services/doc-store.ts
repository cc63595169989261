/**
 * The durable copy of every space on this device. Per space, every document (the catalog and each
 * note body) lives in two files:
 *
 * - `docs.pack`: the compacted state of each document, one after another, with an index at the end
 *   (document id, where its bytes are, their digest). Opening a space reads the index, not the notes.
 * - `docs.log`: an append-only log of Yjs updates since the pack, each tagged with its document and
 *   framed with a marker, its length and a CRC (log-records.ts), so a torn or corrupt record is found,
 *   reported and skipped without losing the records after it.
 *
 * Appends are validated and batched (group commit: one write and one fdatasync per batch, whatever
 * documents it touches) and resolve only after the sync. Compaction writes a new pack beside the old
 * one, syncs it, renames it over the old one, syncs the folder, and only then empties the log the same
 * way: a crash at any step leaves the old pack with the whole log, or the new pack with log records
 * that re-apply idempotently. The catalog stays in memory; a note body is read when asked for.
 *
 * A folder written by schema 1 (`snapshot.bin` + `log.bin`, one document per space) is migrated the
 * first time it is opened (legacy-space.ts), and its files are kept aside in `schema1-backup/`.
 */
import { ObservableV2 } from 'lib0/observable';
import { chmod, copyFile, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { spaceIdSchema } from '../../shared/host-schemas';
import { docDigest, DIGEST_BYTES } from '../../shared/doc-digest';
import { splitLegacySpace } from '../../shared/legacy-space';
import { CATALOG_DOC_ID, isNoteId } from '../../shared/note-doc';
import { LEGACY_FILES, readLegacySpace } from './legacy-store';
import { encodeRecord, readLogRecords } from './log-records';
import { ensurePrivateDir, PRIVATE_FILE_MODE, syncDirectory } from './private-files';
import { errorMessage } from '../../shared/errors';

const PACK_MAGIC = Buffer.from('CPPACK02', 'ascii');
const INDEX_MAGIC = Buffer.from('CPINDEX2', 'ascii');
/** The pack's last bytes: index offset (u32 low, u32 high), index length, index CRC, INDEX_MAGIC. */
const FOOTER_BYTES = 8 + 4 + 4 + INDEX_MAGIC.length;
const ENTRY_HEADER_BYTES = 8; // u32 length, u32 crc
export const PACK_FILE = 'docs.pack';
export const LOG_FILE = 'docs.log';
export const LEGACY_BACKUP_DIR = 'schema1-backup';
/** Compact once the log holds this many bytes, so reading a note stays fast. */
const COMPACT_AFTER_BYTES = 8 * 1024 * 1024;
const COMPACT_AFTER_RECORDS = 5000;
/** Up to this many updates are merged as updates; more are applied to a document (see mergeParts). */
const MERGE_DIRECTLY = 16;
/** Note documents kept decoded in memory (the ones being read or synced now). */
const LOADED_NOTES = 64;
/** Compaction yields to other work after this long, so a host stays responsive while it packs. */
const COMPACTION_SLICE_MS = 15;

export type StoreProblem =
  | { kind: 'corrupt-record'; spaceId: string; offset: number; detail: string }
  | { kind: 'truncated-tail'; spaceId: string; offset: number; detail: string }
  | { kind: 'invalid-update'; spaceId: string; offset: number; detail: string }
  | { kind: 'migrated'; spaceId: string; offset: number; detail: string };

/** Names of the steps of a write, in order; tests inject a crash at each one. */
export type StoreStep = 'log-write' | 'log-sync' | 'pack-write' | 'pack-sync' | 'pack-rename' | 'log-reset-write' | 'log-reset-rename';

export interface StoreOptions {
  /** Told about every record that could not be read; the rest of the log still loads. */
  onProblem?: (problem: StoreProblem) => void;
  /** Called before each step of a write; a test hook that may throw to simulate a crash there. */
  beforeStep?: (step: StoreStep) => void;
  compactAfterBytes?: number;
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A stored document whose bytes fail their checksum: that document cannot be read; the rest of the space can. */
export class DamagedDocError extends StoreError {
  constructor(message: string) {
    super(message);
    this.name = 'DamagedDocError';
  }
}

/** Bytes that are not a Yjs update. */
export class InvalidUpdateError extends Error {
  constructor(detail: string) {
    super(`not a valid Yjs update: ${detail}`);
    this.name = 'InvalidUpdateError';
  }
}

/** Checks that bytes decode as a Yjs update before they reach a document or the disk. */
export function assertValidUpdate(update: Uint8Array): void {
  try {
    Y.decodeUpdate(update);
  } catch (error) {
    throw new InvalidUpdateError(errorMessage(error));
  }
}

function isDocId(id: string): boolean {
  return id === CATALOG_DOC_ID || isNoteId(id);
}

function encodeLogPayload(docId: string, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, docId);
  encoding.writeUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

function decodeLogPayload(payload: Uint8Array): { docId: string; update: Uint8Array } {
  const decoder = decoding.createDecoder(payload);
  const docId = decoding.readVarString(decoder);
  if (!isDocId(docId)) throw new Error(`a record for ${JSON.stringify(docId.slice(0, 80))}, which is no document id`);
  return { docId, update: payload.subarray(decoder.pos) };
}

interface PackEntry {
  offset: number;
  length: number;
  digest: Uint8Array;
}

/** Reads a pack's index from its footer; the entries stay on disk until asked for. */
async function readPackIndex(handle: FileHandle, path: string): Promise<Map<string, PackEntry>> {
  const { size } = await handle.stat();
  const fail = (why: string) => new StoreError(`${path} ${why}; it was left untouched`);
  if (size < PACK_MAGIC.length + FOOTER_BYTES) throw fail('is too short to be a Commonplace pack');
  const head = Buffer.alloc(PACK_MAGIC.length);
  await handle.read(head, 0, head.length, 0);
  if (!head.equals(PACK_MAGIC)) throw fail('is not a Commonplace pack');
  const footer = Buffer.alloc(FOOTER_BYTES);
  await handle.read(footer, 0, FOOTER_BYTES, size - FOOTER_BYTES);
  if (!footer.subarray(16).equals(INDEX_MAGIC)) throw fail('has no index (an unfinished write?)');
  const indexOffset = footer.readUInt32LE(0) + footer.readUInt32LE(4) * 2 ** 32;
  const indexLength = footer.readUInt32LE(8);
  if (indexOffset + indexLength !== size - FOOTER_BYTES) throw fail('has an index in the wrong place');
  const index = Buffer.alloc(indexLength);
  await handle.read(index, 0, indexLength, indexOffset);
  if (crc32(index) !== footer.readUInt32LE(12)) throw fail('fails its index checksum');
  const entries = new Map<string, PackEntry>();
  const decoder = decoding.createDecoder(index);
  const count = decoding.readVarUint(decoder);
  for (let i = 0; i < count; i++) {
    const id = decoding.readVarString(decoder);
    const offset = decoding.readVarUint(decoder);
    const length = decoding.readVarUint(decoder);
    const digest = decoding.readUint8Array(decoder, DIGEST_BYTES).slice();
    if (!isDocId(id) || offset + length > indexOffset) throw fail('has a damaged index');
    entries.set(id, { offset, length, digest });
  }
  return entries;
}

/** Writes a pack: each document's state, then the index, then the footer. */
class PackWriter {
  private readonly index = encoding.createEncoder();
  private count = 0;
  private offset = PACK_MAGIC.length;
  private readonly parts: Buffer[] = [PACK_MAGIC];
  private partBytes = 0;
  readonly entries = new Map<string, PackEntry>();

  constructor(private readonly handle: FileHandle) {}

  async add(docId: string, state: Uint8Array, digest: Uint8Array): Promise<void> {
    const header = Buffer.alloc(ENTRY_HEADER_BYTES);
    header.writeUInt32LE(state.byteLength, 0);
    header.writeUInt32LE(crc32(state), 4);
    this.parts.push(header, Buffer.from(state.buffer, state.byteOffset, state.byteLength));
    this.partBytes += header.length + state.byteLength;
    const entry = { offset: this.offset + ENTRY_HEADER_BYTES, length: state.byteLength, digest };
    this.entries.set(docId, entry);
    encoding.writeVarString(this.index, docId);
    encoding.writeVarUint(this.index, entry.offset);
    encoding.writeVarUint(this.index, entry.length);
    encoding.writeUint8Array(this.index, digest);
    this.count++;
    this.offset += ENTRY_HEADER_BYTES + state.byteLength;
    if (this.partBytes > 4 * 1024 * 1024) await this.drain();
  }

  private async drain(): Promise<void> {
    const bytes = Buffer.concat(this.parts);
    this.parts.length = 0;
    this.partBytes = 0;
    await this.handle.write(bytes);
  }

  async finish(): Promise<void> {
    const head = encoding.createEncoder();
    encoding.writeVarUint(head, this.count);
    const index = Buffer.concat([encoding.toUint8Array(head), encoding.toUint8Array(this.index)]);
    const footer = Buffer.alloc(FOOTER_BYTES);
    footer.writeUInt32LE(this.offset % 2 ** 32, 0);
    footer.writeUInt32LE(Math.floor(this.offset / 2 ** 32), 4);
    footer.writeUInt32LE(index.length, 8);
    footer.writeUInt32LE(crc32(index), 12);
    INDEX_MAGIC.copy(footer, 16);
    this.parts.push(index, footer);
    await this.drain();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Loads a document's state into a fresh Y.Doc. */
/** Updates merged into one: Y.mergeUpdates is quadratic in their number, applying them one by one is not. */
function mergeParts(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return Y.encodeStateAsUpdate(new Y.Doc());
  if (parts.length === 1) return parts[0]!;
  if (parts.length <= MERGE_DIRECTLY) return Y.mergeUpdates(parts);
  const doc = new Y.Doc({ gc: false });
  try {
    for (const part of parts) Y.applyUpdate(doc, part);
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}

function docFrom(docId: string, state: Uint8Array | null): Y.Doc {
  const doc = new Y.Doc({ guid: docId });
  if (state) Y.applyUpdate(doc, state);
  return doc;
}

/** A document as the store knows it: where its packed state is, and what the log added since. */
interface DocRecord {
  packed: PackEntry | null;
  logged: Uint8Array[];
  /** The digest of the whole document, or null until computed again after an append. */
  digest: Uint8Array | null;
  /** Bumped by every append, so a read that raced one can tell. */
  version: number;
}

/** A document's state fixed at one moment (see SpaceStore.captureState). */
export interface StateCapture {
  read(): Promise<Uint8Array>;
  release(): void;
}

interface PendingAppend {
  record: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Reads a pack's entries while compaction may replace the file: a replaced handle closes after its last read. */
class PackFile {
  private reads = 0;
  private retired = false;

  constructor(readonly handle: FileHandle) {}

  /** Keeps the file open until `release` (a read that starts later must still find it). */
  pin(): () => void {
    this.reads++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reads--;
      if (this.retired && this.reads === 0) void this.handle.close().catch(() => {});
    };
  }

  async read(entry: PackEntry, what: string): Promise<Uint8Array> {
    this.reads++;
    try {
      const header = Buffer.alloc(ENTRY_HEADER_BYTES);
      await this.handle.read(header, 0, ENTRY_HEADER_BYTES, entry.offset - ENTRY_HEADER_BYTES);
      const bytes = Buffer.alloc(entry.length);
      await this.handle.read(bytes, 0, entry.length, entry.offset);
      if (header.readUInt32LE(0) !== entry.length || crc32(bytes) !== header.readUInt32LE(4)) throw new DamagedDocError(`the stored copy of ${what} fails its checksum`);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } finally {
      this.reads--;
      if (this.retired && this.reads === 0) void this.handle.close().catch(() => {});
    }
  }

  retire(): void {
    this.retired = true;
    if (this.reads === 0) void this.handle.close().catch(() => {});
  }
}

/** One space on disk: its catalog in memory, its note bodies read on demand. */
export class SpaceStore {
  readonly catalog: Y.Doc;
  private readonly docs = new Map<string, DocRecord>();
  private readonly loaded = new Map<string, Y.Doc>();
  private pack: PackFile | null = null;
  private log: FileHandle | null = null;
  private logBytes = 0;
  private logRecords = 0;
  private queue: PendingAppend[] = [];
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Who listens (lib0's registry: `update` events). */
  private readonly events = new ObservableV2<{ update: (docId: string, update: Uint8Array, origin: unknown) => void }>();
  /** The catalog encoded once, for clients that have nothing yet; dropped on every change. */
  private catalogState: Uint8Array | null = null;

  /** Set when a write failed: memory may then hold what the disk lacks, so the space must be reloaded. */
  failed = false;

  private constructor(
    readonly spaceId: string,
    readonly dir: string,
    private readonly options: StoreOptions,
  ) {
    this.catalog = new Y.Doc({ guid: CATALOG_DOC_ID });
  }

  private get packPath() {
    return join(this.dir, PACK_FILE);
  }
  private get logPath() {
    return join(this.dir, LOG_FILE);
  }

  /** Opens (or creates, or migrates from schema 1) the space in `dir`. */
  static async open(spaceId: string, dir: string, options: StoreOptions = {}): Promise<SpaceStore> {
    const store = new SpaceStore(spaceId, dir, options);
    await ensurePrivateDir(dir);
    await store.migrateLegacy();
    if (await exists(store.packPath)) {
      const handle = await open(store.packPath, 'r');
      try {
        for (const [id, packed] of await readPackIndex(handle, store.packPath)) store.docs.set(id, { packed, logged: [], digest: packed.digest, version: 0 });
      } catch (error) {
        await handle.close();
        throw error;
      }
      store.pack = new PackFile(handle);
    }
    const damaged = await store.readLog();
    const catalogRecord = store.docs.get(CATALOG_DOC_ID);
    if (catalogRecord) Y.applyUpdate(store.catalog, await store.readState(CATALOG_DOC_ID));
    if (damaged) {
      // Keep a copy of the damaged log for inspection, then start clean from what could be read. Copy,
      // not move: until the new pack is renamed into place the log is the only copy of its records.
      const copy = join(dir, `log.damaged-${Date.now()}.bin`);
      await copyFile(store.logPath, copy);
      await chmod(copy, PRIVATE_FILE_MODE);
      await syncFile(copy);
      await store.compactNow();
    }
    store.log = await open(store.logPath, 'a', PRIVATE_FILE_MODE);
    return store;
  }

  /** Reads every readable log record into memory; true when some were damaged. */
  private async readLog(): Promise<boolean> {
    let buffer: Buffer;
    try {
      const handle = await open(this.logPath, 'r');
      try {
        buffer = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    let damaged = false;
    const { records, goodLength } = readLogRecords(buffer, (offset, kind, detail) => {
      damaged = true;
      this.options.onProblem?.({ kind, spaceId: this.spaceId, offset, detail });
    });
    for (const { offset, payload } of records) {
      try {
        const { docId, update } = decodeLogPayload(payload);
        assertValidUpdate(update);
        this.recordOf(docId).logged.push(update);
      } catch (error) {
        damaged = true;
        this.options.onProblem?.({ kind: 'invalid-update', spaceId: this.spaceId, offset, detail: errorMessage(error) });
      }
    }
    for (const record of this.docs.values()) if (record.logged.length > 0) record.digest = null;
    this.logRecords = records.length;
    this.logBytes = goodLength;
    return damaged;
  }

  /** Moves a schema-1 space to this format: documents written as a pack, the old files kept aside. */
  private async migrateLegacy(): Promise<void> {
    const present = [];
    for (const name of LEGACY_FILES) if (await exists(join(this.dir, name))) present.push(name);
    if (present.length === 0) return;
    if (!(await exists(this.packPath)) && !(await exists(this.logPath))) {
      const problems: string[] = [];
      const legacy = await readLegacySpace(this.dir, (detail) => problems.push(detail));
      if (legacy) {
        const split = splitLegacySpace(legacy);
        legacy.destroy();
        const tmp = `${this.packPath}.tmp`;
        const handle = await open(tmp, 'w', PRIVATE_FILE_MODE);
        try {
          const writer = new PackWriter(handle);
          await writer.add(CATALOG_DOC_ID, split.catalog, docDigest(CATALOG_DOC_ID, docFrom(CATALOG_DOC_ID, split.catalog)));
          for (const { noteId, update } of split.notes) await writer.add(noteId, update, docDigest(noteId, docFrom(noteId, update)));
          await writer.finish();
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, this.packPath);
        await syncDirectory(this.dir);
        const detail = `migrated ${split.notes.length} notes to one document each${problems.length ? `; while reading the old files: ${problems.join('; ')}` : ''}${split.pendingBytes ? `; ${split.pendingBytes} bytes of updates waiting for missing ones stay in the backup` : ''}`;
        this.options.onProblem?.({ kind: 'migrated', spaceId: this.spaceId, offset: 0, detail });
      }
    }
    // The new pack is in place: only now do the old files move aside (again after a crash here).
    const backup = join(this.dir, LEGACY_BACKUP_DIR);
    await ensurePrivateDir(backup);
    for (const name of present) await rename(join(this.dir, name), join(backup, name));
    await syncDirectory(this.dir);
  }

  private recordOf(docId: string): DocRecord {
    let record = this.docs.get(docId);
    if (!record) this.docs.set(docId, (record = { packed: null, logged: [], digest: null, version: 0 }));
    return record;
  }

  /** Ids of the note documents stored in this space (not the catalog). */
  noteIds(): string[] {
    return [...this.docs.keys()].filter((id) => id !== CATALOG_DOC_ID);
  }

  has(docId: string): boolean {
    return this.docs.has(docId) || (docId === CATALOG_DOC_ID && this.catalog.store.clients.size > 0);
  }

  /** A document's whole state as one update (empty when the store has nothing of it). */
  async readState(docId: string): Promise<Uint8Array> {
    if (docId === CATALOG_DOC_ID && this.catalog.store.clients.size > 0) return this.encodeCatalog();
    const loaded = this.loaded.get(docId);
    if (loaded) return Y.encodeStateAsUpdate(loaded);
    const record = this.docs.get(docId);
    if (!record) return Y.encodeStateAsUpdate(new Y.Doc());
    const parts = [...record.logged];
    if (record.packed && this.pack) parts.unshift(await this.pack.read(record.packed, docId === CATALOG_DOC_ID ? 'the catalog' : `note ${docId}`));
    return mergeParts(parts);
  }

  /**
   * A document's stored state as it is now, without its last `skipLast` updates, to read later: what it
   * holds is fixed now, whatever is appended or compacted meanwhile. Read it or release it.
   */
  captureState(docId: string, skipLast = 0): StateCapture {
    // A decoded document is encoded now (cheap); else its stored parts are pinned and read later.
    const live = docId === CATALOG_DOC_ID ? this.catalog : this.loaded.get(docId);
    if (live && skipLast === 0) {
      const state = docId === CATALOG_DOC_ID ? this.encodeCatalog() : Y.encodeStateAsUpdate(live);
      return { read: async () => state, release: () => {} };
    }
    const record = this.docs.get(docId);
    const logged = record ? record.logged.slice(0, Math.max(0, record.logged.length - skipLast)) : [];
    const packed = record?.packed ?? null;
    const pack = packed ? this.pack : null;
    const release = pack?.pin() ?? (() => {});
    return {
      release,
      read: async () => {
        try {
          const parts = [...logged];
          if (packed && pack) parts.unshift(await pack.read(packed, docId === CATALOG_DOC_ID ? 'the catalog' : `note ${docId}`));
          return mergeParts(parts);
        } finally {
          release();
        }
      },
    };
  }

  private encodeCatalog(): Uint8Array {
    this.catalogState ??= Y.encodeStateAsUpdate(this.catalog);
    return this.catalogState;
  }

  /** A note's document, decoded (kept for a while: the notes read now are read again soon). */
  async doc(noteId: string): Promise<Y.Doc> {
    if (noteId === CATALOG_DOC_ID) return this.catalog;
    const existing = this.loaded.get(noteId);
    if (existing) {
      this.loaded.delete(noteId);
      this.loaded.set(noteId, existing);
      return existing;
    }
    let doc: Y.Doc;
    for (;;) {
      const version = this.docs.get(noteId)?.version ?? 0;
      doc = docFrom(noteId, await this.readState(noteId));
      const raced = this.loaded.get(noteId);
      if (raced) {
        doc.destroy();
        return raced;
      }
      // An append landed while reading: it is in the record now, so read again.
      if ((this.docs.get(noteId)?.version ?? 0) === version) break;
      doc.destroy();
    }
    this.loaded.set(noteId, doc);
    for (const [id, old] of this.loaded) {
      if (this.loaded.size <= LOADED_NOTES) break;
      this.loaded.delete(id);
      old.destroy();
    }
    return doc;
  }

  /** What a replica with `stateVector` lacks of a document. */
  async diff(docId: string, stateVector: Uint8Array): Promise<Uint8Array> {
    if (docId === CATALOG_DOC_ID) {
      // An empty state vector (a new device, a wiped browser) gets the cached whole catalog.
      return stateVector.byteLength === 1 && stateVector[0] === 0 ? this.encodeCatalog() : Y.encodeStateAsUpdate(this.catalog, stateVector);
    }
    const loaded = this.loaded.get(docId);
    if (loaded) return Y.encodeStateAsUpdate(loaded, stateVector);
    const state = await this.readState(docId);
    return stateVector.byteLength === 1 && stateVector[0] === 0 ? state : Y.diffUpdate(state, stateVector);
  }

  async stateVector(docId: string): Promise<Uint8Array> {
    if (docId === CATALOG_DOC_ID) return Y.encodeStateVector(this.catalog);
    const loaded = this.loaded.get(docId);
    if (loaded) return Y.encodeStateVector(loaded);
    return Y.encodeStateVectorFromUpdate(await this.readState(docId));
  }

  /** The digest of a stored document (see doc-digest.ts), or null when the store has none of it. */
  async digest(docId: string): Promise<Uint8Array | null> {
    const record = this.docs.get(docId);
    if (!record) return null;
    if (record.digest) return record.digest;
    const version = record.version;
    const loaded = docId === CATALOG_DOC_ID ? this.catalog : this.loaded.get(docId);
    let digest: Uint8Array;
    if (loaded) digest = docDigest(docId, loaded);
    else {
      const doc = docFrom(docId, await this.readState(docId));
      digest = docDigest(docId, doc);
      doc.destroy();
    }
    // Only a digest of the current state is kept: an append may have landed while reading.
    if (record.version === version) record.digest = digest;
    return digest;
  }

  /** Told about every update applied (appends of any document); returns an unsubscribe function. */
  onUpdate(listener: (docId: string, update: Uint8Array, origin: unknown) => void): () => void {
    this.events.on('update', listener);
    return () => this.events.off('update', listener);
  }

  /** Applies a validated update and resolves once it is on disk (writes are batched). */
  append(docId: string, update: Uint8Array, origin?: unknown): Promise<void> {
    return this.appendMany([{ docId, update }], origin);
  }

  /** Applies several validated updates (one batch) and resolves once they are on disk. */
  appendMany(updates: Array<{ docId: string; update: Uint8Array }>, origin?: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('space store is closed'));
    try {
      for (const { docId, update } of updates) {
        if (!isDocId(docId)) throw new InvalidUpdateError(`no document ${JSON.stringify(docId.slice(0, 80))}`);
        assertValidUpdate(update);
      }
    } catch (error) {
      return Promise.reject(error instanceof InvalidUpdateError ? error : new InvalidUpdateError(String(error)));
    }
    const records: Buffer[] = [];
    for (const { docId, update } of updates) {
      const target = docId === CATALOG_DOC_ID ? this.catalog : this.loaded.get(docId);
      try {
        if (target) Y.applyUpdate(target, update, this);
      } catch (error) {
        // Decodable bytes Yjs still could not apply may have changed memory halfway: reload from disk.
        this.failed = true;
        this.closed = true;
        return Promise.reject(new InvalidUpdateError(errorMessage(error)));
      }
      if (docId === CATALOG_DOC_ID) this.catalogState = null;
      const record = this.recordOf(docId);
      record.logged.push(update);
      record.digest = null;
      record.version++;
      records.push(encodeRecord(encodeLogPayload(docId, update)));
      this.events.emit('update', [docId, update, origin]);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record: records.length === 1 ? records[0]! : Buffer.concat(records), resolve, reject });
      this.writing = this.writing.then(() => this.writeQueued());
    });
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      if (!this.log) throw new StoreError('space store is not open');
      const bytes = Buffer.concat(batch.map((p) => p.record));
      this.options.beforeStep?.('log-write');
      await this.log.write(bytes);
      this.options.beforeStep?.('log-sync');
      await this.log.datasync();
      this.logBytes += bytes.length;
      this.logRecords += batch.length;
      for (const p of batch) p.resolve();
    } catch (error) {
      this.failed = true;
      this.closed = true;
      // Roll the log back to its last durable length, so a reload does not bring back what was refused.
      await this.log?.truncate(this.logBytes).catch(() => {});
      for (const p of [...batch, ...this.queue.splice(0)]) p.reject(error);
      return;
    }
    const limit = this.options.compactAfterBytes ?? COMPACT_AFTER_BYTES;
    if (this.logBytes > limit || this.logRecords > COMPACT_AFTER_RECORDS) await this.compactNow().catch(() => {});
  }

  /** Folds the log into a new pack; safe to interrupt at any step. */
  compact(): Promise<void> {
    const compacted = this.writing.then(() => this.compactNow());
    // A failed compaction leaves pack + log intact; later appends must still run, not hang on it.
    this.writing = compacted.catch(() => {});
    return compacted;
  }

  private async compactNow(): Promise<void> {
    const beforeStep = this.options.beforeStep;
    // 1. A complete new pack beside the old one, then an atomic rename over it.
    const tmp = `${this.packPath}.tmp`;
    const handle = await open(tmp, 'w', PRIVATE_FILE_MODE);
    const ids = [...this.docs.keys()].sort();
    /** How many logged updates of each document the new pack holds (appends may land while it is written). */
    const packedCounts = new Map<string, number>();
    let writer: PackWriter;
    try {
      beforeStep?.('pack-write');
      writer = new PackWriter(handle);
      let sliceStart = performance.now();
      for (const id of ids) {
        const record = this.docs.get(id)!;
        packedCounts.set(id, record.logged.length);
        if (record.logged.length === 0 && record.packed && this.pack) {
          await writer.add(id, await this.pack.read(record.packed, id), record.packed.digest);
        } else {
          // Decoded and encoded again: deleted content is garbage-collected, and the digest is exact.
          const live = id === CATALOG_DOC_ID ? this.catalog : this.loaded.get(id);
          const doc = live ?? docFrom(id, await this.readState(id));
          await writer.add(id, Y.encodeStateAsUpdate(doc), docDigest(id, doc));
          if (!live) doc.destroy();
        }
        if (performance.now() - sliceStart > COMPACTION_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
      await writer.finish();
      beforeStep?.('pack-sync');
      await handle.sync();
    } finally {
      await handle.close();
    }
    beforeStep?.('pack-rename');
    await rename(tmp, this.packPath);
    await syncDirectory(this.dir);
    // The new pack holds everything: point at it (the old file stays readable until its reads finish).
    const packHandle = await open(this.packPath, 'r');
    this.pack?.retire();
    this.pack = new PackFile(packHandle);
    for (const [id, entry] of writer.entries) {
      const record = this.docs.get(id)!;
      record.packed = entry;
      record.logged = record.logged.slice(packedCounts.get(id) ?? 0);
      record.digest = record.logged.length === 0 ? entry.digest : null;
    }
    // 2. Only now empty the log: until here, old pack + log still hold everything.
    const emptyLog = `${this.logPath}.tmp`;
    beforeStep?.('log-reset-write');
    const fresh = await open(emptyLog, 'w', PRIVATE_FILE_MODE);
    await fresh.sync();
    await fresh.close();
    beforeStep?.('log-reset-rename');
    await rename(emptyLog, this.logPath);
    // From here the old log file is unlinked: appends must go to the new one even if a later step fails.
    const synced = await syncDirectory(this.dir).then(
      () => null,
      (error: unknown) => error,
    );
    this.logBytes = 0;
    this.logRecords = 0;
    if (this.log) {
      await this.log.close().catch(() => {});
      this.log = null;
      try {
        this.log = await open(this.logPath, 'a', PRIVATE_FILE_MODE);
      } catch (error) {
        // Without a log to write to, memory would run ahead of the disk: reload from disk on next use.
        this.failed = true;
        this.closed = true;
        throw error;
      }
    }
    if (synced !== null) throw synced;
  }

  /** Waits for every queued write to reach the disk. */
  async flush(): Promise<void> {
    await this.writing;
  }

  async close(): Promise<void> {
    if (this.closed && !this.failed && this.log === null) return;
    this.closed = true;
    await this.flush();
    await this.log?.close();
    this.log = null;
    this.pack?.retire();
    this.pack = null;
    for (const doc of this.loaded.values()) doc.destroy();
    this.loaded.clear();
    this.events.destroy();
    this.catalog.destroy();
  }
}

/** Every space of one data directory. */
export class DocStore {
  private readonly spaces = new Map<string, Promise<SpaceStore>>();

  constructor(
    readonly dataDir: string,
    private readonly options: StoreOptions = {},
  ) {}

  private spaceDir(spaceId: string): string {
    // The id is checked again here: it becomes a folder name.
    if (!spaceIdSchema.safeParse(spaceId).success) throw new StoreError('not a space id');
    return join(this.dataDir, 'spaces', spaceId);
  }

  /** Opens a space, creating its folder on first use. */
  async space(spaceId: string): Promise<SpaceStore> {
    const existing = this.spaces.get(spaceId);
    if (existing) {
      const store = await existing;
      if (!store.failed) return store;
      // A failed write left memory ahead of the disk: drop it and reload what is durable.
      if (this.spaces.get(spaceId) === existing) this.spaces.delete(spaceId);
      await store.close().catch(() => {});
      return this.space(spaceId);
    }
    const opening = SpaceStore.open(spaceId, this.spaceDir(spaceId), this.options);
    this.spaces.set(spaceId, opening);
    opening.catch(() => this.spaces.delete(spaceId));
    return opening;
  }

  async hasSpace(spaceId: string): Promise<boolean> {
    try {
      return (await stat(this.spaceDir(spaceId))).isDirectory();
    } catch {
      return false;
    }
  }

  /** Ids of the spaces stored in this data directory. */
  async listSpaceIds(): Promise<string[]> {
    return listSpaceFolders(this.dataDir);
  }

  /** Closes a space and deletes its folder from this data directory. */
  async removeSpace(spaceId: string): Promise<boolean> {
    const dir = this.spaceDir(spaceId);
    const opened = this.spaces.get(spaceId);
    this.spaces.delete(spaceId);
    if (opened) await (await opened.catch(() => null))?.close();
    if (!(await this.hasSpace(spaceId))) return false;
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.spaces.values()].map(async (s) => (await s).flush()));
  }

  async close(): Promise<void> {
    const opened = [...this.spaces.values()];
    this.spaces.clear();
    await Promise.allSettled(opened.map(async (s) => (await s).close()));
  }
}

/** Space folders of a data directory, by id. */
export async function listSpaceFolders(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(dataDir, 'spaces'), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && spaceIdSchema.safeParse(e.name).success).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A space read without writing anything (tools that run beside a host): its catalog and its bodies. */
export interface SpaceSnapshot {
  catalog: Y.Doc;
  noteIds(): string[];
  /** A note's document as one update (empty when the space has none of it). */
  readState(noteId: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Reads a space as it is on disk. The log is read before the pack: compaction renames a complete pack
 * in before it empties the log, so log-then-pack covers every record the log held when it was read.
 * A folder still in schema 1 is split in memory, as the migration would.
 */
export async function readSpaceReadOnly(dir: string, onProblem?: (detail: string) => void): Promise<SpaceSnapshot> {
  const logged = new Map<string, Uint8Array[]>();
  let logBuffer: Buffer | null = null;
  try {
    logBuffer = await readFile(join(dir, LOG_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (logBuffer) {
    const { records } = readLogRecords(logBuffer, (offset, kind, detail) => {
      // A record being appended right now looks cut short; it is not damage.
      if (kind !== 'truncated-tail') onProblem?.(`${kind} at byte ${offset}: ${detail}`);
    });
    for (const { payload } of records) {
      try {
        const { docId, update } = decodeLogPayload(payload);
        assertValidUpdate(update);
        logged.set(docId, [...(logged.get(docId) ?? []), update]);
      } catch (error) {
        onProblem?.(`unreadable update: ${String(error)}`);
      }
    }
  }
  const packPath = join(dir, PACK_FILE);
  if (!(await exists(packPath)) && logged.size === 0) {
    const legacy = await readLegacySpace(dir, onProblem);
    if (legacy) {
      const split = splitLegacySpace(legacy);
      const notes = new Map(split.notes.map((n) => [n.noteId, n.update]));
      return {
        catalog: docFrom(CATALOG_DOC_ID, split.catalog),
        noteIds: () => [...notes.keys()],
        readState: async (noteId) => notes.get(noteId) ?? Y.encodeStateAsUpdate(new Y.Doc()),
        close: async () => {},
      };
    }
  }
  let entries = new Map<string, PackEntry>();
  let pack: PackFile | null = null;
  if (await exists(packPath)) {
    const handle = await open(packPath, 'r');
    entries = await readPackIndex(handle, packPath);
    pack = new PackFile(handle);
  }
  const readState = async (docId: string): Promise<Uint8Array> => {
    const parts = [...(logged.get(docId) ?? [])];
    const entry = entries.get(docId);
    if (entry && pack) parts.unshift(await pack.read(entry, docId));
    return parts.length === 0 ? Y.encodeStateAsUpdate(new Y.Doc()) : parts.length === 1 ? parts[0]! : Y.mergeUpdates(parts);
  };
  const catalog = docFrom(CATALOG_DOC_ID, await readState(CATALOG_DOC_ID));
  const ids = new Set([...entries.keys(), ...logged.keys()]);
  ids.delete(CATALOG_DOC_ID);
  return { catalog, noteIds: () => [...ids], readState, close: async () => pack?.retire() };
}
