/**
 * The durable copy of every space: per space, a compacted snapshot plus an append-only log of Yjs
 * updates, each record framed with a marker, its length and a CRC so a torn or corrupt record is
 * found, reported and skipped without losing the records after it.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as Y from 'yjs';
import { spaceIdSchema } from '../../shared/host-api';

const RECORD_MARKER = Buffer.from([0xc0, 0x9b, 0x1e, 0x5a]);
const RECORD_HEADER = 12; // marker, u32 length, u32 crc
const SNAPSHOT_MAGIC = Buffer.from('CPSNAP01', 'ascii');
const SNAPSHOT_HEADER = SNAPSHOT_MAGIC.length + 8; // magic, u32 length, u32 crc
/** Compact once the log holds this many bytes, so opening a space stays fast. */
const COMPACT_AFTER_BYTES = 8 * 1024 * 1024;
const COMPACT_AFTER_RECORDS = 5000;

export type StoreProblem =
  | { kind: 'corrupt-record'; spaceId: string; offset: number; detail: string }
  | { kind: 'truncated-tail'; spaceId: string; offset: number; detail: string }
  | { kind: 'invalid-update'; spaceId: string; offset: number; detail: string };

/** Names of the steps of a write, in order; tests inject a crash at each one. */
export type StoreStep =
  | 'log-write'
  | 'log-sync'
  | 'snapshot-write'
  | 'snapshot-sync'
  | 'snapshot-rename'
  | 'log-reset-write'
  | 'log-reset-rename';

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

function encodeRecord(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(RECORD_HEADER);
  RECORD_MARKER.copy(header, 0);
  header.writeUInt32LE(payload.byteLength, 4);
  header.writeUInt32LE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

/** Reads every intact record; a bad one is reported and the scan resumes at the next marker. */
export function readLogRecords(
  buffer: Buffer,
  report: (offset: number, kind: 'corrupt-record' | 'truncated-tail', detail: string) => void,
): { records: Array<{ offset: number; payload: Uint8Array }>; goodLength: number } {
  const records: Array<{ offset: number; payload: Uint8Array }> = [];
  let pos = 0;
  let goodLength = 0;
  while (pos < buffer.length) {
    const atMarker = buffer.length - pos >= 4 && buffer.compare(RECORD_MARKER, 0, 4, pos, pos + 4) === 0;
    const next = buffer.indexOf(RECORD_MARKER, pos + 1);
    if (!atMarker) {
      if (next === -1) {
        report(pos, 'truncated-tail', `${buffer.length - pos} unreadable bytes at the end of the log`);
        break;
      }
      report(pos, 'corrupt-record', `${next - pos} unreadable bytes skipped`);
      pos = next;
      continue;
    }
    if (buffer.length - pos < RECORD_HEADER) {
      report(pos, 'truncated-tail', 'record header cut short');
      break;
    }
    const length = buffer.readUInt32LE(pos + 4);
    const end = pos + RECORD_HEADER + length;
    if (end > buffer.length) {
      if (next === -1) {
        report(pos, 'truncated-tail', 'last record cut short (an unfinished write)');
        break;
      }
      report(pos, 'corrupt-record', 'record length runs past the next record');
      pos = next;
      continue;
    }
    const payload = buffer.subarray(pos + RECORD_HEADER, end);
    if (crc32(payload) !== buffer.readUInt32LE(pos + 8)) {
      report(pos, 'corrupt-record', 'checksum mismatch');
      pos = next === -1 ? buffer.length : next;
      continue;
    }
    records.push({ offset: pos, payload: new Uint8Array(payload) });
    pos = end;
    goodLength = end;
  }
  return { records, goodLength };
}

function encodeSnapshot(state: Uint8Array): Buffer {
  const header = Buffer.alloc(SNAPSHOT_HEADER);
  SNAPSHOT_MAGIC.copy(header, 0);
  header.writeUInt32LE(state.byteLength, SNAPSHOT_MAGIC.length);
  header.writeUInt32LE(crc32(state), SNAPSHOT_MAGIC.length + 4);
  return Buffer.concat([header, state]);
}

function decodeSnapshot(buffer: Buffer, path: string): Uint8Array {
  const length = buffer.length >= SNAPSHOT_HEADER ? buffer.readUInt32LE(SNAPSHOT_MAGIC.length) : -1;
  if (
    buffer.length < SNAPSHOT_HEADER ||
    buffer.compare(SNAPSHOT_MAGIC, 0, SNAPSHOT_MAGIC.length, 0, SNAPSHOT_MAGIC.length) !== 0 ||
    length !== buffer.length - SNAPSHOT_HEADER
  ) {
    throw new StoreError(`${path} is not a Commonplace snapshot; it was left untouched`);
  }
  const state = buffer.subarray(SNAPSHOT_HEADER);
  if (crc32(state) !== buffer.readUInt32LE(SNAPSHOT_MAGIC.length + 4)) {
    throw new StoreError(`${path} fails its checksum; it was left untouched`);
  }
  return new Uint8Array(state);
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
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
    throw new InvalidUpdateError(error instanceof Error ? error.message : String(error));
  }
}

interface PendingAppend {
  record: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** One space on disk, with its document kept in memory. */
export class SpaceStore {
  readonly doc: Y.Doc;
  private log: FileHandle | null = null;
  private logBytes = 0;
  private logRecords = 0;
  private queue: PendingAppend[] = [];
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** The whole space encoded once, for clients that have nothing yet; dropped on every change. */
  private fullState: Uint8Array | null = null;

