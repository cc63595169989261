/**
 * The host contract: parseHostCall's validation and HostService.handle over a real data directory.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { HostService, type HostClient } from '../../main/services/host-service';
import { logger } from '../../main/services/logger';
import { HostError, MAX_STATE_VECTOR_BYTES, MAX_UPDATE_BYTES, type HostErrorCode, type HostEventName, type HostEvents } from '../../shared/host-api';
import { parseHostCall } from '../../shared/host-schemas';
import { createEntry, deleteEntryForever, entryState, getEntry, initSpace, trashEntry } from '../../shared/catalog';
import { initNoteBody } from '../../shared/markdown/note-markdown';
import { CATALOG_DOC_ID, newNoteDoc } from '../../shared/note-doc';
import { DocStore } from '../../main/services/doc-store';
import { SpaceSearch } from '../../main/services/space-search';
import { expectHostError } from './support/host-errors';

type SpaceUpdate = { spaceId: string; update: Uint8Array };

logger.setQuiet(true);

const SPACE = 'space-aaaa1111';
const OTHER_SPACE = 'space-bbbb2222';

/** A connected renderer as the service sees it: it records the events pushed to it. */
class RecordingClient implements HostClient {
  readonly events: Array<{ event: HostEventName; payload: HostEvents[HostEventName] }> = [];
  send<E extends HostEventName>(event: E, payload: HostEvents[E]): void {
    this.events.push({ event, payload });
  }
}

/** A valid Yjs update that types `text` into the shared text 't'. */
function textUpdate(text: string, doc = new Y.Doc()): Uint8Array {
  let update: Uint8Array | null = null;
  doc.once('update', (u: Uint8Array) => {
    update = u;
  });
  const t = doc.getText('t');
  t.insert(t.length, text);
  return update!;
}

let bigUpdate: Uint8Array | null = null;
/** MAX_UPDATE_BYTES + 1 zero bytes, allocated once for the whole file. */
function oversized(): Uint8Array {
  bigUpdate ??= new Uint8Array(MAX_UPDATE_BYTES + 1);
  return bigUpdate;
}


function expectParseError(method: unknown, input: unknown, code: HostErrorCode): void {
  let thrown: unknown = null;
  try {
    parseHostCall(method, input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(HostError);
  expect((thrown as HostError).code).toBe(code);
}

let dataDir: string;
let service: HostService;
let opened: string[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'commonplace-host-'));
  opened = [];
  service = new HostService({
    dataDir,
    host: 'web',
    version: '1.2.3-test',
    openExternal: async (url) => {
      opened.push(url);
      return true;
    },
  });
});

