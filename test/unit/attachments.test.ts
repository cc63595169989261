/**
 * Attachments (shared/attachments, main/services/attachment-store): files named by their SHA-256, stored
 * once per space, written in chunks that are kept only when the whole matches its name, and fetched from
 * peers chunk by chunk, each chunk checked against the peer's list and the whole against the name. What
 * must hold: what is stored is always the file its name says, a peer's wrong bytes never stop an honest
 * peer from giving the file, and nothing a peer sends makes the decoder throw.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as encoding from 'lib0/encoding';
import { $getRoot } from 'lexical';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { AttachmentStore, attachmentHashOf } from '../../main/services/attachment-store';
import { HostService, type HostClient } from '../../main/services/host-service';
import { logger } from '../../main/services/logger';
import {
  ATTACHMENT_CHUNK_BYTES,
  DEFAULT_ATTACHMENT_LIMIT_BYTES,
  MAX_ATTACHMENT_CHUNKS,
  chunkCount,
  cleanFileName,
  formatBytes,
  isAttachmentHash,
  isShownInline,
  readImageFacts,
  toHex,
} from '../../shared/attachments/attachment';
import { AttachmentExchange, type AttachmentLink, type AttachmentSource, type FetchState } from '../../shared/attachments/attachment-exchange';
import { $createAttachmentNode, type AttachmentFacts } from '../../shared/attachments/attachment-node';
import { ATTACHMENT_MESSAGE, decodeAttachmentMessage, encodeAttachmentMessage, isAttachmentMessage, type AttachmentMessage } from '../../shared/attachments/attachment-protocol';
import { createEntry, getEntry, initSpace, trashEntry } from '../../shared/catalog';
import { MAX_ATTACHMENT_READ_BYTES, type HostEventName, type HostEvents } from '../../shared/host-api';
import { initNoteBody } from '../../shared/markdown/note-markdown';
import { bindNoteBody } from '../../shared/note-body';
import { bodyAttachments, bodyText } from '../../shared/note-content';
import { newNoteDoc, noteBodyOf } from '../../shared/note-doc';
import { expectHostError } from './support/host-errors';

logger.setQuiet(true);

const CHUNK = ATTACHMENT_CHUNK_BYTES;

/** A small seeded generator (mulberry32): the same bytes on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(size: number, seed: number): Uint8Array {
  const next = rng(seed);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function hexOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The chunks of a file as the store takes them: [offset, bytes]. */
function chunksOf(bytes: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  for (let offset = 0; offset < bytes.byteLength || out.length === 0; offset += CHUNK) out.push([offset, bytes.subarray(offset, offset + CHUNK)]);
  return out;
}

function shuffled<T>(items: T[], seed: number): T[] {
  const next = rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}


const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'commonplace-attachments-'));
  temps.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('attachment basics', () => {
  it('names files by lower-case hex SHA-256 only', () => {
    const hash = hexOf(new Uint8Array([1, 2, 3]));
    expect(isAttachmentHash(hash)).toBe(true);
    expect(attachmentHashOf(new Uint8Array([1, 2, 3]))).toBe(hash);
    expect(toHex(sha256(new Uint8Array([1, 2, 3])))).toBe(hash);
    for (const bad of [hash.toUpperCase(), hash.slice(1), `${hash}0`, `../${hash.slice(3)}`, `${hash.slice(0, 63)}g`, '', 42, null]) expect(isAttachmentHash(bad)).toBe(false);
  });

  it('counts chunks (one for an empty file) and formats sizes as people read them', () => {
    expect(chunkCount(0)).toBe(1);
    expect(chunkCount(1)).toBe(1);
    expect(chunkCount(CHUNK)).toBe(1);
    expect(chunkCount(CHUNK + 1)).toBe(2);
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(4.2 * 1024)).toBe('4.2 KB');
    expect(formatBytes(DEFAULT_ATTACHMENT_LIMIT_BYTES)).toBe('100 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GB');
  });

  it('reads an image type and size from its header only, and refuses huge dimensions inline', () => {
    // A PNG header (signature and IHDR) of 640 x 480, with no image data at all.
    const png = new Uint8Array(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const view = new DataView(png.buffer);
    view.setUint32(16, 640);
    view.setUint32(20, 480);
    png.set([8, 6, 0, 0, 0], 24);
    expect(readImageFacts(png)).toEqual({ mime: 'image/png', width: 640, height: 480 });
    // A GIF that claims 60000 x 60000: it reads, and is not drawn inline.
    const gif = new Uint8Array(16);
    gif.set([...'GIF89a'].map((c) => c.charCodeAt(0)));
    new DataView(gif.buffer).setUint16(6, 60000, true);
    new DataView(gif.buffer).setUint16(8, 60000, true);
    const facts = readImageFacts(gif);
    expect(facts).toEqual({ mime: 'image/gif', width: 60000, height: 60000 });
    expect(isShownInline(facts!.mime, facts!.width, facts!.height)).toBe(false);
    expect(isShownInline('image/png', 640, 480)).toBe(true);
    expect(isShownInline('image/png', 9000, 9000)).toBe(false); // 81 megapixels
    expect(isShownInline('image/png', 40_000, 10)).toBe(false); // one side too long
    expect(isShownInline('image/png', 0, 10)).toBe(false);
    expect(isShownInline('application/pdf', 10, 10)).toBe(false);
    expect(readImageFacts(randomBytes(100, 1))).toBeNull();
    expect(readImageFacts(new Uint8Array(0))).toBeNull();
  });

  it('cleans file names of folders and control characters', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\Users\\ada\\report.pdf')).toBe('report.pdf');
    expect(cleanFileName('a\u0000b\u0007c\u007f.txt')).toBe('abc.txt');
    expect(cleanFileName('..')).toBe('attachment');
    expect(cleanFileName('dir/')).toBe('attachment');
    expect(cleanFileName('x'.repeat(500))).toHaveLength(200);
  });
});