  /** Everything in the space as one update (what a new device or a wiped browser needs). */
  encodeFullState(): Uint8Array {
    this.fullState ??= Y.encodeStateAsUpdate(this.doc);
    return this.fullState;
  }

  /** Set when a write failed: the in-memory doc may then hold what the disk lacks, so it must be reloaded. */
  failed = false;

  private constructor(
    readonly spaceId: string,
    private readonly dir: string,
    private readonly options: StoreOptions,
  ) {
    this.doc = new Y.Doc();
  }

  private get logPath() {
    return join(this.dir, 'log.bin');
  }
  private get snapshotPath() {
    return join(this.dir, 'snapshot.bin');
  }

  /** Loads (or creates) the space in `dir`: snapshot first, then every readable log record. */
  static async open(spaceId: string, dir: string, options: StoreOptions = {}): Promise<SpaceStore> {
    const store = new SpaceStore(spaceId, dir, options);
    await mkdir(dir, { recursive: true });
    const snapshot = await readIfExists(store.snapshotPath);
    if (snapshot) Y.applyUpdate(store.doc, decodeSnapshot(snapshot, store.snapshotPath));
    const logBuffer = (await readIfExists(store.logPath)) ?? Buffer.alloc(0);
    let damaged = false;
    const { records, goodLength } = readLogRecords(logBuffer, (offset, kind, detail) => {
      damaged = true;
      options.onProblem?.({ kind, spaceId, offset, detail });
    });
    for (const { offset, payload } of records) {
      try {
        assertValidUpdate(payload);
        Y.applyUpdate(store.doc, payload);
      } catch (error) {
        damaged = true;
        options.onProblem?.({ kind: 'invalid-update', spaceId, offset, detail: String(error) });
      }
    }
    store.logRecords = records.length;
    store.logBytes = goodLength;
    if (damaged) {
      // Keep a copy of the damaged log for inspection, then start clean from what could be read. Copy,
      // not move: until the new snapshot is renamed into place the log is the only copy of its records,
      // and a crash in between must not lose them.
      const copy = join(dir, `log.damaged-${Date.now()}.bin`);
      await copyFile(store.logPath, copy);
      await syncFile(copy);
      await store.compactNow();
    }
    store.log = await open(store.logPath, 'a');
    return store;
  }

  /** Applies a validated update and resolves once it is on disk (writes are batched). */
  append(update: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('space store is closed'));
    try {
      assertValidUpdate(update);
      Y.applyUpdate(this.doc, update, this);
      this.fullState = null;
    } catch (error) {
      return Promise.reject(new InvalidUpdateError(error instanceof Error ? error.message : String(error)));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record: encodeRecord(update), resolve, reject });
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

  /** Folds the log into a new snapshot; safe to interrupt at any step. */
  compact(): Promise<void> {
    const compacted = this.writing.then(() => this.compactNow());
    // A failed compaction leaves snapshot + log intact; later appends must still run, not hang on it.
    this.writing = compacted.catch(() => {});
    return compacted;
  }

  private async compactNow(): Promise<void> {
    const state = Y.encodeStateAsUpdate(this.doc);
    const beforeStep = this.options.beforeStep;
    // 1. A complete new snapshot beside the old one, then an atomic rename over it.
    const tmp = `${this.snapshotPath}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      beforeStep?.('snapshot-write');
      await handle.write(encodeSnapshot(state));
      beforeStep?.('snapshot-sync');
      await handle.sync();
    } finally {
      await handle.close();
    }
    beforeStep?.('snapshot-rename');
    await rename(tmp, this.snapshotPath);
    await syncDirectory(this.dir);
    // 2. Only now empty the log: until here, old snapshot + log still hold everything.
    const emptyLog = `${this.logPath}.tmp`;
    beforeStep?.('log-reset-write');
    const fresh = await open(emptyLog, 'w');
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
        this.log = await open(this.logPath, 'a');
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
    if (this.closed && !this.failed) return;
    this.closed = true;
    await this.flush();
    await this.log?.close();
    this.log = null;
    this.doc.destroy();
  }
}

/** Every space of one data directory. */
export class DurableStore {
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
    try {
      const entries = await readdir(join(this.dataDir, 'spaces'), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && spaceIdSchema.safeParse(e.name).success).map((e) => e.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
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

/**
 * A space's state read from disk without writing anything (for exports while a host may be running).
 * The log is read before the snapshot: compaction renames a complete snapshot in before it empties the
 * log, so log-then-snapshot always covers every record the log held when it was read.
 */
export async function readSpaceStateReadOnly(dir: string, onProblem?: (detail: string) => void): Promise<Y.Doc> {
  const logBuffer = (await readIfExists(join(dir, 'log.bin'))) ?? Buffer.alloc(0);
  const snapshot = await readIfExists(join(dir, 'snapshot.bin'));
  const doc = new Y.Doc();
  if (snapshot) Y.applyUpdate(doc, decodeSnapshot(snapshot, join(dir, 'snapshot.bin')));
  const { records } = readLogRecords(logBuffer, (offset, kind, detail) => {
    // A record being appended right now looks cut short; it is not damage.
    if (kind !== 'truncated-tail') onProblem?.(`${kind} at byte ${offset}: ${detail}`);
  });
  for (const { payload } of records) {
    try {
      Y.applyUpdate(doc, payload);
    } catch (error) {
      onProblem?.(`unreadable update: ${String(error)}`);
    }
  }
  return doc;
}