afterEach(async () => {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

const validUpdate = textUpdate('hello');

/** Calls that break the contract's shape; each must fail as invalid-input before touching the disk. */
const malformedCalls: Array<[string, string, unknown]> = [
  ['app.info with an extra field', 'app.info', { extra: 1 }],
  ['app.info with null input', 'app.info', null],
  ['app.info with a string input', 'app.info', 'hello'],
  ['app.info with an array input', 'app.info', []],
  ['spaces.list with undefined input', 'spaces.list', undefined],
  ['space.append without an update', 'space.append', { spaceId: SPACE }],
  ['space.append without a space id', 'space.append', { update: validUpdate }],
  ['space.append with an extra field', 'space.append', { spaceId: SPACE, update: validUpdate, path: '/tmp' }],
  ['space.append with a numeric space id', 'space.append', { spaceId: 12345678, update: validUpdate }],
  ['space.append into ../../etc', 'space.append', { spaceId: '../../etc', update: validUpdate }],
  ['space.append into a path with slashes', 'space.append', { spaceId: 'spaces/aaaa/bbbb', update: validUpdate }],
  ['space.append into a backslash path', 'space.append', { spaceId: '..\\..\\windows', update: validUpdate }],
  ['space.append into an id with a trailing newline', 'space.append', { spaceId: `${SPACE}\n`, update: validUpdate }],
  ['space.append into an id too short', 'space.append', { spaceId: 'abc', update: validUpdate }],
  ['space.append into an id too long', 'space.append', { spaceId: 'a'.repeat(65), update: validUpdate }],
  ['space.append with an array of numbers', 'space.append', { spaceId: SPACE, update: [0, 0] }],
  ['space.append with a base64 string', 'space.append', { spaceId: SPACE, update: 'AAA=' }],
  ['space.append with an undecoded $bytes object', 'space.append', { spaceId: SPACE, update: { $bytes: 'AAA=' } }],
  ['space.append with an ArrayBuffer', 'space.append', { spaceId: SPACE, update: new ArrayBuffer(2) }],
  ['space.append with a fake byteLength object', 'space.append', { spaceId: SPACE, update: { byteLength: 2 } }],
  ['space.append with a null update', 'space.append', { spaceId: SPACE, update: null }],
  ['space.sync with a string state vector', 'space.sync', { spaceId: SPACE, stateVector: 'AA==' }],
  ['space.sync into ../../etc', 'space.sync', { spaceId: '../../etc', stateVector: new Uint8Array([0]) }],
  ['space.subscribe into a path', 'space.subscribe', { spaceId: '../../../../tmp/x' }],
  ['space.unsubscribe without an id', 'space.unsubscribe', {}],
  ['note.append into a path', 'note.append', { spaceId: SPACE, noteId: '../../../etc/passwd', update: validUpdate }],
  ['note.sync without a note id', 'note.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) }],
  ['note.sync with a note id of a newline', 'note.sync', { spaceId: SPACE, noteId: 'note-0001\n', stateVector: new Uint8Array([0]) }],
  ['notes.push of a document that is a path', 'notes.push', { spaceId: SPACE, updates: [{ docId: '../x/yyyyyyyy', update: validUpdate }] }],
  ['notes.pull of 513 documents', 'notes.pull', { spaceId: SPACE, requests: Array.from({ length: 513 }, (_, i) => ({ docId: `note-${String(i).padStart(5, '0')}`, stateVector: new Uint8Array([0]) })) }],
  ['notes.bucketDocs of bucket 256', 'notes.bucketDocs', { spaceId: SPACE, buckets: [256] }],
  ['space.search with a numeric query', 'space.search', { spaceId: SPACE, query: 7 }],
  ['space.search with a query of 501 characters', 'space.search', { spaceId: SPACE, query: 'a'.repeat(501) }],
  ['shell.openExternal with a numeric url', 'shell.openExternal', { url: 42 }],
  ['shell.openExternal with a huge url', 'shell.openExternal', { url: `https://example.org/${'a'.repeat(5000)}` }],
];

describe('parseHostCall', () => {
  it.each([['nope'], ['space.delete'], ['toString'], ['__proto__'], ['constructor'], [42], [null], [undefined], ['']])(
    'reports %j as unknown-method',
    (method) => expectParseError(method, {}, 'unknown-method'),
  );

  it.each(malformedCalls)('reports %s as invalid-input', (_name, method, input) => expectParseError(method, input, 'invalid-input'));

  it('returns the validated input of a good call', () => {
    const call = parseHostCall('space.append', { spaceId: SPACE, update: validUpdate });
    expect(call.method).toBe('space.append');
    expect(call.input).toEqual({ spaceId: SPACE, update: validUpdate });
  });

  it('accepts an update of exactly MAX_UPDATE_BYTES and reports one byte more as too-large', () => {
    const big = oversized();
    expect(() => parseHostCall('space.append', { spaceId: SPACE, update: big.subarray(0, MAX_UPDATE_BYTES) })).not.toThrow();
    expectParseError('space.append', { spaceId: SPACE, update: big }, 'too-large');
  });

  it('reports an oversized state vector as too-large', () => {
    expectParseError('space.sync', { spaceId: SPACE, stateVector: new Uint8Array(MAX_STATE_VECTOR_BYTES + 1) }, 'too-large');
  });
});

describe('HostService.handle', () => {
  const client = new RecordingClient();

  it('answers app.info', async () => {
    await expect(service.handle(client, 'app.info', {})).resolves.toEqual({ version: '1.2.3-test', host: 'web', platform: process.platform, attachmentLimit: 100 * 1024 * 1024 });
  });

  it.each([['nope'], ['toString'], [7]])('rejects the method %j as unknown-method', async (method) => {
    await expectHostError(service.handle(client, method, {}), 'unknown-method');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it.each(malformedCalls)('rejects %s as invalid-input and creates nothing on disk', async (_name, method, input) => {
    await expectHostError(service.handle(client, method, input), 'invalid-input');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('rejects an update over MAX_UPDATE_BYTES as too-large and creates nothing on disk', async () => {
    await expectHostError(service.handle(client, 'space.append', { spaceId: SPACE, update: oversized() }), 'too-large');
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('saves a valid append durably: a new service on the same data dir syncs it back', async () => {
    await expect(service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('durable text') })).resolves.toEqual({ saved: true });
    await service.close();

    service = new HostService({ dataDir, host: 'web', version: 'x' });
    const reply = (await service.handle(client, 'space.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) })) as {
      update: Uint8Array;
      stateVector: Uint8Array;
    };
    const replica = new Y.Doc();
    Y.applyUpdate(replica, reply.update);
    expect(replica.getText('t').toString()).toBe('durable text');
    expect(reply.stateVector).toEqual(Y.encodeStateVector(replica));
  });

  it('space.sync returns only what the caller lacks', async () => {
    const source = new Y.Doc();
    const first = textUpdate('one ', source);
    await service.handle(client, 'space.append', { spaceId: SPACE, update: first });
    const replica = new Y.Doc();
    Y.applyUpdate(replica, first);
    await service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('two', source) });

    const reply = (await service.handle(client, 'space.sync', { spaceId: SPACE, stateVector: Y.encodeStateVector(replica) })) as {
      update: Uint8Array;
    };
    expect(reply.update.byteLength).toBeLessThan(Y.encodeStateAsUpdate(source).byteLength);
    Y.applyUpdate(replica, reply.update);
    expect(replica.getText('t').toString()).toBe('one two');
  });

  it.each([
    ['random bytes', [0xde, 0xad, 0xbe, 0xef]],
    ['an overlong integer', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['a lone byte', [5]],
  ])('rejects a corrupt update (%s) as corrupt-update and leaves the store unchanged', async (_name, bytes) => {
    const watcher = new RecordingClient();
    await service.handle(watcher, 'space.subscribe', { spaceId: SPACE });
    await service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('kept') });
    watcher.events.length = 0;
    const logFile = join(dataDir, 'spaces', SPACE, 'docs.log');
    const logBefore = await readFile(logFile);
    const stateBefore = Y.encodeStateAsUpdate((await service.store.space(SPACE)).catalog);

    await expectHostError(service.handle(client, 'space.append', { spaceId: SPACE, update: new Uint8Array(bytes) }), 'corrupt-update');

    await service.flush();
    expect(await readFile(logFile)).toEqual(logBefore);
    const space = await service.store.space(SPACE);
    expect(space.failed).toBe(false);
    expect(Y.encodeStateAsUpdate(space.catalog)).toEqual(stateBefore);
    // Nothing reached the window (its search index loading, which subscribing asked for, may say so meanwhile).
    expect(watcher.events.filter((e) => e.event !== 'space.indexed')).toEqual([]);
    // The space still takes good updates.
    await expect(service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('more') })).resolves.toEqual({ saved: true });
  });

  it.each([
    ['random bytes', [0xde, 0xad, 0xbe, 0xef]],
    ['an overlong integer', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['a count with no entries', [5]],
  ])('rejects a garbage state vector (%s) in space.sync as invalid-input', async (_name, bytes) => {
    await service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('x') });
    await expectHostError(service.handle(client, 'space.sync', { spaceId: SPACE, stateVector: new Uint8Array(bytes) }), 'invalid-input');
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(document.cookie)',
    '  javascript:alert(1)',
    'file:///etc/passwd',
    'file://server/share/x.exe',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'commonplace://open',
    'not a url',
    '',
  ])('refuses to open %j as forbidden', async (url) => {
    await expectHostError(service.handle(client, 'shell.openExternal', { url }), 'forbidden');
    expect(opened).toEqual([]);
  });

  it.each(['https://example.org/page?x=1', 'http://localhost:8080/', 'mailto:someone@example.org'])('opens %j through the host', async (url) => {
    await expect(service.handle(client, 'shell.openExternal', { url })).resolves.toEqual({ opened: true });
    expect(opened).toEqual([url]);
  });

  it('says opened: false when the host has no shell', async () => {
    const shell = new HostService({ dataDir, host: 'web', version: 'x' });
    try {
      await expect(shell.handle(client, 'shell.openExternal', { url: 'https://example.org' })).resolves.toEqual({ opened: false });
    } finally {
      await shell.close();
    }
  });

  it('pushes an append to the other subscribers of that space only, never back to the sender', async () => {
    const a = new RecordingClient();
    const b = new RecordingClient();
    const elsewhere = new RecordingClient();
    const unsubscribed = new RecordingClient();
    await service.handle(a, 'space.subscribe', { spaceId: SPACE });
    await service.handle(b, 'space.subscribe', { spaceId: SPACE });
    await service.handle(elsewhere, 'space.subscribe', { spaceId: OTHER_SPACE });

    const source = new Y.Doc();
    const update = textUpdate('from A', source);
    await expect(service.handle(a, 'space.append', { spaceId: SPACE, update })).resolves.toEqual({ saved: true });

    // (The search index also says when it caught up: only catalog updates count here.)
    for (const x of [a, b, elsewhere, unsubscribed]) x.events.splice(0, x.events.length, ...x.events.filter((e) => e.event === 'space.update'));
    expect(a.events).toEqual([]);
    expect(elsewhere.events).toEqual([]);
    expect(unsubscribed.events).toEqual([]);
    expect(b.events).toHaveLength(1);
    expect(b.events[0]!.event).toBe('space.update');
    expect((b.events[0]!.payload as SpaceUpdate).spaceId).toBe(SPACE);
    expect((b.events[0]!.payload as SpaceUpdate).update).toEqual(update);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, (b.events[0]!.payload as SpaceUpdate).update);
    expect(replica.getText('t').toString()).toBe('from A');

    // After unsubscribing, B hears nothing more; a detached client neither.
    await expect(service.handle(b, 'space.unsubscribe', { spaceId: SPACE })).resolves.toEqual({ subscribed: false });
    const c = new RecordingClient();
    await service.handle(c, 'space.subscribe', { spaceId: SPACE });
    service.detach(c);
    await service.handle(a, 'space.append', { spaceId: SPACE, update: textUpdate(' again', source) });
    expect(b.events.filter((e) => e.event === 'space.update')).toHaveLength(1);
    expect(c.events.filter((e) => e.event === 'space.update')).toEqual([]);

    // B's own appends reach A.
    const fromB = textUpdate('!', source);
    await service.handle(b, 'space.append', { spaceId: SPACE, update: fromB });
    expect(a.events.filter((e) => e.event === 'space.update').map((e) => (e.payload as SpaceUpdate).update)).toEqual([fromB]);
  });

  it('lists spaces with their names and note counts, and again after a restart', async () => {
    const author = { id: 'author-1', name: 'Ada' };
    const garden = new Y.Doc();
    initSpace(garden, 'Garden club');
    createEntry(garden, { title: 'Seeds', author });
    createEntry(garden, { title: 'Compost', author });
    createEntry(garden, { title: 'Tools', author });
    const reading = new Y.Doc();
    initSpace(reading, 'Reading group');

    await service.handle(client, 'space.append', { spaceId: OTHER_SPACE, update: Y.encodeStateAsUpdate(reading) });
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(garden) });
    // A folder that is not a space id is not a space.
    await mkdir(join(dataDir, 'spaces', 'not.a.space'), { recursive: true });

    const expected = {
      spaces: [
        { id: SPACE, name: 'Garden club', noteCount: 3 },
        { id: OTHER_SPACE, name: 'Reading group', noteCount: 0 },
      ],
    };
    await expect(service.handle(client, 'spaces.list', {})).resolves.toEqual(expected);

    // A note added later is counted.
    let update: Uint8Array | null = null;
    garden.once('update', (u: Uint8Array) => {
      update = u;
    });
    createEntry(garden, { title: 'Bees', author });
    await service.handle(client, 'space.append', { spaceId: SPACE, update: update! });
    expected.spaces[0]!.noteCount = 4;
    await expect(service.handle(client, 'spaces.list', {})).resolves.toEqual(expected);

    await service.close();
    service = new HostService({ dataDir, host: 'web', version: 'x' });
    await expect(service.handle(client, 'spaces.list', {})).resolves.toEqual(expected);
  });

  it('lists the readable spaces when one has a corrupt pack, and leaves that pack alone', async () => {
    await service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('a') });
    await service.handle(client, 'space.append', { spaceId: OTHER_SPACE, update: textUpdate('b') });
    await (await service.store.space(SPACE)).compact();
    await service.close();
    const snapshot = join(dataDir, 'spaces', SPACE, 'docs.pack');
    await writeFile(snapshot, 'definitely not a snapshot');

    service = new HostService({ dataDir, host: 'web', version: 'x' });
    await expect(service.handle(client, 'spaces.list', {})).resolves.toEqual({ spaces: [{ id: OTHER_SPACE, name: '', noteCount: 0 }] });
    const error = await service.handle(client, 'space.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect(await readFile(snapshot, 'utf8')).toBe('definitely not a snapshot');
  });

  it('after a failed write, reports an error and serves the space again from what is durable', async () => {
    await service.close();
    let failNext = false;
    service = new HostService({
      dataDir,
      host: 'web',
      version: 'x',
      store: {
        beforeStep: (step) => {
          if (failNext && step === 'log-sync') {
            failNext = false;
            throw new Error('disk went away');
          }
        },
      },
    });
    const source = new Y.Doc();
    await service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate('saved', source) });
    failNext = true;
    const error = await service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate(' lost', new Y.Doc()) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);

    const reply = (await service.handle(client, 'space.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
    const replica = new Y.Doc();
    Y.applyUpdate(replica, reply.update);
    expect(replica.getText('t').toString()).toBe('saved');
    await expect(service.handle(client, 'space.append', { spaceId: SPACE, update: textUpdate(' again', source) })).resolves.toEqual({ saved: true });
  });
});

