/**
 * The file a space's history lives in (`history.log`): an append-only log of versions, framed like
 * the document log (log-records.ts), each a small JSON header and the version's Yjs update. Opening
 * it reads the headers and remembers where each update is; an update is read when a version is shown.
 * A damaged record is reported and skipped: the versions of that note after it cannot be rebuilt and
 * say so, and the next version of the note starts a new chain from a full state. Notes themselves
 * never depend on this file.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { decodeRanges, encodeRanges, type DeleteRanges } from '../../shared/history/delete-set';
import type { EntryChange, VersionKind } from '../../shared/history/history-types';
import { encodeRecord, readLogRecords, RECORD_HEADER_BYTES } from './log-records';
import { PRIVATE_FILE_MODE } from './private-files';
import { errorMessage } from '../../shared/errors';

export type { EntryChange, VersionKind } from '../../shared/history/history-types';

export interface VersionMeta {
  doc: string;
  /** 0, 1, 2… per document; a gap means a damaged record. */
  n: number;
  at: number;
  kind: VersionKind;
  /** A full state (the start of a chain) rather than a change since the version before. */
  base: boolean;
  stateVector: Map<number, number>;
  /** Member ids of whoever wrote or deleted in this version ('' for someone unknown). */
  authors: string[];
  /** Who deleted what, when the version has more than one author. */
  deletedBy?: Array<[string, DeleteRanges]>;
  wordsAdded: number;
  wordsRemoved: number;
  label?: string;
  /** A revert's deleted items that it wrote again. */
  redone?: DeleteRanges;
  /** Comments the version added and threads it resolved. */
  discussion?: [number, number];
  /** Catalog versions: the notes whose entries changed, how, and by whom ('' for someone unknown). */
  entries?: Array<[string, EntryChange, string]>;
  /** Where the update is in the file, and where its deletions start in it. */
  offset: number;
  length: number;
  deletionsAt: number;
}

