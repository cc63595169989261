/**
 * The files the host writes: the data directory is this user's only (0700), every file in it is
 * readable by this user only (0600), and files are replaced atomically, never left half-written.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDir, lockPath } from '../../main/services/data-dir';
import {
  ensurePrivateDir,
  ensurePrivateDirSync,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../main/services/private-files';
import { readProfile, writeProfile } from '../../main/services/profile-store';
import { SpaceSecrets } from '../../main/services/space-secrets';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cp-private-'));
  dirs.push(dir);
  return dir;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
// POSIX permissions only: Windows keeps files in the user's profile, guarded by its ACLs.
const posix = process.platform !== 'win32';

describe.runIf(posix)('private files', () => {
  it('are written atomically with mode 0600, replacing a file that was readable by others', async () => {
    const dir = await scratch();
    const file = join(dir, 'state.json');
    await writeFile(file, 'old', { mode: 0o644 });
    await chmod(file, 0o644);
    await writeFileAtomic(file, '{"new":true}');
    expect(await readFile(file, 'utf8')).toBe('{"new":true}');
    expect(await modeOf(file)).toBe(PRIVATE_FILE_MODE);
    writeFileAtomicSync(file, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    expect(await modeOf(file)).toBe(PRIVATE_FILE_MODE);
    expect(await readdir(dir)).toEqual(['state.json']); // no temporary file is left behind
  });

  it('leave the old file whole and no temporary file when a write fails', async () => {
    const dir = await scratch();
    const file = join(dir, 'state.json');
    await writeFileAtomic(file, 'kept');
    await expect(writeFileAtomic(join(dir, 'missing', 'state.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    // A directory where the file should be: the rename fails after the temporary file was written.
    await mkdir(join(dir, 'taken'));
    await writeFile(join(dir, 'taken', 'inside'), '');
    await expect(writeFileAtomic(join(dir, 'taken'), 'x')).rejects.toThrow();
    expect(() => writeFileAtomicSync(join(dir, 'taken'), 'x')).toThrow();
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'taken']);
    expect(await readFile(file, 'utf8')).toBe('kept');
  });

  it('live in directories of mode 0700, and an existing directory open to others is tightened', async () => {
    const dir = await scratch();
    await ensurePrivateDir(join(dir, 'a', 'b'));
    expect(await modeOf(join(dir, 'a', 'b'))).toBe(PRIVATE_DIR_MODE);
    await mkdir(join(dir, 'open'), { mode: 0o755 });
    await chmod(join(dir, 'open'), 0o755);
    ensurePrivateDirSync(join(dir, 'open'));
    expect(await modeOf(join(dir, 'open'))).toBe(PRIVATE_DIR_MODE);
  });
});

describe.runIf(posix)('the data directory', () => {
  it('is 0700 and its lock 0600, even when the directory existed open to others', async () => {
    const dataDir = join(await scratch(), 'notebook');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    const lock = acquireDataDir(dataDir, { host: 'web host' });
    try {
      expect(await modeOf(dataDir)).toBe(PRIVATE_DIR_MODE);
      expect(await modeOf(lockPath(dataDir))).toBe(PRIVATE_FILE_MODE);
      lock.update({ url: 'http://127.0.0.1:4317/?token=secret' });
      expect(await modeOf(lockPath(dataDir))).toBe(PRIVATE_FILE_MODE);
    } finally {
      lock.release();
    }
  });

  it('keeps profile.json for this user only', async () => {
    const dataDir = join(await scratch(), 'notebook');
    const profile = { id: 'member-0001', name: 'Ana', color: '#1971c2' };
    await writeProfile(dataDir, profile);
    expect(await modeOf(dataDir)).toBe(PRIVATE_DIR_MODE);
    expect(await modeOf(join(dataDir, 'profile.json'))).toBe(PRIVATE_FILE_MODE);
    await writeProfile(dataDir, { ...profile, name: 'Ana B' });
    expect(await readProfile(dataDir)).toEqual({ ...profile, name: 'Ana B' });
    expect(await readdir(dataDir)).toEqual(['profile.json']);
  });

  it('keeps space secrets for this user only', async () => {
    const dataDir = join(await scratch(), 'notebook');
    await new SpaceSecrets(dataDir).sharing('space-0001', true);
    expect(await modeOf(dataDir)).toBe(PRIVATE_DIR_MODE);
    expect(await modeOf(join(dataDir, 'secrets'))).toBe(PRIVATE_DIR_MODE);
    expect(await modeOf(join(dataDir, 'secrets', 'space-0001.json'))).toBe(PRIVATE_FILE_MODE);
  });
});
