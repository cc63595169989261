/**
 * The renderer's link to the durable copy, against a real HostService on a real data directory (called in
 * process instead of over a WebSocket): saves, a failing disk, the retry, and what ends up on disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DurableStore, type StoreStep } from '../../main/services/durable-store';
import { HostService, type HostClient } from '../../main/services/host-service';
import { HostError, type HostApi, type HostEventName, type HostEvents } from '../../shared/host-api';
import { HostPersistence, type SaveState } from '../../renderer/sync/host-persistence';

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
  const persistence = new HostPersistence(doc, SPACE, inProcessHost(service));
  persistence.onState((s) => states.push(s));
  await persistence.whenSynced();
  return { dataDir, service, doc, persistence, states };
}

async function onDisk(dataDir: string): Promise<string> {
  const store = new DurableStore(dataDir);
  try {
    return (await store.space(SPACE)).doc.getText('t').toString();
  } finally {
    await store.close();
  }
}

describe('HostPersistence', () => {
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
