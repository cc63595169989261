/**
 * Contract tests for the durable store: real files in a temp directory, real Yjs updates to a space's
 * documents, and crashes injected at every step of a write through the store's `beforeStep` hook.
 */
import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  DocStore,
  InvalidUpdateError,
  SpaceStore,
  StoreError,
  type StoreOptions,
  type StoreProblem,
  type StoreStep,
} from '../../main/services/doc-store';

const MARKER = Buffer.from([0xc0, 0x9b, 0x1e, 0x5a]);
const SPACE = 'space-0001';
/** The note document most tests write to; others go to the catalog or further notes. */
const NOTE = 'note-00000001';

/** A record framed as the store documents it: marker, u32 length, u32 crc32, payload. */
function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  MARKER.copy(header, 0);
  header.writeUInt32LE(payload.byteLength, 4);
  header.writeUInt32LE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

/** Offsets of the records of an intact log, walked by their length fields. */
function recordOffsets(log: Buffer): number[] {
  const offsets: number[] = [];
  for (let pos = 0; pos < log.length; pos += 12 + log.readUInt32LE(pos + 4)) {
    expect(log.compare(MARKER, 0, 4, pos, pos + 4)).toBe(0);
    offsets.push(pos);
  }
  return offsets;
}

/** A replica that makes real Yjs text edits; each edit appends a token and returns its update. */
class Writer {
  readonly doc = new Y.Doc();
  private readonly text = this.doc.getText('t');
  private last: Uint8Array | null = null;
  private count = 0;

  constructor(private readonly name = 'w') {
    this.doc.on('update', (update: Uint8Array) => {
      this.last = update;
    });
  }

  /** Appends a unique token such as "[w3]" and returns the token and the update that did it. */
  edit(): { token: string; update: Uint8Array } {
    const token = `[${this.name}${this.count++}]`;
    this.text.insert(this.text.length, token);
    const update = this.last!;
    this.last = null;
    return { token, update };
  }
}

function textOf(doc: Y.Doc): string {
  return doc.getText('t').toString();
}

/** The note document as a new reader would decode it from the store. */
async function noteOf(store: SpaceStore, docId = NOTE): Promise<Y.Doc> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await store.readState(docId));
  return doc;
}

async function noteText(store: SpaceStore, docId = NOTE): Promise<string> {
  return textOf(await noteOf(store, docId));
}

/** True when every update the doc received could be integrated (nothing waits for a missing one). */
function hasNoGaps(doc: Y.Doc): boolean {
  return doc.store.pendingStructs === null && doc.store.pendingDs === null;
}

class SimulatedCrash extends Error {
  constructor(step: StoreStep) {
    super(`simulated crash at ${step}`);
    this.name = 'SimulatedCrash';
  }
}

/** A beforeStep hook that throws at `step` once armed, and counts every step it sees. */
function crashAt(step: StoreStep) {
  const hook = {
    armed: false,
    seen: [] as StoreStep[],
    beforeStep: (current: StoreStep) => {
      hook.seen.push(current);
      if (hook.armed && current === step) throw new SimulatedCrash(step);
    },
  };
  return hook;
}

let dir: string;
let spaceDir: string;
/** Stores to close after each test: abandoned "crashed" ones included, so no descriptor leaks. */
let toClose: Array<{ close(): Promise<void> }>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'commonplace-store-'));
  spaceDir = join(dir, SPACE);
  toClose = [];
});