interface Header {
  d: string;
  n: number;
  t: number;
  k: VersionKind;
  b?: 1;
  sv: string;
  a: string[];
  del?: Array<[string, string]>;
  w?: [number, number];
  l?: string;
  e?: Array<[string, EntryChange, string]>;
  r?: string;
  c?: [number, number];
  ds: number;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

export function encodeVersion(meta: Omit<VersionMeta, 'offset' | 'length'>, update: Uint8Array): Buffer {
  const header: Header = { d: meta.doc, n: meta.n, t: meta.at, k: meta.kind, sv: b64(Y.encodeStateVector(meta.stateVector)), a: meta.authors, ds: meta.deletionsAt };
  if (meta.base) header.b = 1;
  if (meta.deletedBy) header.del = meta.deletedBy.map(([member, ranges]) => [member, b64(encodeRanges(ranges))]);
  if (meta.wordsAdded || meta.wordsRemoved) header.w = [meta.wordsAdded, meta.wordsRemoved];
  if (meta.label) header.l = meta.label;
  if (meta.entries) header.e = meta.entries;
  if (meta.redone) header.r = b64(encodeRanges(meta.redone));
  if (meta.discussion && (meta.discussion[0] || meta.discussion[1])) header.c = meta.discussion;
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, JSON.stringify(header));
  encoding.writeUint8Array(encoder, update);
  return encodeRecord(encoding.toUint8Array(encoder));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Reads one record's header; throws on anything that is not one. */
function decodeVersion(payload: Uint8Array, recordOffset: number): VersionMeta {
  const decoder = decoding.createDecoder(payload);
  const header = JSON.parse(decoding.readVarString(decoder)) as Partial<Header>;
  const start = decoder.pos;
  const kinds: VersionKind[] = ['baseline', 'edit', 'restore', 'revert', 'import'];
  if (
    typeof header.d !== 'string' ||
    !Number.isSafeInteger(header.n) ||
    typeof header.t !== 'number' ||
    !kinds.includes(header.k as VersionKind) ||
    typeof header.sv !== 'string' ||
    !isStringArray(header.a) ||
    !Number.isSafeInteger(header.ds)
  ) {
    throw new Error('a history record with a malformed header');
  }
  const length = payload.length - start;
  if (header.ds! < 0 || header.ds! > length) throw new Error('a history record whose deletions lie outside it');
  const meta: VersionMeta = {
    doc: header.d,
    n: header.n!,
    at: header.t,
    kind: header.k!,
    base: header.b === 1,
    stateVector: Y.decodeStateVector(unb64(header.sv)),
    authors: header.a,
    wordsAdded: header.w?.[0] ?? 0,
    wordsRemoved: header.w?.[1] ?? 0,
    offset: recordOffset + RECORD_HEADER_BYTES + start,
    length,
    deletionsAt: header.ds!,
  };
  if (header.del) meta.deletedBy = header.del.map(([member, ranges]) => [String(member), decodeRanges(unb64(ranges))]);
  if (typeof header.l === 'string') meta.label = header.l;
  if (typeof header.r === 'string') meta.redone = decodeRanges(unb64(header.r));
  if (Array.isArray(header.c) && Number.isSafeInteger(header.c[0]) && Number.isSafeInteger(header.c[1])) meta.discussion = [header.c[0], header.c[1]];
  if (Array.isArray(header.e)) {
    meta.entries = header.e.filter((e): e is [string, EntryChange, string] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string' && typeof e[2] === 'string');
  }
  return meta;
}

/** The file of a space's history, in the space's folder. */
export const HISTORY_FILE = 'history.log';

export type HistoryProblem = (offset: number, detail: string) => void;

export class HistoryLog {
  private writing: Promise<void> = Promise.resolve();
  private queued: Array<{ record: Buffer; placed: (offset: number) => void; reject: (error: unknown) => void }> = [];
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  /** Opens (or creates) the log and reads every intact version's header. */
  static async open(path: string, report: HistoryProblem): Promise<{ log: HistoryLog; versions: VersionMeta[] }> {
    const handle = await open(path, 'a+', PRIVATE_FILE_MODE);
    try {
      const buffer = await handle.readFile();
      const versions: VersionMeta[] = [];
      const { records, goodLength } = readLogRecords(buffer, (offset, _kind, detail) => report(offset, detail));
      for (const { offset, payload } of records) {
        try {
          versions.push(decodeVersion(payload, offset));
        } catch (error) {
          report(offset, errorMessage(error));
        }
      }
      // A torn tail is cut off, so new records follow intact ones.
      if (goodLength < buffer.length) await handle.truncate(goodLength);
      return { log: new HistoryLog(handle, goodLength), versions };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Appends a version; resolves with where its record starts, once it is on disk. */
  append(record: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error('history is closed'));
    return new Promise<number>((placed, reject) => {
      this.queued.push({ record, placed, reject });
      this.writing = this.writing.then(() => this.writeQueued());
    });
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    const start = this.size;
    try {
      await this.handle.write(Buffer.concat(batch.map((b) => b.record)), 0, undefined, start);
      await this.handle.datasync();
    } catch (error) {
      await this.handle.truncate(start).catch(() => {});
      for (const b of batch) b.reject(error);
      return;
    }
    let at = start;
    for (const b of batch) {
      b.placed(at);
      at += b.record.length;
    }
    this.size = at;
  }

  /** A version's update, as stored. */
  async read(meta: VersionMeta): Promise<Uint8Array> {
    const bytes = Buffer.alloc(meta.length);
    const { bytesRead } = await this.handle.read(bytes, 0, meta.length, meta.offset);
    if (bytesRead !== meta.length) throw new Error(`version ${meta.n} of ${meta.doc} is cut short`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get bytes(): number {
    return this.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.handle.close();
  }
}

/** Versions grouped by document, each list in order. */
export function versionsByDoc(versions: VersionMeta[]): Map<string, VersionMeta[]> {
  const byDoc = new Map<string, VersionMeta[]>();
  for (const meta of versions) {
    let list = byDoc.get(meta.doc);
    if (!list) byDoc.set(meta.doc, (list = []));
    list.push(meta);
  }
  for (const list of byDoc.values()) list.sort((a, b) => a.n - b.n);
  return byDoc;
}

/** Index of the full state that starts the unbroken chain holding version `upTo` (an index), or -1. */
export function chainStart(list: VersionMeta[], upTo = list.length - 1): number {
  for (let i = upTo; i >= 0; i--) {
    if (list[i]!.base) return i;
    if (i === 0 || list[i - 1]!.n !== list[i]!.n - 1) return -1;
  }
  return -1;
}

/** A document's state at version `n`, replayed from its chain's start; null when it cannot be rebuilt. */
export async function stateAtVersion(list: VersionMeta[], n: number, read: (meta: VersionMeta) => Promise<Uint8Array>): Promise<Uint8Array | null> {
  const index = list.findIndex((meta) => meta.n === n);
  const from = index < 0 ? -1 : chainStart(list, index);
  if (from < 0) return null;
  const doc = new Y.Doc({ guid: list[index]!.doc });
  try {
    for (let i = from; i <= index; i++) Y.applyUpdate(doc, await read(list[i]!));
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}

/** A space's history read without writing to it (the command line, while a host may run). */
export async function readHistoryFile(path: string, report: HistoryProblem): Promise<{ versions: Map<string, VersionMeta[]>; read: (meta: VersionMeta) => Promise<Uint8Array> }> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { versions: new Map(), read: async () => new Uint8Array() };
    throw error;
  }
  const versions: VersionMeta[] = [];
  const { records } = readLogRecords(buffer, (offset, _kind, detail) => report(offset, detail));
  for (const { offset, payload } of records) {
    try {
      versions.push(decodeVersion(payload, offset));
    } catch (error) {
      report(offset, errorMessage(error));
    }
  }
  return { versions: versionsByDoc(versions), read: async (meta) => new Uint8Array(buffer.subarray(meta.offset, meta.offset + meta.length)) };
}