describe('AttachmentStore', () => {
  let dir: string;
  let store: AttachmentStore;

  beforeEach(async () => {
    dir = join(await tempDir(), 'attachments');
    store = new AttachmentStore(dir, DEFAULT_ATTACHMENT_LIMIT_BYTES);
  });

  async function files(): Promise<string[]> {
    return (await readdir(dir).catch(() => [] as string[])).sort();
  }

  it('stores a whole file by its hash and reads it back', async () => {
    const bytes = randomBytes(70_000, 2);
    const hash = await store.put(bytes);
    expect(hash).toBe(hexOf(bytes));
    expect(await store.size(hash)).toBe(bytes.byteLength);
    expect(await store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
    expect(await store.read(hash, 1000, 500)).toEqual(bytes.subarray(1000, 1500));
    expect(await store.read(hash, bytes.byteLength - 10, 100)).toEqual(bytes.subarray(bytes.byteLength - 10));
    expect((await store.read(hash, bytes.byteLength + 5, 10)).byteLength).toBe(0);
    expect(await store.put(bytes)).toBe(hash); // once
    expect(await store.list()).toEqual([hash]);
    const absent = hexOf(new Uint8Array([9]));
    expect(await store.size(absent)).toBeNull();
    expect(await store.chunkHashes(absent)).toBeNull();
    await expectHostError(store.read(absent, 0, 1), 'unavailable');
  });

  it.each([
    ['three chunks and a partial last one', 3 * CHUNK + 1234, 11],
    ['exactly two chunks', 2 * CHUNK, 12],
    ['less than a chunk', 999, 13],
    ['a 0-byte file', 0, 14],
  ])('takes the chunks of %s in any order, and keeps the file only once all are in', async (_name, size, seed) => {
    const bytes = randomBytes(size, seed);
    const hash = hexOf(bytes);
    const order = shuffled(chunksOf(bytes), seed);
    for (let i = 0; i < order.length; i++) {
      const [offset, chunk] = order[i]!;
      const complete = await store.write(hash, size, offset, chunk);
      expect(complete).toBe(i === order.length - 1);
      expect(await store.size(hash)).toBe(i === order.length - 1 ? size : null);
    }
    expect(await store.read(hash, 0, size + 10)).toEqual(bytes);
    expect(await files()).toEqual([hash]);
    // A chunk of a file already stored: nothing to do.
    expect(await store.write(hash, size, order[0]![0], order[0]![1])).toBe(true);
  });

  it('takes the chunks of a file written all at once (as a peer fetch with several chunks in flight does)', async () => {
    const bytes = randomBytes(5 * CHUNK + 17, 21);
    const hash = hexOf(bytes);
    const results = await Promise.all(chunksOf(bytes).map(([offset, chunk]) => store.write(hash, bytes.byteLength, offset, chunk)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.size(hash)).toBe(bytes.byteLength);
    expect(await store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
    expect(await files()).toEqual([hash]);
  });

  it('keeps a file whose chunks are written again while it is being checked (two writers of the same file)', async () => {
    const bytes = randomBytes(4 * CHUNK, 22);
    const hash = hexOf(bytes);
    const chunks = chunksOf(bytes);
    for (const [offset, chunk] of chunks.slice(0, -1)) await store.write(hash, bytes.byteLength, offset, chunk);
    const [lastOffset, lastChunk] = chunks.at(-1)!;
    let settled = false;
    const last = store.write(hash, bytes.byteLength, lastOffset, lastChunk).finally(() => (settled = true));
    const again: Array<Promise<boolean>> = [];
    while (!settled) {
      again.push(store.write(hash, bytes.byteLength, 0, chunks[0]![1]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await last).toBe(true);
    await Promise.allSettled(again);
    expect(await store.size(hash)).toBe(bytes.byteLength);
    expect(await store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
    expect(await files()).toEqual([hash]);
  });

  it('throws away bytes that do not match their hash, leaving no file and no .part', async () => {
    const bytes = randomBytes(2 * CHUNK + 100, 3);
    const hash = hexOf(bytes);
    const altered = bytes.slice();
    altered[CHUNK + 7]! ^= 0x01;
    const chunks = chunksOf(altered);
    expect(await store.write(hash, altered.byteLength, chunks[0]![0], chunks[0]![1])).toBe(false);
    expect(await store.write(hash, altered.byteLength, chunks[2]![0], chunks[2]![1])).toBe(false);
    expect((await files()).some((name) => name.endsWith('.part'))).toBe(true);
    const error = await expectHostError(store.write(hash, altered.byteLength, chunks[1]![0], chunks[1]![1]), 'corrupt-update');
    expect(error.message).toContain(hash.slice(0, 12));
    expect(await store.size(hash)).toBeNull();
    expect(await store.list()).toEqual([]);
    expect(await files()).toEqual([]);
    // The right bytes afterwards are taken from scratch.
    for (const [offset, chunk] of chunksOf(bytes)) await store.write(hash, bytes.byteLength, offset, chunk);
    expect(await store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
  });

  it('refuses a file over its limit, saying the limit', async () => {
    const hash = hexOf(new Uint8Array([1]));
    const error = await expectHostError(store.write(hash, DEFAULT_ATTACHMENT_LIMIT_BYTES + 1, 0, new Uint8Array(CHUNK)), 'too-large');
    expect(error.message).toContain('100 MB');
    expect(await files()).toEqual([]);
    // At the limit exactly, a chunk is taken.
    expect(await store.write(hash, DEFAULT_ATTACHMENT_LIMIT_BYTES, 0, new Uint8Array(CHUNK))).toBe(false);

    const small = new AttachmentStore(join(await tempDir(), 'small'), 3 * 1024 * 1024);
    const tooBig = await expectHostError(small.put(new Uint8Array(3 * 1024 * 1024 + 1)), 'too-large');
    expect(tooBig.message).toContain('3 MB');
    expect(await small.list()).toEqual([]);
    expect(await small.put(new Uint8Array(3 * 1024 * 1024))).toBe(hexOf(new Uint8Array(3 * 1024 * 1024)));
  });

  it('refuses a chunk of the wrong length or at the wrong offset', async () => {
    const size = 2 * CHUNK + 10;
    const hash = hexOf(randomBytes(size, 4));
    const cases: Array<[number, number]> = [
      [0, CHUNK - 1], // a first chunk not full
      [0, CHUNK + 1], // too long
      [CHUNK, CHUNK], // the second chunk is full: right
      [2 * CHUNK, 11], // the last chunk is 10 bytes
      [2 * CHUNK, CHUNK], // …not a full chunk
      [100, CHUNK], // not on a chunk boundary
      [3 * CHUNK, 0], // past the end
      [-CHUNK, CHUNK], // before the start
      [Number.NaN, CHUNK],
    ];
    for (const [offset, length] of cases) {
      if (offset === CHUNK && length === CHUNK) {
        expect(await store.write(hash, size, offset, new Uint8Array(length))).toBe(false);
        continue;
      }
      await expectHostError(store.write(hash, size, offset, new Uint8Array(length)), 'invalid-input');
    }
    // A 0-byte file takes one empty chunk at 0, nothing else.
    const empty = hexOf(new Uint8Array(0));
    await expectHostError(store.write(empty, 0, 0, new Uint8Array(1)), 'invalid-input');
    await expectHostError(store.write(empty, 0, CHUNK, new Uint8Array(0)), 'invalid-input');
    expect(await store.write(empty, 0, 0, new Uint8Array(0))).toBe(true);
    expect(await store.size(empty)).toBe(0);
  });

  it('lists the SHA-256 of every 256 KiB slice as the chunk hashes', async () => {
    for (const [size, seed] of [
      [2 * CHUNK + 12345, 5],
      [CHUNK, 6],
      [0, 7],
    ] as const) {
      const bytes = randomBytes(size, seed);
      const hash = await store.put(bytes);
      const list = await store.chunkHashes(hash);
      expect(list?.size).toBe(size);
      const expected = chunksOf(bytes).map(([, chunk]) => toHex(sha256(chunk)));
      const got = Array.from({ length: list!.hashes.byteLength / 32 }, (_, i) => toHex(list!.hashes.subarray(i * 32, i * 32 + 32)));
      expect(got).toEqual(expected);
      expect(got).toHaveLength(Math.max(1, Math.ceil(size / CHUNK)));
    }
  });

  it('never makes a path of something that is not a hash', async () => {
    const parent = join(dir, '..');
    const before = (await readdir(parent)).sort();
    const hash = hexOf(new Uint8Array([5]));
    const bad = [`../${hash.slice(3)}`, `..\\${hash.slice(3)}`, hash.toUpperCase(), hash.slice(0, 63), `${hash}.part`, `${hash.slice(0, 62)}/x`, '', '.', '..'];
    for (const name of bad) {
      expect(await store.size(name)).toBeNull();
      expect(await store.chunkHashes(name)).toBeNull();
      await expectHostError(store.read(name, 0, 10), 'invalid-input');
      await expectHostError(store.write(name, 1, 0, new Uint8Array([5])), 'invalid-input');
    }
    expect((await readdir(parent)).sort()).toEqual(before);
    expect(await files()).toEqual([]);
    // Whatever else is in the folder is not listed as an attachment.
    await store.put(new Uint8Array([5]));
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, `${hash.slice(0, 60)}.part`), 'x');
    expect(await store.list()).toEqual([hash]);
  });

  it('forgets the partial files of an earlier run', async () => {
    const bytes = randomBytes(2 * CHUNK, 8);
    const hash = hexOf(bytes);
    await store.write(hash, bytes.byteLength, 0, bytes.subarray(0, CHUNK));
    expect(await files()).toEqual([`${hash}.part`]);
    const restarted = new AttachmentStore(dir, DEFAULT_ATTACHMENT_LIMIT_BYTES);
    // The earlier run's chunk is not counted: both are needed again.
    expect(await restarted.write(hash, bytes.byteLength, CHUNK, bytes.subarray(CHUNK))).toBe(false);
    expect(await restarted.write(hash, bytes.byteLength, 0, bytes.subarray(0, CHUNK))).toBe(true);
    expect(await restarted.read(hash, 0, bytes.byteLength)).toEqual(bytes);
  });
});

describe('attachment protocol', () => {
  const hash = hexOf(new Uint8Array([1, 2, 3]));
  const size = 2 * CHUNK + 5;
  const examples: AttachmentMessage[] = [
    { kind: 'want', hash },
    { kind: 'have', hash, size, chunkHashes: randomBytes(3 * 32, 30) },
    { kind: 'have', hash, size: 0, chunkHashes: randomBytes(32, 31) },
    { kind: 'lack', hash },
    { kind: 'get', hash, index: 0 },
    { kind: 'get', hash, index: MAX_ATTACHMENT_CHUNKS - 1 },
    { kind: 'chunk', hash, index: 2, bytes: randomBytes(5, 32) },
    { kind: 'chunk', hash, index: 0, bytes: randomBytes(CHUNK, 33) },
    { kind: 'chunk', hash, index: 0, bytes: new Uint8Array(0) },
  ];

  it.each(examples.map((m) => [m.kind, m] as const))('round-trips %s', (_kind, message) => {
    const bytes = encodeAttachmentMessage(message);
    expect(isAttachmentMessage(bytes)).toBe(true);
    expect(bytes[0]).toBe(ATTACHMENT_MESSAGE);
    expect(decodeAttachmentMessage(bytes)).toEqual({ ok: true, message });
  });

  function refused(bytes: Uint8Array): string {
    const result = decodeAttachmentMessage(bytes);
    expect(result.ok).toBe(false);
    return result.ok ? '' : result.reason;
  }

  it('refuses every truncation and any trailing byte', () => {
    for (const message of examples) {
      const bytes = encodeAttachmentMessage(message);
      // Every prefix of the small ones; of a full chunk, its header's and a spread of the rest.
      const lengths = bytes.byteLength < 1000 ? [...Array(bytes.byteLength).keys()] : [...Array(100).keys(), ...Array.from({ length: 100 }, (_, i) => Math.floor(((i + 1) * bytes.byteLength) / 101)), bytes.byteLength - 1];
      for (const length of lengths) refused(bytes.subarray(0, length));
      const longer = new Uint8Array(bytes.byteLength + 1);
      longer.set(bytes);
      expect(refused(longer)).toMatch(/after the end/);
    }
  });

  function raw(write: (encoder: encoding.Encoder) => void): Uint8Array {
    const encoder = encoding.createEncoder();
    write(encoder);
    return encoding.toUint8Array(encoder);
  }

  it('refuses unknown kinds, other protocols, bad chunk lists, oversized chunks and sizes, indexes past the largest file', () => {
    const hashBytes = sha256(new Uint8Array([1, 2, 3]));
    expect(refused(raw((e) => (encoding.writeVarUint(e, ATTACHMENT_MESSAGE), encoding.writeVarUint(e, 9), encoding.writeUint8Array(e, hashBytes))))).toMatch(/unknown message kind 9/);
    expect(refused(raw((e) => (encoding.writeVarUint(e, 100), encoding.writeVarUint(e, 0), encoding.writeUint8Array(e, hashBytes))))).toMatch(/not an attachment message/);
    expect(isAttachmentMessage(new Uint8Array([100, 0]))).toBe(false);
    expect(isAttachmentMessage(new Uint8Array(0))).toBe(false);
    // A chunk list one hash short, one long, and a stray byte, for a 3-chunk file.
    for (const length of [2 * 32, 4 * 32, 3 * 32 + 1, 0]) {
      expect(refused(encodeAttachmentMessage({ kind: 'have', hash, size, chunkHashes: new Uint8Array(length) }))).toMatch(/chunk hashes/);
    }
    expect(refused(encodeAttachmentMessage({ kind: 'have', hash, size: MAX_ATTACHMENT_CHUNKS * CHUNK + 1, chunkHashes: new Uint8Array(32) }))).toMatch(/a file of/);
    expect(refused(encodeAttachmentMessage({ kind: 'chunk', hash, index: 0, bytes: new Uint8Array(CHUNK + 1) }))).toMatch(/a chunk of/);
    expect(refused(encodeAttachmentMessage({ kind: 'get', hash, index: MAX_ATTACHMENT_CHUNKS }))).toMatch(/past the largest file/);
    expect(refused(encodeAttachmentMessage({ kind: 'chunk', hash, index: MAX_ATTACHMENT_CHUNKS, bytes: new Uint8Array(1) }))).toMatch(/past the largest file/);
    // A chunk that says it is longer than the message.
    expect(refused(raw((e) => (encoding.writeVarUint(e, ATTACHMENT_MESSAGE), encoding.writeVarUint(e, 4), encoding.writeUint8Array(e, hashBytes), encoding.writeVarUint(e, 0), encoding.writeVarUint(e, 1_000_000), encoding.writeUint8Array(e, new Uint8Array(10)))))).toBeTruthy();
  });

  it('never throws on garbage or on damaged messages', () => {
    const next = rng(99);
    const valid = examples.filter((m) => m.kind !== 'chunk' || m.bytes.byteLength < 100).map(encodeAttachmentMessage);
    let accepted = 0;
    for (let round = 0; round < 3000; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = randomBytes(Math.floor(next() * 80), round);
        if (bytes.byteLength > 0 && next() < 0.7) bytes[0] = ATTACHMENT_MESSAGE;
        if (bytes.byteLength > 1 && next() < 0.7) bytes[1] = Math.floor(next() * 6);
      } else {
        bytes = valid[Math.floor(next() * valid.length)]!.slice();
        for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips--) bytes[Math.floor(next() * bytes.byteLength)] = Math.floor(next() * 256);
      }
      let result: ReturnType<typeof decodeAttachmentMessage> | undefined;
      expect(() => (result = decodeAttachmentMessage(bytes))).not.toThrow();
      if (result!.ok) {
        accepted++;
        const message = result!.message;
        expect(isAttachmentHash(message.hash)).toBe(true);
        if (message.kind === 'chunk') expect(message.bytes.byteLength).toBeLessThanOrEqual(CHUNK);
        if (message.kind === 'get' || message.kind === 'chunk') expect(message.index).toBeLessThan(MAX_ATTACHMENT_CHUNKS);
        if (message.kind === 'have') expect(message.chunkHashes.byteLength).toBe(chunkCount(message.size) * 32);
      } else expect(typeof result!.reason).toBe('string');
    }
    // Some damaged messages are still well formed (a flipped hash byte): the loop saw both outcomes.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(3000);
  });
});

/** This device's side of an exchange: a real store, SHA-256 from node:crypto. */
function sourceOf(store: AttachmentStore): AttachmentSource {
  return {
    chunks: (hash) => store.chunkHashes(hash),
    read: (hash, offset, length) => store.read(hash, offset, length),
    write: (hash, size, offset, bytes) => store.write(hash, size, offset, bytes),
    has: async (hash) => (await store.size(hash)) !== null,
    sha256: async (bytes) => sha256(bytes),
  };
}

class Peer {
  readonly warnings: string[] = [];
  readonly exchange: AttachmentExchange;
  /** Messages this peer received, decoded kinds only. */
  readonly received: string[] = [];

  constructor(
    readonly name: string,
    readonly store: AttachmentStore,
    source: AttachmentSource = sourceOf(store),
    timeoutMs = 2000,
  ) {
    this.exchange = new AttachmentExchange(source, { warn: (m) => this.warnings.push(m), answerTimeoutMs: timeoutMs });
  }
}

async function peer(name: string, options: { source?: (store: AttachmentStore) => AttachmentSource; timeoutMs?: number } = {}): Promise<Peer> {
  const store = new AttachmentStore(join(await tempDir(), name), DEFAULT_ATTACHMENT_LIMIT_BYTES);
  return new Peer(name, store, options.source?.(store), options.timeoutMs);
}

/** Joins two peers: each side's `send` reaches the other's `receive` on a later turn, as a data channel does. */
function connect(x: Peer, y: Peer, options: { silentY?: boolean } = {}): { xy: AttachmentLink; yx: AttachmentLink } {
  const deliver = (to: Peer, from: AttachmentLink, message: Uint8Array) => {
    const copy = message.slice();
    setImmediate(() => to.exchange.receive(from, copy));
  };
  const xy: AttachmentLink = { send: (m) => deliver(y, yx, m) };
  const yx: AttachmentLink = { send: (m) => (options.silentY ? undefined : deliver(x, xy, m)) };
  x.exchange.addLink(xy);
  y.exchange.addLink(yx);
  return { xy, yx };
}

describe('AttachmentExchange', () => {
  const exchanges: AttachmentExchange[] = [];
  afterEach(() => {
    for (const exchange of exchanges.splice(0)) exchange.destroy();
  });
  async function make(name: string, options: Parameters<typeof peer>[1] = {}): Promise<Peer> {
    const p = await peer(name, options);
    exchanges.push(p.exchange);
    return p;
  }

  it('fetches a file of more than 1 MB from a peer, chunk by chunk, byte for byte', async () => {
    const a = await make('a');
    const b = await make('b');
    connect(b, a);
    const bytes = randomBytes(4 * CHUNK + 54_321, 40);
    const hash = await a.store.put(bytes);
    const states: FetchState[] = [];
    b.exchange.on('state', (h, state) => h === hash && states.push(state));
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(b.exchange.state(hash)).toEqual({ state: 'stored' });
    expect(await b.store.size(hash)).toBe(bytes.byteLength);
    expect(await b.store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
    // Progress was reported on the way, and only upward.
    const progress = states.filter((s): s is Extract<FetchState, { state: 'fetching' }> => s.state === 'fetching');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((s) => s.size === bytes.byteLength)).toBe(true);
    expect(progress.map((s) => s.received)).toEqual([...progress.map((s) => s.received)].sort((x, y) => x - y));
    expect(states.at(-1)).toEqual({ state: 'stored' });
    // Asked again, the file is already here.
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(a.warnings).toEqual([]);
    expect(b.warnings).toEqual([]);
  });

  it('fetches a 0-byte file', async () => {
    const a = await make('a');
    const b = await make('b');
    connect(b, a);
    const hash = await a.store.put(new Uint8Array(0));
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(await b.store.size(hash)).toBe(0);
  });

  it('says a file no peer has is unavailable', async () => {
    const a = await make('a');
    const b = await make('b');
    const c = await make('c');
    connect(b, a);
    connect(b, c);
    const hash = hexOf(randomBytes(10, 41));
    expect(await b.exchange.fetch(hash)).toBe(false);
    expect(b.exchange.state(hash)).toMatchObject({ state: 'unavailable' });
    expect(await b.store.list()).toEqual([]);
    // And with no peer at all.
    const alone = await make('alone');
    expect(await alone.exchange.fetch(hash)).toBe(false);
    expect(alone.exchange.state(hash)).toMatchObject({ state: 'unavailable' });
  });

  it('passes over a peer whose bytes do not match its chunk list, and takes the file from an honest one', async () => {
    const bytes = randomBytes(3 * CHUNK + 99, 42);
    const liar = await make('liar', {
      source: (store) => ({
        ...sourceOf(store),
        read: async (hash, offset, length) => {
          const real = await store.read(hash, offset, length);
          if (offset === CHUNK) real[5]! ^= 0xff;
          return real;
        },
      }),
    });
    const honest = await make('honest');
    const b = await make('b');
    const hash = await liar.store.put(bytes);
    await honest.store.put(bytes);
    connect(b, liar); // asked first
    connect(b, honest);
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(await b.store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
    expect(b.warnings.some((w) => /refused/.test(w) && /does not match/.test(w))).toBe(true);
  });

  it('passes over a peer whose chunk list was made for other bytes (only the whole file shows it)', async () => {
    const bytes = randomBytes(2 * CHUNK + 7, 43);
    const hash = hexOf(bytes);
    const fake = bytes.slice();
    fake[CHUNK + 1]! ^= 0x10;
    const fakeStore = new AttachmentStore(join(await tempDir(), 'fake'), DEFAULT_ATTACHMENT_LIMIT_BYTES);
    const fakeHash = await fakeStore.put(fake);
    // Serves the fake file under the real file's name, with a chunk list that fits the fake bytes.
    const liar = await make('liar', {
      source: (store) => ({
        ...sourceOf(store),
        chunks: async (h) => (h === hash ? fakeStore.chunkHashes(fakeHash) : null),
        read: async (h, offset, length) => (h === hash ? fakeStore.read(fakeHash, offset, length) : store.read(h, offset, length)),
      }),
    });
    const honest = await make('honest');
    await honest.store.put(bytes);
    const b = await make('b');
    connect(b, liar);
    connect(b, honest);
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(await b.store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
    expect(b.warnings.some((w) => /refused/.test(w) && /hash to/.test(w))).toBe(true);
    // The liar is not asked for that file again.
    await rm(join(b.store.dir, hash));
    const liarWants: string[] = [];
    const spy = liar.exchange.receive.bind(liar.exchange);
    liar.exchange.receive = (link, message) => {
      const decoded = decodeAttachmentMessage(message);
      if (decoded.ok) liarWants.push(decoded.message.kind);
      spy(link, message);
    };
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(liarWants).toEqual([]);
  });

  it('does not blame an honest peer for chunks a lying peer left before going quiet', async () => {
    const bytes = randomBytes(4 * CHUNK, 44);
    const hash = hexOf(bytes);
    const fake = bytes.slice();
    fake[3]! ^= 0x01; // in chunk 0
    const fakeStore = new AttachmentStore(join(await tempDir(), 'fake'), DEFAULT_ATTACHMENT_LIMIT_BYTES);
    const fakeHash = await fakeStore.put(fake);
    let served = 0;
    const liar = await make('liar', {
      source: (store) => ({
        ...sourceOf(store),
        chunks: async (h) => (h === hash ? fakeStore.chunkHashes(fakeHash) : null),
        // Serves the first chunk (whose bytes fit its made-up list), then never answers again.
        read: (h, offset, length) => (served++ === 0 ? fakeStore.read(fakeHash, offset, length) : new Promise<Uint8Array>(() => {})),
      }),
    });
    const honest = await make('honest');
    await honest.store.put(bytes);
    // Long enough that the honest peer always answers in time on a loaded machine.
    const b = await make('b', { timeoutMs: 1000 });
    connect(b, liar);
    connect(b, honest);
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(await b.store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
  });

  it('asks the next peer when one never answers', async () => {
    const silent = await make('silent');
    const a = await make('a');
    // Long enough that the peer who does answer always answers in time on a loaded machine.
    const b = await make('b', { timeoutMs: 1000 });
    const bytes = randomBytes(CHUNK + 10, 45);
    const hash = await a.store.put(bytes);
    await silent.store.put(bytes);
    connect(b, silent, { silentY: true }); // asked first, never answers
    connect(b, a);
    const started = Date.now();
    expect(await b.exchange.fetch(hash)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(await b.store.read(hash, 0, bytes.byteLength)).toEqual(bytes);
  });

  it('fetches what it is told it wants in the background, one file after another', async () => {
    const a = await make('a');
    const b = await make('b');
    const files = [randomBytes(CHUNK * 2 + 3, 46), randomBytes(1000, 47), randomBytes(0, 48), randomBytes(CHUNK, 49)];
    const hashes: string[] = [];
    for (const file of files) hashes.push(await a.store.put(file));
    const absent = hexOf(randomBytes(5, 50));
    b.exchange.want([...hashes.slice(0, 2), absent]);
    connect(b, a); // a peer comes: the background starts
    b.exchange.want([...hashes.slice(2), hashes[0]!]);
    await expect.poll(() => hashes.map((h) => b.exchange.state(h)?.state), { timeout: 10_000 }).toEqual(hashes.map(() => 'stored'));
    await expect.poll(() => b.exchange.state(absent)?.state, { timeout: 10_000 }).toBe('unavailable');
    for (let i = 0; i < files.length; i++) expect(await b.store.read(hashes[i]!, 0, files[i]!.byteLength + 1)).toEqual(files[i]);
    expect((await b.store.list()).sort()).toEqual([...hashes].sort());
  });

  it('fetches among three peers, each serving what it has', async () => {
    const a = await make('a');
    const b = await make('b');
    const c = await make('c');
    connect(a, b);
    connect(b, c);
    connect(c, a);
    const fromA = await a.store.put(randomBytes(CHUNK + 1, 51));
    const fromC = await c.store.put(randomBytes(3 * CHUNK, 52));
    expect(await Promise.all([b.exchange.fetch(fromA), b.exchange.fetch(fromC), a.exchange.fetch(fromC), c.exchange.fetch(fromA)])).toEqual([true, true, true, true]);
    for (const p of [a, b, c]) expect((await p.store.list()).sort()).toEqual([fromA, fromC].sort());
  });

  it('refuses a malformed message without throwing, and keeps serving', async () => {
    const a = await make('a');
    const b = await make('b');
    const { yx } = connect(b, a);
    const hash = await a.store.put(randomBytes(100, 53));
    for (const garbage of [new Uint8Array([ATTACHMENT_MESSAGE]), new Uint8Array([ATTACHMENT_MESSAGE, 7, 1, 2]), randomBytes(50, 54), new Uint8Array(0)]) {
      expect(() => a.exchange.receive(yx, garbage)).not.toThrow();
    }
    expect(a.warnings.length).toBe(4);
    expect(a.warnings.every((w) => /refused a message/.test(w))).toBe(true);
    // An answer nobody asked for is ignored.
    expect(() => b.exchange.receive(yx, encodeAttachmentMessage({ kind: 'chunk', hash, index: 0, bytes: new Uint8Array(3) }))).not.toThrow();
    expect(await b.store.list()).toEqual([]);
    expect(await b.exchange.fetch(hash)).toBe(true);
  });
});

/** A connected renderer as the service sees it: it records the events pushed to it. */
class RecordingClient implements HostClient {
  readonly events: Array<{ event: HostEventName; payload: HostEvents[HostEventName] }> = [];
  send<E extends HostEventName>(event: E, payload: HostEvents[E]): void {
    this.events.push({ event, payload });
  }
}

describe('HostService: attachments', () => {
  const SPACE = 'space-attach01';
  const LIMIT = 3 * 1024 * 1024;
  let dataDir: string;
  let service: HostService;
  const client = new RecordingClient();

  beforeEach(async () => {
    dataDir = await tempDir();
    service = new HostService({ dataDir, host: 'web', version: '1.0.0-test', attachmentLimit: LIMIT });
  });

  afterEach(async () => {
    await service.close();
  });

  const call = <T>(method: string, input: unknown) => service.handle(client, method, input) as Promise<T>;

  it('says its attachment limit', async () => {
    expect(await call<{ attachmentLimit: number }>('app.info', {})).toMatchObject({ attachmentLimit: LIMIT });
    const other = new HostService({ dataDir: await tempDir(), host: 'web', version: 'x' });
    try {
      expect(await other.handle(client, 'app.info', {})).toMatchObject({ attachmentLimit: DEFAULT_ATTACHMENT_LIMIT_BYTES });
    } finally {
      await other.close();
    }
  });

  it('takes a file in chunks, tells subscribers once it is stored, and serves sizes, slices and chunk hashes', async () => {
    const subscriber = new RecordingClient();
    const elsewhere = new RecordingClient();
    await service.handle(subscriber, 'space.subscribe', { spaceId: SPACE });
    await service.handle(elsewhere, 'space.subscribe', { spaceId: 'space-other002' });
    const bytes = randomBytes(2 * CHUNK + 4321, 60);
    const hash = hexOf(bytes);
    const chunks = shuffled(chunksOf(bytes), 60);
    const attachmentEvents = () => subscriber.events.filter((e) => e.event === 'space.attachment');
    for (let i = 0; i < chunks.length; i++) {
      const [offset, chunk] = chunks[i]!;
      expect(attachmentEvents()).toEqual([]);
      expect(await call('attachment.write', { spaceId: SPACE, hash, size: bytes.byteLength, offset, bytes: chunk.slice() })).toEqual({ complete: i === chunks.length - 1 });
    }
    expect(attachmentEvents()).toEqual([{ event: 'space.attachment', payload: { spaceId: SPACE, hash } }]);
    expect(elsewhere.events.filter((e) => e.event === 'space.attachment')).toEqual([]);

    const absent = hexOf(new Uint8Array([7]));
    expect(await call('attachment.stat', { spaceId: SPACE, hashes: [hash, absent] })).toEqual({ sizes: [bytes.byteLength, null] });
    expect(await call('attachment.stat', { spaceId: 'space-nowhere1', hashes: [hash] })).toEqual({ sizes: [null] });
    // Files are per space: another space does not have it.
    expect(await call('attachment.stat', { spaceId: 'space-other002', hashes: [hash] })).toEqual({ sizes: [null] });

    const read = async (offset: number, length: number) => (await call<{ bytes: Uint8Array }>('attachment.read', { spaceId: SPACE, hash, offset, length })).bytes;
    expect(await read(CHUNK - 10, 20)).toEqual(bytes.subarray(CHUNK - 10, CHUNK + 10));
    expect(await read(0, bytes.byteLength)).toEqual(bytes);
    expect(await read(bytes.byteLength - 5, 100)).toEqual(bytes.subarray(bytes.byteLength - 5));
    await expectHostError(call('attachment.read', { spaceId: SPACE, hash: absent, offset: 0, length: 1 }), 'unavailable');

    const { size, hashes } = await call<{ size: number | null; hashes: Uint8Array }>('attachment.chunks', { spaceId: SPACE, hash });
    expect(size).toBe(bytes.byteLength);
    const expected = new Uint8Array(chunkCount(bytes.byteLength) * 32);
    chunksOf(bytes).forEach(([, chunk], i) => expected.set(sha256(chunk), i * 32));
    expect(hashes).toEqual(expected);
    expect(await call('attachment.chunks', { spaceId: SPACE, hash: absent })).toEqual({ size: null, hashes: new Uint8Array(0) });

    // Written again: already stored, no second event.
    expect(await call('attachment.write', { spaceId: SPACE, hash, size: bytes.byteLength, offset: 0, bytes: bytes.slice(0, CHUNK) })).toEqual({ complete: true });
    expect(attachmentEvents()).toHaveLength(1);
  });

  it('refuses bytes that do not match, bad hashes, oversized chunks and files over the limit', async () => {
    const bytes = randomBytes(CHUNK + 10, 61);
    const hash = hexOf(bytes);
    const wrong = bytes.slice();
    wrong[0]! ^= 1;
    await call('attachment.write', { spaceId: SPACE, hash, size: bytes.byteLength, offset: CHUNK, bytes: wrong.slice(CHUNK) });
    await expectHostError(call('attachment.write', { spaceId: SPACE, hash, size: bytes.byteLength, offset: 0, bytes: wrong.slice(0, CHUNK) }), 'corrupt-update');
    expect(await call('attachment.stat', { spaceId: SPACE, hashes: [hash] })).toEqual({ sizes: [null] });

    for (const bad of [hash.toUpperCase(), hash.slice(1), `../../${hash.slice(6)}`, '']) {
      await expectHostError(call('attachment.write', { spaceId: SPACE, hash: bad, size: 1, offset: 0, bytes: new Uint8Array(1) }), 'invalid-input');
      await expectHostError(call('attachment.read', { spaceId: SPACE, hash: bad, offset: 0, length: 1 }), 'invalid-input');
      await expectHostError(call('attachment.chunks', { spaceId: SPACE, hash: bad }), 'invalid-input');
      await expectHostError(call('attachment.stat', { spaceId: SPACE, hashes: [bad] }), 'invalid-input');
    }
    const write = (input: Record<string, unknown>) => call('attachment.write', { spaceId: SPACE, hash, size: bytes.byteLength, offset: 0, bytes: bytes.slice(0, CHUNK), ...input });
    // More bytes than a chunk is refused before the store is touched, as too large (the host's rule for oversized bytes).
    await expectHostError(write({ bytes: new Uint8Array(CHUNK + 1) }), 'too-large');
    await expectHostError(write({ offset: -CHUNK }), 'invalid-input');
    await expectHostError(write({ offset: 1.5 }), 'invalid-input');
    await expectHostError(write({ offset: 10 }), 'invalid-input');
    await expectHostError(write({ bytes: bytes.slice(0, 10) }), 'invalid-input');
    await expectHostError(write({ size: -1 }), 'invalid-input');
    await expectHostError(write({ bytes: Array.from(bytes.slice(0, 4)) }), 'invalid-input');
    await expectHostError(write({ extra: true }), 'invalid-input');
    await expectHostError(call('attachment.read', { spaceId: SPACE, hash, offset: 0, length: MAX_ATTACHMENT_READ_BYTES + 1 }), 'invalid-input');
    await expectHostError(call('attachment.read', { spaceId: '../../etc', hash, offset: 0, length: 1 }), 'invalid-input');
    const tooLarge = await expectHostError(write({ size: LIMIT + 1 }), 'too-large');
    expect(tooLarge.message).toContain(formatBytes(LIMIT));
    expect(tooLarge.message).toContain('3 MB');
  });

  /** Writes an attachment node at the end of a note's first paragraph, as the editor does. */
  function attach(body: Y.Doc, noteId: string, facts: Partial<AttachmentFacts> & { hash: string }): void {
    const { editor, dispose } = bindNoteBody(body, noteId);
    try {
      editor.update(
        () =>
          $getRoot()
            .getFirstChildOrThrow()
            .selectEnd()
            .insertNodes([$createAttachmentNode({ name: 'file.bin', mime: 'application/octet-stream', size: 1, alt: '', width: 0, height: 0, by: 'author-1', ...facts })]),
        { discrete: true },
      );
    } finally {
      dispose();
    }
  }

  it('lists the files notes show that are not stored, until they are', async () => {
    const watcher = new RecordingClient();
    await service.handle(watcher, 'space.subscribe', { spaceId: SPACE });
    const report = randomBytes(CHUNK + 3, 62);
    const photo = randomBytes(500, 63);
    const reportHash = hexOf(report);
    const photoHash = hexOf(photo);
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const one = newNoteDoc('note-one00001');
    initNoteBody(one, 'note-one00001', 'See the report');
    attach(one, 'note-one00001', { hash: reportHash, name: 'quarterly-invoice.pdf', mime: 'application/pdf', size: report.byteLength });
    const two = newNoteDoc('note-two00002');
    initNoteBody(two, 'note-two00002', 'Photos');
    attach(two, 'note-two00002', { hash: photoHash, name: 'bed.png', alt: 'raised bed', mime: 'image/png', size: photo.byteLength, width: 10, height: 10 });
    attach(two, 'note-two00002', { hash: reportHash, name: 'quarterly-invoice.pdf' });
    const plain = newNoteDoc('note-plain003');
    initNoteBody(plain, 'note-plain003', 'No files here');
    for (const id of ['note-one00001', 'note-two00002', 'note-plain003']) createEntry(catalog, { id, title: id, author: { id: 'author-1', name: 'Ada' } });
    trashEntry(getEntry(catalog, 'note-two00002')!); // a trashed note may come back: its files still count

    // The body holds the node as @lexical/yjs writes it, and the reader finds it.
    expect([...bodyAttachments(noteBodyOf(two, 'note-two00002'))].sort()).toEqual([photoHash, reportHash].sort());
    expect(bodyText(noteBodyOf(two, 'note-two00002'))).toContain('raised bed');

    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    await service.handle(client, 'notes.push', {
      spaceId: SPACE,
      updates: [
        { docId: 'note-one00001', update: Y.encodeStateAsUpdate(one) },
        { docId: 'note-two00002', update: Y.encodeStateAsUpdate(two) },
        { docId: 'note-plain003', update: Y.encodeStateAsUpdate(plain) },
      ],
    });
    type Missing = { missing: Array<{ hash: string; noteIds: string[] }> };
    const missing = async () =>
      (await call<Missing>('attachment.missing', { spaceId: SPACE })).missing.map((m) => ({ hash: m.hash, noteIds: [...m.noteIds].sort() })).sort((x, y) => x.hash.localeCompare(y.hash));
    await expect
      .poll(missing, { timeout: 10_000 })
      .toEqual(
        [
          { hash: reportHash, noteIds: ['note-one00001', 'note-two00002'] },
          { hash: photoHash, noteIds: ['note-two00002'] },
        ].sort((x, y) => x.hash.localeCompare(y.hash)),
      );
    // The file's name is searchable text of the note.
    const hits = (await call<{ hits: Array<{ id: string }> }>('space.search', { spaceId: SPACE, query: 'invoice' })).hits.map((h) => h.id);
    expect(hits).toContain('note-one00001');

    // Stored (in chunks, as from a peer), it is no longer missing.
    for (const [offset, chunk] of chunksOf(report)) await call('attachment.write', { spaceId: SPACE, hash: reportHash, size: report.byteLength, offset, bytes: chunk.slice() });
    expect(await missing()).toEqual([{ hash: photoHash, noteIds: ['note-two00002'] }]);
    await call('attachment.write', { spaceId: SPACE, hash: photoHash, size: photo.byteLength, offset: 0, bytes: photo });
    expect(await missing()).toEqual([]);

    // A note that gains a file not stored: listed once the index catches up.
    const fresh = hexOf(randomBytes(9, 64));
    const before = Y.encodeStateVector(plain);
    attach(plain, 'note-plain003', { hash: fresh });
    await service.handle(client, 'note.append', { spaceId: SPACE, noteId: 'note-plain003', update: Y.encodeStateAsUpdate(plain, before) });
    await expect.poll(missing, { timeout: 10_000 }).toEqual([{ hash: fresh, noteIds: ['note-plain003'] }]);
    expect(await call('attachment.missing', { spaceId: 'space-nowhere1' })).toEqual({ missing: [] });
  });
});