afterEach(async () => {
  for (const store of toClose.reverse()) await store.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function openStore(options: StoreOptions = {}): Promise<SpaceStore> {
  const store = await SpaceStore.open(SPACE, spaceDir, options);
  toClose.push(store);
  return store;
}

/** Opens the space afresh, as a new process would, collecting every problem it reports. */
async function reopen(options: StoreOptions = {}): Promise<{ store: SpaceStore; problems: StoreProblem[] }> {
  const problems: StoreProblem[] = [];
  const store = await openStore({ ...options, onProblem: (p) => problems.push(p) });
  return { store, problems };
}

const logPath = () => join(spaceDir, 'docs.log');
const snapshotPath = () => join(spaceDir, 'docs.pack');
const sizeOf = async (path: string) => (await stat(path)).size;

/** Appends `count` edits one after another, each acknowledged before the next. */
async function appendSequentially(store: SpaceStore, writer: Writer, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const { token, update } = writer.edit();
    await store.append(NOTE, update);
    tokens.push(token);
  }
  return tokens;
}

describe('SpaceStore: appends and reopen', () => {
  it('keeps appended updates across close and reopen', async () => {
    const writer = new Writer();
    const store = await openStore();
    const tokens = await appendSequentially(store, writer, 5);
    expect(await noteText(store)).toBe(tokens.join(''));
    await store.close();

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe(tokens.join(''));
    expect(hasNoGaps(await noteOf(again))).toBe(true);
    expect(recordOffsets(await readFile(logPath()))).toHaveLength(5);
  });

  it('makes many concurrent appends durable, batching them into fewer writes', async () => {
    const hook = crashAt('log-write'); // never armed: only counts the steps
    const store = await openStore({ beforeStep: hook.beforeStep });
    const writers = [new Writer('a'), new Writer('b'), new Writer('c'), new Writer('d')];
    const reference = new Y.Doc();
    const pending: Array<Promise<void>> = [];
    for (let round = 0; round < 60; round++) {
      for (const writer of writers) {
        const { update } = writer.edit();
        Y.applyUpdate(reference, update);
        pending.push(store.append(NOTE, update));
      }
    }
    await Promise.all(pending);
    expect(await noteText(store)).toBe(textOf(reference));
    const writes = hook.seen.filter((s) => s === 'log-write').length;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(pending.length); // group commit: one write carries many records
    await store.close();

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe(textOf(reference));
    expect(Y.encodeStateVector(await noteOf(again))).toEqual(Y.encodeStateVector(reference));
    expect(hasNoGaps(await noteOf(again))).toBe(true);
    expect(recordOffsets(await readFile(logPath()))).toHaveLength(pending.length);
  });

  it('starts an empty space with no snapshot and an empty log', async () => {
    const store = await openStore();
    expect(await noteText(store)).toBe('');
    expect(await sizeOf(logPath())).toBe(0);
    await expect(stat(snapshotPath())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects appends after close', async () => {
    const store = await openStore();
    await store.close();
    await expect(store.append(NOTE, new Writer().edit().update)).rejects.toBeInstanceOf(StoreError);
  });
});

describe('SpaceStore: compaction', () => {
  it('folds the log into a snapshot without losing anything', async () => {
    const writer = new Writer();
    const store = await openStore();
    const before = await appendSequentially(store, writer, 20);
    const logBefore = await sizeOf(logPath());
    expect(logBefore).toBeGreaterThan(0);

    await store.compact();
    expect(await sizeOf(logPath())).toBe(0);
    expect(await sizeOf(snapshotPath())).toBeGreaterThan(0);
    expect(await noteText(store)).toBe(before.join(''));

    // Appends after a compaction go to the new log and survive too.
    const after = await appendSequentially(store, writer, 3);
    expect(recordOffsets(await readFile(logPath()))).toHaveLength(3);
    await store.close();

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe([...before, ...after].join(''));
    expect(hasNoGaps(await noteOf(again))).toBe(true);
  });

  it('compacts on its own once the log passes compactAfterBytes', async () => {
    const limit = 300;
    const writer = new Writer();
    const store = await openStore({ compactAfterBytes: limit });
    const tokens = await appendSequentially(store, writer, 40);
    await store.flush();
    expect(await sizeOf(snapshotPath())).toBeGreaterThan(0);
    expect(await sizeOf(logPath())).toBeLessThanOrEqual(limit);
    await store.close();

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe(tokens.join(''));
  });

  it('stays usable after a compaction fails: later appends still resolve and persist', async () => {
    const hook = crashAt('pack-write');
    const writer = new Writer();
    const store = await openStore({ beforeStep: hook.beforeStep });
    const before = await appendSequentially(store, writer, 3);
    hook.armed = true;
    await expect(store.compact()).rejects.toBeInstanceOf(SimulatedCrash);
    hook.armed = false;

    const late = writer.edit();
    const settled = await Promise.race([
      store.append(NOTE, late.update).then(() => 'saved'),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 2000)),
    ]);
    expect(settled).toBe('saved');
    await store.flush();
    await store.close();

    const { store: again } = await reopen();
    expect(await noteText(again)).toBe([...before, late.token].join(''));
  });
});

