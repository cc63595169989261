/** The runtime every host shares: the lock, signalling, the service, and a shutdown that flushes within a limit. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirBusyError, readLock } from '../../main/services/data-dir';
import { startHostRuntime, SyncUnavailableError, type HostRuntime } from '../../main/services/host-runtime';
import { startLanSync } from '../../main/services/lan-sync';
import { logger } from '../../main/services/logger';

logger.setQuiet(true);
const dirs: string[] = [];
const runtimes: HostRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stop(1000);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string, options: { syncRequired?: boolean; port?: number } = {}) {
  const runtime = await startHostRuntime({ dataDir, host: 'web', version: 'test', lockHolder: 'test host', syncRequired: options.syncRequired ?? true, windowsExpected: false, lan: { port: options.port ?? 0, lan: false } });
  runtimes.push(runtime);
  return runtime;
}

describe('the host runtime', () => {
  it('holds the data directory while it runs, serves the API with sync, and gives the directory back when stopped', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cp-runtime-'));
    dirs.push(dataDir);
    const runtime = await start(dataDir);
    expect(readLock(dataDir)?.host).toBe('test host');
    expect(runtime.sync?.info().signalingUrls[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    await expect(start(dataDir)).rejects.toBeInstanceOf(DataDirBusyError);
    expect(await runtime.service.handle({ send: () => {} }, 'sync.info', {})).toMatchObject({ lan: false });
    await runtime.stop();
    expect(readLock(dataDir)).toBeNull();
    // A second stop is the same stop.
    await runtime.stop();
    const again = await start(dataDir);
    expect(readLock(dataDir)?.pid).toBe(process.pid);
    await again.stop();
  });

  it('stops within its time limit when writes never finish, and still gives the directory back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cp-runtime-'));
    dirs.push(dataDir);
    const runtime = await start(dataDir);
    runtime.service.flush = () => new Promise(() => {});
    const started = Date.now();
    await runtime.stop(300);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(readLock(dataDir)).toBeNull();
  });

  it('does not start a host that needs its signalling server when the port is taken, and leaves the directory free', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cp-runtime-'));
    dirs.push(dataDir);
    const taken = await startLanSync({ port: 0, lan: false });
    try {
      const port = Number(taken.info().signalingUrls[0]!.split(':').pop());
      await expect(start(dataDir, { port })).rejects.toBeInstanceOf(SyncUnavailableError);
      expect(readLock(dataDir)).toBeNull();
      // The desktop app starts anyway, without sync.
      const runtime = await start(dataDir, { port, syncRequired: false });
      expect(runtime.sync).toBeNull();
    } finally {
      await taken.close();
    }
  });
});