/** A note as the app makes one: its entry in `catalog` and its body in a document of its own. */
function makeNote(catalog: Y.Doc, id: string, title: string, markdown: string): Y.Doc {
  const body = newNoteDoc(id);
  initNoteBody(body, id, markdown);
  createEntry(catalog, { id, title, author: { id: 'author-1', name: 'Ada' } });
  return body;
}

/** Waits for the host to say the space's index caught up. */
function indexed(watcher: RecordingClient, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the index never caught up')), 10_000);
    const check = () => {
      if (watcher.events.filter((e) => e.event === 'space.indexed').length >= count) {
        clearTimeout(timer);
        resolve();
      } else setTimeout(check, 20);
    };
    check();
  });
}

describe('HostService: notes as documents of their own', () => {
  const NOTE = 'note-seeds-0001';
  const client = new RecordingClient();

  it('stores a note apart from the catalog, pushes its updates only to the clients holding it, and tells the rest it changed', async () => {
    const a = new RecordingClient();
    const b = new RecordingClient();
    const c = new RecordingClient();
    for (const x of [a, b, c]) await service.handle(x, 'space.subscribe', { spaceId: SPACE });
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const body = makeNote(catalog, NOTE, 'Seeds', 'Sow in **March**.');
    await service.handle(a, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    const held = (await service.handle(b, 'note.sync', { spaceId: SPACE, noteId: NOTE, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
    expect(held.update.byteLength).toBeLessThanOrEqual(2); // nothing yet
    a.events.length = 0;
    b.events.length = 0;
    c.events.length = 0;
    const update = Y.encodeStateAsUpdate(body);
    await expect(service.handle(a, 'note.append', { spaceId: SPACE, noteId: NOTE, update })).resolves.toEqual({ saved: true });
    // The search index loads and indexes in the background, and says so when it likes: not what this is about.
    const about = (x: RecordingClient) => x.events.filter((e) => e.event !== 'space.indexed');
    expect(about(b)).toEqual([
      { event: 'note.update', payload: { spaceId: SPACE, noteId: NOTE, update } },
      { event: 'space.changed', payload: { spaceId: SPACE, noteIds: [NOTE] } },
    ]);
    expect(about(c)).toEqual([{ event: 'space.changed', payload: { spaceId: SPACE, noteIds: [NOTE] } }]);
    expect(about(a)).toEqual([]);

    // The catalog holds no body; the note's document does.
    const space = await service.store.space(SPACE);
    expect(JSON.stringify(space.catalog.getMap('notes').toJSON())).not.toContain('March');
    const replica = newNoteDoc(NOTE);
    Y.applyUpdate(replica, ((await service.handle(c, 'note.sync', { spaceId: SPACE, noteId: NOTE, stateVector: new Uint8Array([0]) })) as { update: Uint8Array }).update);
    expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(body));

    // Released, B hears of the note only as changed.
    await service.handle(b, 'note.release', { spaceId: SPACE, noteId: NOTE });
    b.events.length = 0;
    body.getText('other').insert(0, 'x');
    await service.handle(a, 'note.append', { spaceId: SPACE, noteId: NOTE, update: Y.encodeStateAsUpdate(body, Y.encodeStateVector(replica)) });
    expect(b.events.map((e) => e.event)).toEqual(['space.changed']);
  });

  it('serves peer sync: a manifest, the documents of a bucket, state vectors, pulls and pushes', async () => {
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const bodies = ['note-aaaa0001', 'note-bbbb0002', 'note-cccc0003'].map((id) => [id, makeNote(catalog, id, id, `Text of ${id}`)] as const);
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    await service.handle(client, 'notes.push', { spaceId: SPACE, updates: bodies.map(([docId, doc]) => ({ docId, update: Y.encodeStateAsUpdate(doc) })) });
    const { manifest } = (await service.handle(client, 'notes.manifest', { spaceId: SPACE })) as { manifest: Uint8Array };
    expect(manifest.byteLength).toBe(256 * 8);
    const { docs } = (await service.handle(client, 'notes.bucketDocs', { spaceId: SPACE, buckets: Array.from({ length: 256 }, (_, i) => i) })) as { docs: Array<{ docId: string }> };
    expect(docs.map((d) => d.docId).sort()).toEqual(['catalog', 'note-aaaa0001', 'note-bbbb0002', 'note-cccc0003']);
    const { stateVectors } = (await service.handle(client, 'notes.stateVectors', { spaceId: SPACE, docIds: ['note-aaaa0001', 'note-nothing99'] })) as { stateVectors: Uint8Array[] };
    expect(stateVectors[0]).toEqual(Y.encodeStateVector(bodies[0]![1]));
    expect(stateVectors[1]).toEqual(new Uint8Array([0]));
    const { updates } = (await service.handle(client, 'notes.pull', { spaceId: SPACE, requests: [{ docId: 'note-bbbb0002', stateVector: new Uint8Array([0]) }, { docId: 'catalog', stateVector: Y.encodeStateVector(catalog) }] })) as { updates: Uint8Array[] };
    const replica = newNoteDoc('note-bbbb0002');
    Y.applyUpdate(replica, updates[0]!);
    expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(bodies[1]![1]));
    expect(updates[1]!.byteLength).toBeLessThan(10); // the catalog: nothing the caller lacks
    // A change to one note changes its bucket's digest in the manifest, and no other.
    const before = manifest;
    bodies[2]![1].getText('extra').insert(0, 'changed');
    await service.handle(client, 'notes.push', { spaceId: SPACE, updates: [{ docId: 'note-cccc0003', update: Y.encodeStateAsUpdate(bodies[2]![1]) }] });
    const after = ((await service.handle(client, 'notes.manifest', { spaceId: SPACE })) as { manifest: Uint8Array }).manifest;
    const changed = [...Array(256).keys()].filter((b) => after.subarray(b * 8, b * 8 + 8).some((x, i) => x !== before[b * 8 + i]));
    expect(changed).toHaveLength(1);
  });

  it('refuses a push with a corrupt update as a whole, and stores nothing of it', async () => {
    const body = makeNote(new Y.Doc(), 'note-good0001', 'Good', 'good');
    await expectHostError(
      service.handle(client, 'notes.push', { spaceId: SPACE, updates: [{ docId: 'note-good0001', update: Y.encodeStateAsUpdate(body) }, { docId: 'note-bad00002', update: new Uint8Array([9, 9, 9]) }] }),
      'corrupt-update',
    );
    expect((await service.store.space(SPACE)).noteIds()).toEqual([]);
  });

  it('searches notes and finds backlinks from the stored bodies, and keeps up as they change', async () => {
    const watcher = new RecordingClient();
    await service.handle(watcher, 'space.subscribe', { spaceId: SPACE });
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const compost = makeNote(catalog, 'note-compost01', 'Compost', 'Turn the heap every *fortnight*.');
    const seeds = makeNote(catalog, 'note-seeds0001', 'Seeds', 'Sow in March.');
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    await service.handle(client, 'notes.push', {
      spaceId: SPACE,
      updates: [
        { docId: 'note-compost01', update: Y.encodeStateAsUpdate(compost) },
        { docId: 'note-seeds0001', update: Y.encodeStateAsUpdate(seeds) },
      ],
    });
    await indexed(watcher, 1);
    const search = async (query: string) => ((await service.handle(client, 'space.search', { spaceId: SPACE, query })) as { hits: Array<{ id: string }> }).hits.map((h) => h.id);
    await expect.poll(() => search('fortnight'), { timeout: 5000 }).toEqual(['note-compost01']);
    expect(await search('march')).toEqual(['note-seeds0001']);
    const titles = (await service.handle(client, 'space.search', { spaceId: SPACE, query: 'comp', titlesOnly: true })) as { hits: Array<{ id: string; title: string }> };
    expect(titles.hits.map((h) => h.title)).toEqual(['Compost']);

    // Seeds gets a link to Compost: the backlink appears once the index catches up.
    const { bindNoteBody } = await import('../../shared/note-body');
    const { $createNoteLinkNode } = await import('../../shared/note-link-node');
    const { $getRoot } = await import('lexical');
    const before = Y.encodeStateVector(seeds);
    const { editor, dispose } = bindNoteBody(seeds, 'note-seeds0001');
    editor.update(() => $getRoot().getFirstChildOrThrow().selectEnd().insertNodes([$createNoteLinkNode('note-compost01', 'Compost')]), { discrete: true });
    dispose();
    await service.handle(client, 'note.append', { spaceId: SPACE, noteId: 'note-seeds0001', update: Y.encodeStateAsUpdate(seeds, before) });
    await expect.poll(async () => ((await service.handle(client, 'note.backlinks', { spaceId: SPACE, noteId: 'note-compost01' })) as { noteIds: string[] }).noteIds, { timeout: 5000 }).toEqual(['note-seeds0001']);

    // The snippet comes from the note itself (the index keeps no bodies), the match marked.
    const snippet = async (query: string) =>
      ((await service.handle(client, 'space.search', { spaceId: SPACE, query })) as { hits: Array<{ snippet: Array<{ text: string; match: boolean }> }> }).hits[0]?.snippet;
    expect(await snippet('fortnight')).toEqual([
      { text: 'Turn the heap every ', match: false },
      { text: 'fortnight', match: true },
      { text: '.', match: false },
    ]);

    // After a restart the saved index answers, with nothing indexed again; the saved files hold no bodies.
    await service.close();
    const spaceDir = join(dataDir, 'spaces', SPACE);
    const saved = JSON.parse(await readFile(join(spaceDir, 'search.json'), 'utf8')) as { version: number; notes: unknown; search: Record<string, unknown> };
    expect(saved.version).toBe(4);
    expect(Object.keys(saved).sort()).toEqual(['notes', 'search', 'version']);
    expect(Object.keys(saved.search)).toEqual(['index']);
    expect(JSON.stringify(saved)).not.toContain('Turn the heap');
    const graph = JSON.parse(await readFile(join(spaceDir, 'links.json'), 'utf8')) as { version: number; links: Record<string, string[]> };
    expect(graph.links).toEqual({ 'note-compost01': [], 'note-seeds0001': ['note-compost01'] });
    expect(JSON.stringify(graph)).not.toContain('Turn the heap');
    service = new HostService({ dataDir, host: 'web', version: 'x' });
    const space = await service.space(SPACE);
    // No window has the space open: backlinks answer, and the index stays on disk until someone searches.
    expect(((await service.handle(client, 'note.backlinks', { spaceId: SPACE, noteId: 'note-compost01' })) as { noteIds: string[] }).noteIds).toEqual(['note-seeds0001']);
    expect(space.search.indexLoaded).toBe(false);
    expect(await search('fortnight')).toEqual(['note-compost01']);
    expect(space.search.indexLoaded).toBe(true);
    expect((await snippet('fortnight'))?.some((part) => part.match && part.text === 'fortnight')).toBe(true);
    expect(space.search.size).toBe(2);

    // A file of the version before (the link graph inside the index's file) is taken as it is, not read again:
    // a link only that file holds is still answered.
    await service.close();
    await rm(join(spaceDir, 'links.json'));
    const older = { ...saved, version: 3, links: { ...graph.links, 'note-compost01': ['note-seeds0001'] }, attachments: {} };
    await writeFile(join(spaceDir, 'search.json'), JSON.stringify(older));
    service = new HostService({ dataDir, host: 'web', version: 'x' });
    expect(((await service.handle(client, 'note.backlinks', { spaceId: SPACE, noteId: 'note-seeds0001' })) as { noteIds: string[] }).noteIds).toEqual(['note-compost01']);
    expect(await search('march')).toEqual(['note-seeds0001']);
    await service.close();
    expect(JSON.parse(await readFile(join(spaceDir, 'search.json'), 'utf8')).version).toBe(4);
    expect(JSON.parse(await readFile(join(spaceDir, 'links.json'), 'utf8')).links['note-compost01']).toEqual(['note-seeds0001']);
    service = new HostService({ dataDir, host: 'web', version: 'x' });
  });

  it('lets the search index go after its idle time without a window, and loads it again for the next search', async () => {
    const store = await new DocStore(join(dataDir, 'idle')).space(SPACE);
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const compost = makeNote(catalog, 'note-compost01', 'Compost', 'Turn the heap every fortnight.');
    await store.append(CATALOG_DOC_ID, Y.encodeStateAsUpdate(catalog));
    await store.append('note-compost01', Y.encodeStateAsUpdate(compost));
    const search = new SpaceSearch(store, () => {}, 100);
    try {
      await search.ready;
      expect(search.indexLoaded).toBe(false);
      expect((await search.search('fortnight')).map((h) => h.id)).toEqual(['note-compost01']);
      expect(search.indexLoaded).toBe(true);
      await expect.poll(() => search.indexLoaded, { timeout: 5000 }).toBe(false);
      // Saved as it went: the next search loads it from disk and finds the same.
      expect(JSON.parse(await readFile(join(store.dir, 'search.json'), 'utf8')).notes).toHaveProperty('note-compost01');
      expect((await search.search('fortnight')).map((h) => h.id)).toEqual(['note-compost01']);
      // A window keeps it however long nobody searches.
      search.setWindowsOpen(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(search.indexLoaded).toBe(true);
      search.setWindowsOpen(false);
      await expect.poll(() => search.indexLoaded, { timeout: 5000 }).toBe(false);
    } finally {
      await search.close();
      await store.close();
    }
  });

  it('indexes again from the notes when the saved index cannot be loaded, and saves a good one', async () => {
    const store = await new DocStore(join(dataDir, 'damaged')).space(SPACE);
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const compost = makeNote(catalog, 'note-compost01', 'Compost', 'Turn the heap every fortnight.');
    await store.append(CATALOG_DOC_ID, Y.encodeStateAsUpdate(catalog));
    await store.append('note-compost01', Y.encodeStateAsUpdate(compost));
    await writeFile(join(store.dir, 'search.json'), JSON.stringify({ version: 4, notes: { 'note-compost01': ['x', 'Compost', ''] }, search: { index: { serializationVersion: 99 } } }));
    const warnings: string[] = [];
    const search = new SpaceSearch(store, (message) => warnings.push(message));
    try {
      expect((await search.search('fortnight')).map((h) => h.id)).toEqual(['note-compost01']);
      expect(warnings.join('\n')).toContain('cannot be loaded');
      await search.save();
      expect(JSON.parse(await readFile(join(store.dir, 'search.json'), 'utf8')).search.index.serializationVersion).not.toBe(99);
    } finally {
      await search.close();
      await store.close();
    }
  });

  it('holds the search index while a window has the space open, never for the host’s own peers', async () => {
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const seeds = makeNote(catalog, 'note-seeds0001', 'Seeds', 'Sow in March.');
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    await service.handle(client, 'note.append', { spaceId: SPACE, noteId: 'note-seeds0001', update: Y.encodeStateAsUpdate(seeds) });
    const space = await service.space(SPACE);
    await space.search.ready;
    const peer: HostClient = { send: () => {}, headless: true };
    await service.handle(peer, 'space.subscribe', { spaceId: SPACE });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(space.search.indexLoaded).toBe(false);
    const window = new RecordingClient();
    await service.handle(window, 'space.subscribe', { spaceId: SPACE });
    await expect.poll(() => space.search.indexLoaded, { timeout: 5000 }).toBe(true);
    expect(space.search.size).toBe(1);

    // A host that starts with a window coming loads it ahead of the window; an always-on host does not.
    await service.close();
    for (const searchIndexes of [false, true]) {
      service = new HostService({ dataDir, host: 'web', version: 'x' });
      await service.warmUp({ searchIndexes });
      expect((await service.space(SPACE)).search.indexLoaded).toBe(searchIndexes);
      if (!searchIndexes) await service.close();
    }
  });

  it('a host with windows coming reads each note once at start, for the link graph and the search index together', async () => {
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const ids = ['note-seeds0001', 'note-water0002', 'note-frost0003'];
    const bodies = ids.map((id, i) => makeNote(catalog, id, `Note ${i}`, `Body ${i}.`));
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    for (const [i, id] of ids.entries()) await service.handle(client, 'note.append', { spaceId: SPACE, noteId: id, update: Y.encodeStateAsUpdate(bodies[i]!) });
    await service.close();
    // Nothing saved to start from: every note is read at start.
    for (const name of ['links.json', 'search.json']) await rm(join(dataDir, 'spaces', SPACE, name), { force: true });

    const reads = vi.spyOn(SpaceSearch.prototype as unknown as { refreshNote: () => Promise<void> }, 'refreshNote');
    service = new HostService({ dataDir, host: 'web', version: 'x' });
    await service.warmUp({ searchIndexes: true });
    const space = await service.space(SPACE);
    expect(space.search.indexLoaded).toBe(true);
    expect(space.search.size).toBe(3);
    expect(reads).toHaveBeenCalledTimes(3);
    reads.mockRestore();
  });

  it('brings a note deleted forever back to the trash when its body holds an edit the deletion had not seen', async () => {
    const watcher = new RecordingClient();
    await service.handle(watcher, 'space.subscribe', { spaceId: SPACE });
    const catalog = new Y.Doc();
    initSpace(catalog, 'Garden club');
    const body = makeNote(catalog, NOTE, 'Seeds', 'Sow in March.');
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog) });
    await service.handle(client, 'note.append', { spaceId: SPACE, noteId: NOTE, update: Y.encodeStateAsUpdate(body) });
    // Another member edits the body while this one, who had not seen that edit, deletes the note forever.
    const elsewhere = newNoteDoc(NOTE);
    Y.applyUpdate(elsewhere, Y.encodeStateAsUpdate(body));
    elsewhere.getText('unseen').insert(0, 'an edit made elsewhere');
    const before = Y.encodeStateVector(catalog);
    trashEntry(getEntry(catalog, NOTE)!);
    deleteEntryForever(getEntry(catalog, NOTE)!, Y.encodeStateVector(body));
    expect(entryState(getEntry(catalog, NOTE)!)).toBe('deleted');
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog, before) });
    expect(entryState(getEntry((await service.store.space(SPACE)).catalog, NOTE)!)).toBe('deleted');
    watcher.events.length = 0;
    await service.handle(client, 'note.append', { spaceId: SPACE, noteId: NOTE, update: Y.encodeStateAsUpdate(elsewhere, Y.encodeStateVector(body)) });
    await expect.poll(() => entryState(getEntry(catalog, NOTE)!) !== 'deleted' || watcher.events.some((e) => e.event === 'space.update'), { timeout: 5000 }).toBe(true);
    const hostCatalog = (await service.store.space(SPACE)).catalog;
    expect(entryState(getEntry(hostCatalog, NOTE)!)).toBe('trashed');
    // The restore reached the subscribers as a catalog update: applied, the note is in the trash there too.
    for (const e of watcher.events) if (e.event === 'space.update') Y.applyUpdate(catalog, (e.payload as SpaceUpdate).update);
    expect(entryState(getEntry(catalog, NOTE)!)).toBe('trashed');
    // A deletion that had seen every edit stays.
    const after = Y.encodeStateVector(catalog);
    deleteEntryForever(getEntry(catalog, NOTE)!, Y.encodeStateVector(elsewhere));
    await service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog, after) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(entryState(getEntry(hostCatalog, NOTE)!)).toBe('deleted');
  });
});