const APPEND_STEPS: StoreStep[] = ['log-write', 'log-sync'];
const COMPACTION_STEPS: StoreStep[] = ['pack-write', 'pack-sync', 'pack-rename', 'log-reset-write', 'log-reset-rename'];

describe('SpaceStore: a crash at each step keeps every acknowledged update', () => {
  it.each(APPEND_STEPS)('crash at %s while appending', async (step) => {
    const hook = crashAt(step);
    const writer = new Writer();
    const store = await openStore({ beforeStep: hook.beforeStep });
    const acknowledged = await appendSequentially(store, writer, 4);

    hook.armed = true;
    const lost = writer.edit();
    await expect(store.append(NOTE, lost.update)).rejects.toBeInstanceOf(SimulatedCrash);
    expect(store.failed).toBe(true);
    if (step === 'log-write') {
      // The crash tore the write: part of the record reached the file.
      await appendFile(logPath(), frame(lost.update).subarray(0, 12 + Math.floor(lost.update.length / 2)));
    }
    // The process "dies" here: the old store object is abandoned and a new one opens the files.

    const { store: again, problems } = await reopen();
    const text = await noteText(again);
    for (const token of acknowledged) expect(text).toContain(token);
    expect(text.startsWith(acknowledged.join(''))).toBe(true);
    expect(hasNoGaps(await noteOf(again))).toBe(true);
    if (step === 'log-write') {
      expect(text).toBe(acknowledged.join(''));
      expect(problems.map((p) => p.kind)).toEqual(['truncated-tail']);
    }

    // The reopened store takes new writes, and they survive another reopen.
    const next = new Writer('n');
    Y.applyUpdate(next.doc, await again.readState(NOTE));
    const more = next.edit();
    await again.append(NOTE, more.update);
    await again.close();
    const { store: third, problems: thirdProblems } = await reopen();
    expect(thirdProblems).toEqual([]);
    expect(await noteText(third)).toBe(text + more.token);
  });

  it.each(COMPACTION_STEPS)('crash at %s during compact()', async (step) => {
    const hook = crashAt(step);
    const writer = new Writer();
    const store = await openStore({ beforeStep: hook.beforeStep });
    const first = await appendSequentially(store, writer, 3);
    await store.compact(); // an earlier snapshot exists, so the crash hits a replacement
    const acknowledged = [...first, ...(await appendSequentially(store, writer, 4))];

    hook.armed = true;
    await expect(store.compact()).rejects.toBeInstanceOf(SimulatedCrash);
    expect(hook.seen.at(-1)).toBe(step);

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe(acknowledged.join(''));
    expect(hasNoGaps(await noteOf(again))).toBe(true);
  });

  it.each(COMPACTION_STEPS)('crash at %s during the compaction an append triggers', async (step) => {
    const hook = crashAt(step);
    const writer = new Writer();
    const store = await openStore({ beforeStep: hook.beforeStep, compactAfterBytes: 200 });
    const acknowledged = await appendSequentially(store, writer, 3);
    hook.armed = true;
    // These pass the limit; the compaction they trigger crashes, but they were already durable.
    acknowledged.push(...(await appendSequentially(store, writer, 8)));
    await store.flush();
    expect(hook.seen).toContain(step);

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe(acknowledged.join(''));
    expect(hasNoGaps(await noteOf(again))).toBe(true);
  });

  it.each(COMPACTION_STEPS)('crash at %s while recovering a damaged log on open', async (step) => {
    const writer = new Writer();
    const store = await openStore();
    const acknowledged = await appendSequentially(store, writer, 5);
    await store.close();
    await appendFile(logPath(), Buffer.from([0xc0, 0x9b])); // a torn tail to make the open repair the log

    const hook = crashAt(step);
    hook.armed = true;
    await expect(SpaceStore.open(SPACE, spaceDir, { beforeStep: hook.beforeStep })).rejects.toBeInstanceOf(SimulatedCrash);

    const { store: again, problems } = await reopen();
    expect(await noteText(again)).toBe(acknowledged.join(''));
    expect(hasNoGaps(await noteOf(again))).toBe(true);
    // Whether the repair finished or not, nothing readable is lost, and no new damage appears.
    for (const problem of problems) expect(problem.kind).toBe('truncated-tail');
  });
});

