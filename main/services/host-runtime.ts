/**
 * What every host runs around its window or pages: the data directory's lock, the LAN signalling
 * server, the HostService, and a shutdown that flushes queued writes (within a time limit, so a stuck
 * disk cannot keep the app from quitting) before it gives the directory back. The desktop app and
 * the web host start one each; the command line talks to a running host instead (host-connection.ts).
 */
import { acquireDataDir, type LockInfo } from './data-dir';
import { HostService, type HostServiceOptions } from './host-service';
import { startLanSync, type LanSync, type LanSyncOptions } from './lan-sync';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

/** How long a shutdown waits for queued writes before it gives up (and says so). */
const FLUSH_TIMEOUT_MS = 15_000;

export interface HostRuntimeOptions extends Omit<HostServiceOptions, 'sync'> {
  /** Who holds the lock, as `commonplace` commands report it. */
  lockHolder: string;
  lan: LanSyncOptions;
  /** true: a host without its signalling server does not start (the web host); false: it starts without sync. */
  syncRequired: boolean;
  /** A window will open (the desktop app, the web host): search indexes load at start, ahead of it; an always-on host loads them only when one comes. */
  windowsExpected: boolean;
}

export interface HostRuntime {
  readonly service: HostService;
  readonly sync: LanSync | null;
  /** Adds to what the lock says (the web host's address with its token). */
  updateLock(patch: Partial<LockInfo>): void;
  /** Stops sync, flushes and closes the store (waiting at most `flushTimeoutMs`), then releases the lock. */
  stop(flushTimeoutMs?: number): Promise<void>;
  /** Gives the lock back at once (a process exiting without a stop; nothing is flushed). */
  releaseLock(): void;
}

/** Error when the signalling server a host needs could not start (the lock is released by then). */
export class SyncUnavailableError extends Error {
  override name = 'SyncUnavailableError';
}

/** Takes the data directory (throws DataDirBusyError when another process has it) and starts the host. */
export async function startHostRuntime(options: HostRuntimeOptions): Promise<HostRuntime> {
  const { lockHolder, lan, syncRequired, windowsExpected, ...serviceOptions } = options;
  const lock = acquireDataDir(options.dataDir, { host: lockHolder });
  let sync: LanSync | null = null;
  try {
    sync = await startLanSync(lan);
  } catch (error) {
    if (syncRequired) {
      lock.release();
      throw new SyncUnavailableError(`the signalling server could not start: ${errorMessage(error)}`);
    }
    logger.warn(`peer-to-peer sync is unavailable: ${errorMessage(error)}`);
  }
  const service = new HostService({ ...serviceOptions, sync: sync ?? undefined });
  void service.warmUp({ searchIndexes: windowsExpected });
  let stopping: Promise<void> | null = null;
  return {
    service,
    sync,
    updateLock: (patch) => lock.update(patch),
    releaseLock: () => lock.release(),
    stop: (flushTimeoutMs = FLUSH_TIMEOUT_MS) =>
      (stopping ??= (async () => {
        await sync?.close().catch((error: unknown) => logger.warn(`signalling did not close cleanly: ${errorMessage(error)}`));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            logger.error(`queued writes did not finish within ${flushTimeoutMs / 1000} s; stopping anyway`);
            resolve();
          }, flushTimeoutMs);
        });
        const closing = (async () => {
          await service.flush();
          await service.close();
        })().catch((error: unknown) => logger.error(`closing the notebook failed: ${errorMessage(error)}`));
        await Promise.race([closing, timeout]);
        clearTimeout(timer);
        lock.release();
      })()),
  };
}
