/**
 * The renderer's link to the durable copy, against a real HostService on a real data directory (called in
 * process instead of over a WebSocket): saves, a failing disk, the retry, and what ends up on disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocStore, type StoreStep } from '../../main/services/doc-store';
import { HostService, type HostClient } from '../../main/services/host-service';
import { HostError, type HostApi, type HostEventName, type HostEvents } from '../../shared/host-api';
import { catalogChannel, DocPersistence, noteChannel, type SaveState } from '../../renderer/persistence/doc-persistence';

const SPACE = 'persist-space-01';
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** The HostApi a renderer gets, served by a HostService in this process. */
function inProcessHost(service: HostService): HostApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const client: HostClient = { send: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)) };
  return {
    call: async (method, input) => {
      try {
        return (await service.handle(client, method, input)) as never;
      } catch (error) {
        throw error instanceof HostError ? error : new HostError('internal', String(error));
      }
    },
    on<E extends HostEventName>(event: E, listener: (payload: HostEvents[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
    onConnection: (listener) => {
      listener(true);
      return () => {};
    },
  };
}

async function setup(failAt?: { step: StoreStep; times: number }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'cp-persist-'));
  dirs.push(dataDir);
  let failures = failAt?.times ?? 0;
  const service = new HostService({
    dataDir,
    host: 'web',
    version: 'test',
    store: {
      beforeStep: (step) => {
        if (failAt && step === failAt.step && failures > 0) {
          failures--;
          throw new Error(`disk failure injected at ${step}`);
        }
      },
    },
  });
  const doc = new Y.Doc();
  const states: SaveState[] = [];
  const host = inProcessHost(service);
  const persistence = new DocPersistence(doc, catalogChannel(host, SPACE), host);
  persistence.onState((s) => states.push(s));
  await persistence.whenSynced();
  return { dataDir, service, doc, persistence, states };
}

async function onDisk(dataDir: string): Promise<string> {
  const store = new DocStore(dataDir);
  try {
    return (await store.space(SPACE)).catalog.getText('t').toString();
  } finally {
    await store.close();
  }
}

describe('DocPersistence', () => {
  it('reports saved once the host has the edit on disk', async () => {
    const { dataDir, service, doc, persistence } = await setup();
    doc.getText('t').insert(0, 'hand hygiene');
    await persistence.whenSaved();
    persistence.destroy();
    await service.close();
    expect(await onDisk(dataDir)).toBe('hand hygiene');
  });

  it('shows an error when the disk fails, retries later (not in a loop), and then saves', async () => {
    const { dataDir, service, doc, persistence, states } = await setup({ step: 'log-sync', times: 1 });
    const calls: string[] = [];
    const original = service.handle.bind(service);
    service.handle = (client, method, input) => {
      calls.push(String(method));
      return original(client, method, input);
    };
    doc.getText('t').insert(0, 'gloves first');
    await expect.poll(() => persistence.state).toBe('error');
    // No tight loop: within half a second there is still only the one failed append.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls.filter((c) => c === 'space.append')).toHaveLength(1);
    // The retry (after about a second) gets through, and the edit is on disk.
    await expect.poll(() => persistence.state, { timeout: 5000 }).toBe('saved');
    expect(states).toContain('error');
    persistence.destroy();
    await service.close();
    expect(await onDisk(dataDir)).toBe('gloves first');
  });

  it('keeps an error on screen while edits continue, until a save gets through', async () => {
    const { service, doc, persistence } = await setup({ step: 'log-write', times: 1 });
    doc.getText('t').insert(0, 'a');
    await expect.poll(() => persistence.state).toBe('error');
    doc.getText('t').insert(1, 'b');
    expect(persistence.state).not.toBe('saving');
    await expect.poll(() => persistence.state, { timeout: 5000 }).toBe('saved');
    persistence.destroy();
    await service.close();
  });
});

describe('DocPersistence of a note', () => {
  it('saves a note in its own document, and a second window holding it gets the edit', async () => {
    const { dataDir, service, persistence } = await setup();
    persistence.destroy();
    // Two windows: two clients of the host.
    const host = inProcessHost(service);
    const other = inProcessHost(service);
    const NOTE = 'note-persist-01';
    const first = new Y.Doc();
    const second = new Y.Doc();
    const a = new DocPersistence(first, noteChannel(host, SPACE, NOTE), host);
    const b = new DocPersistence(second, noteChannel(other, SPACE, NOTE), other);
    await Promise.all([a.whenSynced(), b.whenSynced()]);
    first.getText('t').insert(0, 'gloves, then gown');
    await a.whenSaved();
    await expect.poll(() => second.getText('t').toString()).toBe('gloves, then gown');
    a.destroy();
    b.destroy();
    await service.close();
    const store = new DocStore(dataDir);
    const space = await store.space(SPACE);
    expect((await space.doc(NOTE)).getText('t').toString()).toBe('gloves, then gown');
    expect(space.catalog.getText('t').toString()).toBe('');
    await store.close();
  });

  it('shows a note whose stored copy is damaged as an error that does not retry', async () => {
    const { dataDir, service, persistence } = await setup();
    persistence.destroy();
    const NOTE = 'note-damaged-01';
    const source = new Y.Doc();
    source.getText('t').insert(0, 'a note that will be damaged on disk');
    await service.handle({ send: () => {} }, 'note.append', { spaceId: SPACE, noteId: NOTE, update: Y.encodeStateAsUpdate(source) });
    await (await service.store.space(SPACE)).compact();
    await service.close();
    const { readFile, writeFile } = await import('node:fs/promises');
    const pack = await readFile(join(dataDir, 'spaces', SPACE, 'docs.pack'));
    const at = pack.indexOf(Buffer.from('damaged on disk'));
    pack[at]! ^= 0xff;
    await writeFile(join(dataDir, 'spaces', SPACE, 'docs.pack'), pack);

    const again = new HostService({ dataDir, host: 'web', version: 'test' });
    const host = inProcessHost(again);
    const doc = new Y.Doc();
    const note = new DocPersistence(doc, noteChannel(host, SPACE, NOTE), host);
    await expect.poll(() => note.state).toBe('error');
    expect(note.lastError).toMatch(/fails its checksum/);
    note.destroy();
    await again.close();
  });
});