describe('SpaceStore: damaged logs', () => {
  async function writeLog(count: number): Promise<{ tokens: string[]; log: Buffer; offsets: number[] }> {
    const writer = new Writer();
    const store = await openStore();
    const tokens = await appendSequentially(store, writer, count);
    await store.close();
    const log = await readFile(logPath());
    return { tokens, log, offsets: recordOffsets(log) };
  }

  it('reports a truncated tail and loads everything before it', async () => {
    const { tokens, log, offsets } = await writeLog(5);
    const cut = offsets[4]! + 12 + 2; // the last record loses most of its payload
    await writeFile(logPath(), log.subarray(0, cut));

    const { store, problems } = await reopen();
    expect(problems).toEqual([expect.objectContaining({ kind: 'truncated-tail', spaceId: SPACE, offset: offsets[4] })]);
    expect(await noteText(store)).toBe(tokens.slice(0, 4).join(''));
  });

  it('reports a header cut short as a truncated tail', async () => {
    const { tokens, log, offsets } = await writeLog(3);
    await writeFile(logPath(), log.subarray(0, offsets[2]! + 6));
    const { store, problems } = await reopen();
    expect(problems.map((p) => [p.kind, p.offset])).toEqual([['truncated-tail', offsets[2]]]);
    expect(await noteText(store)).toBe(tokens.slice(0, 2).join(''));
  });

  /** Three writers edit disjoint texts, so losing one record does not strand the records after it. */
  async function writeIndependentLog(): Promise<{ log: Buffer; offsets: number[]; texts: string[] }> {
    const store = await openStore();
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) {
      const doc = new Y.Doc();
      doc.getText(`t${i}`).insert(0, `record-${i}`);
      await store.append(NOTE, Y.encodeStateAsUpdate(doc));
      texts.push(`record-${i}`);
    }
    await store.close();
    const log = await readFile(logPath());
    return { log, offsets: recordOffsets(log), texts };
  }
  const loaded = (doc: Y.Doc) => [0, 1, 2, 3, 4].map((i) => doc.getText(`t${i}`).toString());

  it('skips a record whose payload is corrupt and still loads every record after it', async () => {
    const { log, offsets, texts } = await writeIndependentLog();
    const damaged = Buffer.from(log);
    damaged[offsets[1]! + 12 + 3]! ^= 0xff;
    damaged[offsets[1]! + 12 + 4]! ^= 0x55;
    await writeFile(logPath(), damaged);

    const { store, problems } = await reopen();
    expect(problems).toEqual([expect.objectContaining({ kind: 'corrupt-record', spaceId: SPACE, offset: offsets[1] })]);
    expect(loaded(await noteOf(store))).toEqual([texts[0], '', texts[2], texts[3], texts[4]]);
  });

  it.each([
    ['huge', 0xffffffff],
    ['one byte too long', 1],
    ['one byte too short', -1],
  ])('skips a record whose length field is corrupt (%s) and still loads the records after it', async (_name, change) => {
    const { log, offsets, texts } = await writeIndependentLog();
    const damaged = Buffer.from(log);
    const at = offsets[2]! + 4;
    const length = damaged.readUInt32LE(at);
    damaged.writeUInt32LE(change === 0xffffffff ? change : length + change, at);
    await writeFile(logPath(), damaged);

    const { store, problems } = await reopen();
    expect(problems.map((p) => [p.kind, p.offset])).toEqual([['corrupt-record', offsets[2]]]);
    expect(loaded(await noteOf(store))).toEqual([texts[0], texts[1], '', texts[3], texts[4]]);
  });

  it('skips a record whose marker is damaged and still loads the records after it', async () => {
    const { log, offsets, texts } = await writeIndependentLog();
    const damaged = Buffer.from(log);
    damaged[offsets[3]!] = 0x00;
    await writeFile(logPath(), damaged);

    const { store, problems } = await reopen();
    expect(problems.map((p) => [p.kind, p.offset])).toEqual([['corrupt-record', offsets[3]]]);
    expect(loaded(await noteOf(store))).toEqual([texts[0], texts[1], texts[2], '', texts[4]]);
  });

  it('reports a record with a valid checksum but no Yjs update as invalid-update and skips it', async () => {
    const { log, offsets, texts } = await writeIndependentLog();
    const garbage = frame(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff]));
    const spliced = Buffer.concat([log.subarray(0, offsets[2]!), garbage, log.subarray(offsets[2]!)]);
    await writeFile(logPath(), spliced);

    const { store, problems } = await reopen();
    expect(problems.map((p) => [p.kind, p.offset])).toEqual([['invalid-update', offsets[2]]]);
    expect(loaded(await noteOf(store))).toEqual(texts);
  });

  it('keeps the damaged log aside, and the next open finds nothing wrong', async () => {
    const { log, offsets, texts } = await writeIndependentLog();
    const damaged = Buffer.from(log);
    damaged[offsets[1]! + 12]! ^= 0xff;
    await writeFile(logPath(), Buffer.concat([damaged, Buffer.from([0xc0, 0x9b, 0x1e])]));
    const original = await readFile(logPath());

    const first = await reopen();
    expect(first.problems.map((p) => p.kind)).toEqual(['corrupt-record', 'truncated-tail']);
    await first.store.close();

    const kept = (await readdir(spaceDir)).filter((name) => /^log\.damaged-.*\.bin$/.test(name));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(spaceDir, kept[0]!))).toEqual(original);

    const second = await reopen();
    expect(second.problems).toEqual([]);
    expect(loaded(await noteOf(second.store))).toEqual([texts[0], '', texts[2], texts[3], texts[4]]);
  });
});

