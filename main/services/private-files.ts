/**
 * How the host writes its own files: the data directory holds notes, space secrets and the web
 * host's token, so its folders are this user's only (0700) and its files readable by this user only
 * (0600). A file is replaced atomically and durably, one policy for every file the host writes:
 * write a temporary file beside it, fsync it, rename it over the old one, fsync the folder. A crash
 * at any step leaves the old file or the new one, never a mix, and never an empty file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, type Dirent, constants as fsConstants, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errorMessage } from '../../shared/errors';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

// Directories cannot be opened for fsync on Windows; NTFS journals the rename itself.
const canSyncDirectories = process.platform !== 'win32';

/** Creates a folder (and its parents) for this user only; an existing one is tightened to 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir's mode is only for folders it creates, and the umask may loosen even those.
  await chmod(dir, PRIVATE_DIR_MODE);
}

/** ensurePrivateDir for synchronous callers (the data-directory lock). */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Tightens a folder tree this host owns to 0700 folders and 0600 files: a mode applies only to what
 * is created with it, so files an older version (or a copy, or a restore from backup) left open to
 * others are closed when the host takes the folder. Links are left alone; `folders`, when given, are
 * the only subfolders entered (the data directory may be shared with Electron's own files). An entry
 * that cannot be tightened (gone meanwhile) does not stop the rest; the problems are returned.
 */
export function tightenPrivateTreeSync(dir: string, folders?: readonly string[]): string[] {
  if (process.platform === 'win32') return [];
  const problems: string[] = [];
  const attempt = (what: string, work: () => void) => {
    try {
      work();
    } catch (error) {
      problems.push(`${what}: ${errorMessage(error)}`);
    }
  };
  attempt(dir, () => chmodSync(dir, PRIVATE_DIR_MODE));
  let entries: Dirent[] = [];
  attempt(dir, () => (entries = readdirSync(dir, { withFileTypes: true })));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!folders || folders.includes(entry.name)) problems.push(...tightenPrivateTreeSync(path));
    } else if (entry.isFile()) attempt(path, () => (statSync(path).mode & 0o077) !== 0 && chmodSync(path, PRIVATE_FILE_MODE));
  }
  return problems;
}

/** A temporary name beside `path`, unique across processes and across concurrent writes in one process. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/** Flushes a folder's entries (a rename or a new file in it) to disk. */
export async function syncDirectory(dir: string): Promise<void> {
  if (!canSyncDirectories) return;
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function syncDirectorySync(dir: string): void {
  if (!canSyncDirectories) return;
  const fd = openSync(dir, fsConstants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to a new file of mode 0600 (or `mode`) and fsyncs it; the file must not exist yet. */
export async function writeNewPrivateFile(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function writeNewPrivateFileSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let written = 0; written < bytes.byteLength; ) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically and durably, as a file of mode 0600 (or `mode`, for files
 * made to be shared, such as an export). The folder must exist.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeNewPrivateFile(temp, data, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** writeFileAtomic for synchronous callers (the data-directory lock). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const temp = tempPathFor(path);
  try {
    writeNewPrivateFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectorySync(dirname(path));
}
