/** Where a member's notebook lives on disk, and the lock that keeps two hosts off one data directory. */
import { linkSync, readFileSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensurePrivateDirSync, tempPathFor, writeFileAtomicSync, writeNewPrivateFileSync } from './private-files';

/** The per-user data directory, following each platform's convention. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Commonplace');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Commonplace');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'commonplace');
}

export interface LockInfo {
  pid: number;
  host: string;
  url?: string;
  startedAt: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'host.lock');
}

/** Who holds the data directory now, if a live process does. */
export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && isAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
  ) {
    super(`${dataDir} is in use by another Commonplace ${holder.host} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''})`);
    this.name = 'DataDirBusyError';
  }
}

/**
 * Lock files this process holds now. A lock file with our own pid may be a stale one from an earlier
 * process that had the same pid (and is taken over), but one in this set is a live holder in this process.
 */
const heldHere = new Set<string>();

/** Takes the data directory for this process; a lock left by a dead process is taken over. */
export function acquireDataDir(dataDir: string, info: Omit<LockInfo, 'pid' | 'startedAt'>): { release: () => void; update: (patch: Partial<LockInfo>) => void } {
  ensurePrivateDirSync(dataDir);
  const path = lockPath(dataDir);
  let current: LockInfo = { ...info, pid: process.pid, startedAt: new Date().toISOString() };
  const key = resolve(path);
  if (heldHere.has(key)) throw new DataDirBusyError(dataDir, readLock(dataDir) ?? current);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Written in full beside the lock, then linked into place: the lock never exists empty, so no
      // other process can read it half-written and take it for a dead holder's.
      const temp = tempPathFor(path);
      writeNewPrivateFileSync(temp, JSON.stringify(current));
      try {
        linkSync(temp, path);
      } finally {
        unlinkSync(temp);
      }
      heldHere.add(key);
      let released = false;
      return {
        release: () => {
          // Only once: a later holder in this process must not lose its lock to a repeated release.
          if (released) return;
          released = true;
          heldHere.delete(key);
          try {
            if (JSON.parse(readFileSync(path, 'utf8')).pid === process.pid) unlinkSync(path);
          } catch {
            // already gone
          }
        },
        update: (patch) => {
          current = { ...current, ...patch };
          writeFileAtomicSync(path, JSON.stringify(current));
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(dataDir);
      if (holder && holder.pid !== process.pid) throw new DataDirBusyError(dataDir, holder);
      unlinkSync(path);
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}