describe('SpaceStore: snapshot and write failures', () => {
  it.each([
    ['a flipped byte in the state', (b: Buffer) => void (b[b.length - 1]! ^= 0xff)],
    ['a wrong magic', (b: Buffer) => void (b[0] = 0x00)],
    ['a cut-short file', (b: Buffer) => b.subarray(0, b.length - 3)],
    ['an empty file', () => Buffer.alloc(0)],
  ] as Array<[string, (b: Buffer) => Buffer | void]>)('refuses a corrupt snapshot (%s) and leaves it byte-identical', async (_name, damage) => {
    const writer = new Writer();
    const store = await openStore();
    await appendSequentially(store, writer, 3);
    await store.compact();
    await appendSequentially(store, writer, 1);
    await store.close();

    const snapshot = Buffer.from(await readFile(snapshotPath()));
    const corrupt = damage(snapshot) ?? snapshot;
    await writeFile(snapshotPath(), corrupt);
    const log = await readFile(logPath());

    await expect(SpaceStore.open(SPACE, spaceDir)).rejects.toBeInstanceOf(StoreError);
    expect(await readFile(snapshotPath())).toEqual(corrupt);
    expect(await readFile(logPath())).toEqual(log);
    expect((await readdir(spaceDir)).sort()).toEqual(['docs.log', 'docs.pack']);
  });

  it('marks the store failed on a failed write, and DocStore.space() reloads only what is durable', async () => {
    const hook = crashAt('log-sync');
    const durable = new DocStore(dir, { beforeStep: hook.beforeStep });
    toClose.push(durable);
    const writer = new Writer();
    const store = await durable.space(SPACE);
    const acknowledged = await appendSequentially(store, writer, 3);

    hook.armed = true;
    const lost = writer.edit();
    await expect(store.append(NOTE, lost.update)).rejects.toBeInstanceOf(SimulatedCrash);
    hook.armed = false;
    expect(store.failed).toBe(true);
    expect(await noteText(store)).toContain(lost.token); // memory ran ahead of the disk
    await expect(store.append(NOTE, writer.edit().update)).rejects.toBeInstanceOf(StoreError);

    const fresh = await durable.space(SPACE);
    expect(fresh).not.toBe(store);
    expect(fresh.failed).toBe(false);
    expect(await noteText(fresh)).toBe(acknowledged.join(''));
    expect(await noteText(fresh)).not.toContain(lost.token);
    expect(await durable.space(SPACE)).toBe(fresh);

    // The reloaded store works: a new edit on top of what is durable persists.
    const next = new Writer('n');
    Y.applyUpdate(next.doc, await fresh.readState(NOTE));
    const more = next.edit();
    await fresh.append(NOTE, more.update);
    await durable.close();
    const problems: StoreProblem[] = [];
    const again = await SpaceStore.open(SPACE, join(dir, 'spaces', SPACE), { onProblem: (p) => problems.push(p) });
    toClose.push(again);
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe(acknowledged.join('') + more.token);
  });

  it.each([
    ['random bytes', [0xde, 0xad, 0xbe, 0xef]],
    ['an overlong integer', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['a truncated update', null],
  ] as Array<[string, number[] | null]>)('rejects garbage (%s) with InvalidUpdateError and changes neither doc nor files', async (_name, bytes) => {
    const writer = new Writer();
    const store = await openStore();
    await appendSequentially(store, writer, 3);
    await store.compact();
    await appendSequentially(store, writer, 2);
    const stateBefore = await store.readState(NOTE);
    const logBefore = await readFile(logPath());
    const snapshotBefore = await readFile(snapshotPath());

    const real = new Writer('x').edit().update;
    const garbage = bytes ? new Uint8Array(bytes) : real.subarray(0, real.length - 2);
    let outcome: Promise<void>;
    try {
      outcome = store.append(NOTE, garbage);
    } catch (error) {
      outcome = Promise.reject(new Error(`append threw synchronously instead of rejecting: ${String(error)}`));
    }
    await expect(outcome).rejects.toBeInstanceOf(InvalidUpdateError);
    await store.flush();

    expect(await store.readState(NOTE)).toEqual(stateBefore);
    expect(await readFile(logPath())).toEqual(logBefore);
    expect(await readFile(snapshotPath())).toEqual(snapshotBefore);
    expect(store.failed).toBe(false);
    await store.append(NOTE, writer.edit().update); // still usable
  });
});

describe('DocStore', () => {
  it('keeps spaces in folders named by their ids and lists them', async () => {
    const durable = new DocStore(dir);
    toClose.push(durable);
    expect(await durable.listSpaceIds()).toEqual([]);
    const a = await durable.space('bbbbbbbb');
    await a.append(NOTE, new Writer().edit().update);
    await durable.space('aaaaaaaa');
    expect(await durable.space('bbbbbbbb')).toBe(a);
    expect(await durable.listSpaceIds()).toEqual(['aaaaaaaa', 'bbbbbbbb']);
    expect(await durable.hasSpace('aaaaaaaa')).toBe(true);
    expect(await durable.hasSpace('cccccccc')).toBe(false);
    expect((await readdir(join(dir, 'spaces'))).sort()).toEqual(['aaaaaaaa', 'bbbbbbbb']);
  });

  it.each(['../../etc', 'abc/defgh/ij', 'short', '..', ''])('refuses %j as a space id without touching the disk', async (id) => {
    const durable = new DocStore(dir);
    toClose.push(durable);
    await expect(durable.space(id)).rejects.toBeInstanceOf(StoreError);
    expect(await durable.hasSpace(id)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('does not cache a space whose snapshot is corrupt, so a repaired one opens later', async () => {
    const durable = new DocStore(dir);
    toClose.push(durable);
    const folder = join(dir, 'spaces', 'cccccccc');
    const first = await durable.space('cccccccc');
    await first.append(NOTE, new Writer().edit().update);
    await first.compact();
    await durable.close();

    const good = await readFile(join(folder, 'docs.pack'));
    await writeFile(join(folder, 'docs.pack'), Buffer.from('not a snapshot'));
    const second = new DocStore(dir);
    toClose.push(second);
    await expect(second.space('cccccccc')).rejects.toBeInstanceOf(StoreError);
    await writeFile(join(folder, 'docs.pack'), good);
    expect(await noteText(await second.space('cccccccc'))).toBe('[w0]');
  });
});

describe('SpaceStore: documents of their own', () => {
  const notes = ['note-aaaaaaaa', 'note-bbbbbbbb', 'note-cccccccc'];

  it('writes several documents in one batch, one write for all, and reads each back after a reopen', async () => {
    const hook = crashAt('log-write'); // never armed: counts writes
    const store = await openStore({ beforeStep: hook.beforeStep });
    const writers = notes.map((id) => new Writer(id.slice(-1)));
    const updates = writers.map((w, i) => ({ docId: notes[i]!, update: w.edit().update }));
    const catalog = new Writer('c');
    updates.push({ docId: 'catalog', update: catalog.edit().update });
    await store.appendMany(updates);
    expect(hook.seen.filter((s) => s === 'log-write')).toHaveLength(1);
    expect(textOf(store.catalog)).toBe('[c0]');
    await store.close();

    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await Promise.all(notes.map((id) => noteText(again, id)))).toEqual(['[a0]', '[b0]', '[c0]']);
    expect(textOf(again.catalog)).toBe('[c0]');
    expect(again.noteIds().sort()).toEqual(notes);
  });

  it('compacts every document, copying the ones nobody changed as they were', async () => {
    const store = await openStore();
    const writers = notes.map((id) => new Writer(id.slice(-1)));
    for (let i = 0; i < 3; i++) for (const [n, w] of writers.entries()) await store.append(notes[n]!, w.edit().update);
    await store.compact();
    const before = await Promise.all(notes.map((id) => store.readState(id)));
    const digests = await Promise.all(notes.map((id) => store.digest(id)));
    await store.append(notes[0]!, writers[0]!.edit().update);
    await store.compact();
    expect(await store.readState(notes[1]!)).toEqual(before[1]);
    expect(await store.readState(notes[2]!)).toEqual(before[2]);
    expect(await store.digest(notes[1]!)).toEqual(digests[1]);
    expect(await store.digest(notes[0]!)).not.toEqual(digests[0]);
    expect(await noteText(store, notes[0]!)).toBe('[a0][a1][a2][a3]');
    await store.close();
    const { store: again } = await reopen();
    expect(await Promise.all(notes.map((id) => noteText(again, id)))).toEqual(['[a0][a1][a2][a3]', '[b0][b1][b2]', '[c0][c1][c2]']);
  });

  it('keeps an append that lands while a compaction is writing the pack', async () => {
    const writer = new Writer();
    let late: { token: string; update: Uint8Array } | null = null;
    let landed: Promise<void> | null = null;
    const store = await openStore({
      beforeStep: (step) => {
        if (step === 'pack-sync' && late === null) {
          late = writer.edit();
          landed = store.append(NOTE, late.update);
        }
      },
    });
    const early = await appendSequentially(store, writer, 3);
    await store.compact();
    await landed;
    expect(await noteText(store)).toBe([...early, late!.token].join(''));
    await store.close();
    const { store: again, problems } = await reopen();
    expect(problems).toEqual([]);
    expect(await noteText(again)).toBe([...early, late!.token].join(''));
  });

  it('a damaged note in the pack fails to read on its own; the space and its other notes still open', async () => {
    const store = await openStore();
    for (const id of notes) await store.append(id, new Writer(id.slice(-1)).edit().update);
    await store.compact();
    const good = await store.readState(notes[1]!);
    await store.close();
    const pack = await readFile(snapshotPath());
    const at = pack.indexOf(Buffer.from(good));
    expect(at).toBeGreaterThan(0);
    pack[at + 2]! ^= 0xff;
    await writeFile(snapshotPath(), pack);

    const { store: again } = await reopen();
    await expect(again.readState(notes[1]!)).rejects.toThrow(/fails its checksum/);
    expect(await noteText(again, notes[0]!)).toBe('[a0]');
    expect(await noteText(again, notes[2]!)).toBe('[c0]');
  });

  it('serves a diff and a state vector of a note it has not decoded', async () => {
    const store = await openStore();
    const writer = new Writer();
    await appendSequentially(store, writer, 4);
    await store.compact();
    await appendSequentially(store, writer, 2);
    const replica = new Y.Doc();
    const sv = await store.stateVector(NOTE);
    expect(Y.decodeStateVector(sv)).toEqual(Y.decodeStateVector(Y.encodeStateVector(writer.doc)));
    Y.applyUpdate(replica, await store.diff(NOTE, Y.encodeStateVector(replica)));
    expect(textOf(replica)).toBe(textOf(writer.doc));
    const more = writer.edit();
    await store.append(NOTE, more.update);
    const diff = await store.diff(NOTE, Y.encodeStateVector(replica));
    Y.applyUpdate(replica, diff);
    expect(textOf(replica)).toBe(textOf(writer.doc));
    expect(diff.byteLength).toBeLessThan(60);
  });
});

describe('document digests', () => {
  it('are equal for the same content whatever order it arrived in, and change with a deletion alone', async () => {
    const a = new Writer('a');
    const b = new Writer('b');
    const updates = [a.edit().update, b.edit().update, a.edit().update];
    const store = await openStore();
    for (const u of updates) await store.append('note-one-0000', u);
    for (const u of [...updates].reverse()) await store.append('note-two-0000', u);
    const one = new Y.Doc();
    const two = new Y.Doc();
    Y.applyUpdate(one, await store.readState('note-one-0000'));
    Y.applyUpdate(two, await store.readState('note-two-0000'));
    expect(textOf(one)).toBe(textOf(two));
    // Digests are bound to their note id; compare each with a digest of the other's content.
    const { docDigest } = await import('../../shared/doc-digest');
    expect(docDigest('x', one)).toEqual(docDigest('x', two));
    expect(await store.digest('note-one-0000')).toEqual(docDigest('note-one-0000', two));
    // Deleting text adds no item: the state vector stays, the digest moves.
    const before = Y.encodeStateVector(one);
    const digestBefore = await store.digest('note-one-0000');
    let deletion: Uint8Array | null = null;
    one.on('update', (u: Uint8Array) => (deletion = u));
    one.getText('t').delete(0, 2);
    expect(Y.encodeStateVector(one)).toEqual(before);
    await store.append('note-one-0000', deletion!);
    expect(await store.digest('note-one-0000')).not.toEqual(digestBefore);
    expect(await store.digest('note-one-0000')).toEqual(docDigest('note-one-0000', one));
  });
});
