/** Where a member's notebook lives on disk, and the lock that keeps two hosts off one data directory. */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensurePrivateDirSync, tempPathFor, tightenPrivateTreeSync, writeFileAtomicSync, writeNewPrivateFileSync } from './private-files';
import { logger } from './logger';

/** The per-user data directory, following each platform's convention. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Commonplace');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Commonplace');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'commonplace');
}

export interface LockInfo {
  pid: number;
  host: string;
  /** The address a client opens to reach this host (the web host's includes its token). */
  url?: string;
  startedAt: string;
}

/**
 * Whether a process is running. A process that has exited but not been reaped (a zombie) still
 * answers kill(pid, 0), so on Linux its state in /proc decides; elsewhere a zombie counts as alive.
 */
export function isProcessAlive(pid: number): boolean {
  // kill(0) and kill(-n) signal whole process groups: such a pid never names a holder.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state ...": the command may hold spaces and parentheses, so read after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'host.lock');
}

function parseLockInfo(text: string): LockInfo | null {
  try {
    const info = JSON.parse(text) as LockInfo;
    return info !== null && typeof info === 'object' && typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** One lock file as read: its bytes, its inode (to tell it from a new file with the same bytes) and its holder. */
interface SeenLock {
  raw: Buffer;
  inode: bigint;
  info: LockInfo | null;
}

function readLockFile(path: string): SeenLock | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const inode = fstatSync(fd, { bigint: true }).ino;
    const raw = readFileSync(fd);
    return { raw, inode, info: parseLockInfo(raw.toString('utf8')) };
  } finally {
    closeSync(fd);
  }
}

const sameLock = (a: SeenLock | null, b: SeenLock) => a !== null && a.inode === b.inode && a.raw.equals(b.raw);

/** Who holds the data directory now, if a live process does. */
export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = readLockFile(lockPath(dataDir))?.info;
    return info && isProcessAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** A host's address for messages: its token stays out of terminals and pasted logs (the lock keeps it). */
export function withoutToken(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    return parsed.href;
  } catch {
    return 'an unreadable address';
  }
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
  ) {
    super(`${dataDir} is in use by another Commonplace ${holder.host} (pid ${holder.pid}${holder.url ? `, ${withoutToken(holder.url)}` : ''})`);
    this.name = 'DataDirBusyError';
  }
}

/**
 * Lock files this process holds now. A lock file with our own pid may be a stale one from an earlier
 * process that had the same pid (and is taken over), but one in this set is a live holder in this process.
 */
const heldHere = new Set<string>();

/** A holder that keeps the lock: a live process other than this one (our own pid in a lock we do not hold is a past process's). */
const holds = (info: LockInfo | null): info is LockInfo => info !== null && info.pid !== process.pid && isProcessAlive(info.pid);

/** Each dead taker of one stale lock lets the next level try; more than this many dying in a row is not a race. */
const MAX_TAKEOVER_LEVELS = 16;

/**
 * Replaces the stale lock `seen` with ours (the file at `ours`), unless another process is doing so.
 * Only the process that creates the takeover marker for this stale lock (named after its inode and
 * bytes) may replace it, so two processes racing after a crash get one winner. A marker whose
 * creator died mid-takeover is passed over for the next level. Returns false when the lock changed
 * under us (the caller starts over), and throws DataDirBusyError when another live process is taking it.
 */
function takeOverStaleLock(dataDir: string, path: string, ours: string, seen: SeenLock): boolean {
  const instance = createHash('sha256').update(`${seen.inode}\0`).update(seen.raw).digest('hex').slice(0, 24);
  const marker = (level: number) => `${path}.takeover-${instance}-${level}`;
  for (let level = 0; level < MAX_TAKEOVER_LEVELS; level++) {
    try {
      linkSync(ours, marker(level));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const taker = readLockFile(marker(level))?.info ?? null;
      if (holds(taker)) throw new DataDirBusyError(dataDir, taker);
      continue;
    }
    const cleanUp = (upTo: number) => {
      for (let l = 0; l <= upTo; l++) rmSync(marker(l), { force: true });
    };
    // Ours alone now; no other process replaces this stale lock. Is it still the one we judged?
    if (!sameLock(readLockFile(path), seen)) {
      rmSync(marker(level), { force: true });
      return false;
    }
    renameSync(ours, path);
    // Markers of this stale lock can go: a late racer that makes one again finds the lock changed.
    cleanUp(level);
    return true;
  }
  throw new Error(`could not take over the stale lock of ${dataDir}: ${MAX_TAKEOVER_LEVELS} takers died in a row`);
}

/** The folders of the data directory the host writes (spaces and their history, space keys). */
const HOST_FOLDERS = ['spaces', 'secrets'];

/**
 * Takes the data directory for this process. A lock left by a dead process (or an unreadable one)
 * is taken over; when several processes race for it, one wins and the others get DataDirBusyError.
 */
export function acquireDataDir(dataDir: string, info: Omit<LockInfo, 'pid' | 'startedAt'>): { release: () => void; update: (patch: Partial<LockInfo>) => void } {
  ensurePrivateDirSync(dataDir);
  const path = lockPath(dataDir);
  let current: LockInfo = { ...info, pid: process.pid, startedAt: new Date().toISOString() };
  const key = resolve(path);
  if (heldHere.has(key)) throw new DataDirBusyError(dataDir, readLock(dataDir) ?? current);
  // Written in full beside the lock, then linked or renamed into place: the lock never exists empty,
  // so no other process can read it half-written and take it for a dead holder's.
  const ours = tempPathFor(path);
  writeNewPrivateFileSync(ours, JSON.stringify(current));
  let acquired = false;
  try {
    for (let attempt = 0; attempt < 8 && !acquired; attempt++) {
      try {
        linkSync(ours, path);
        acquired = true;
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = readLockFile(path);
      if (seen === null) continue; // released just now: try again
      if (holds(seen.info)) throw new DataDirBusyError(dataDir, seen.info);
      acquired = takeOverStaleLock(dataDir, path, ours, seen);
    }
  } finally {
    rmSync(ours, { force: true });
  }
  if (!acquired) throw new Error(`could not lock ${dataDir}: its lock kept changing`);
  heldHere.add(key);
  // Only the host's own folders: the desktop app's data directory may also hold Electron's caches.
  const problems = tightenPrivateTreeSync(dataDir, HOST_FOLDERS);
  if (problems.length > 0) logger.warn(`some files in the data directory could not be made private (${problems.length}), first: ${problems[0]}`);
  let released = false;
  return {
    release: () => {
      // Only once: a later holder in this process must not lose its lock to a repeated release.
      if (released) return;
      released = true;
      heldHere.delete(key);
      try {
        if (readLockFile(path)?.info?.pid === process.pid) unlinkSync(path);
      } catch {
        // already gone
      }
    },
    update: (patch) => {
      current = { ...current, ...patch };
      writeFileAtomicSync(path, JSON.stringify(current));
    },
  };
}
