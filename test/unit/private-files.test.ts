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
import { HostService, type HostClient } from '../../main/services/host-service';
import { initSpace } from '../../shared/catalog';
import * as Y from 'yjs';

const client: HostClient = { send: () => {} };

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

  it('keeps every file of a space (pack, log, history, identity) for this user only, also those an older version left open', async () => {
    const dataDir = join(await scratch(), 'notebook');
    const spaceId = 'space-private01';
    await writeProfile(dataDir, { id: 'member-0001', name: 'Ana', color: '#1971c2' });
    const service = new HostService({ dataDir, host: 'web', version: 'test' });
    const catalog = new Y.Doc();
    initSpace(catalog, 'Ward 7');
    await service.handle(client, 'space.append', { spaceId, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    await service.handle(client, 'space.createInvite', { spaceId, expiresInMs: 3600_000, singleUse: false });
    const host = await service.space(spaceId);
    await host.store.compact();
    await service.handle(client, 'space.append', { spaceId, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    await service.close();
    const walk = async (dir: string): Promise<Array<{ path: string; dir: boolean }>> => {
      const found: Array<{ path: string; dir: boolean }> = [];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        found.push({ path, dir: entry.isDirectory() });
        if (entry.isDirectory()) found.push(...(await walk(path)));
      }
      return found;
    };
    const written = await walk(dataDir);
    expect(written.map((f) => f.path.slice(dataDir.length + 1))).toEqual(expect.arrayContaining(['identity.json', join('secrets', `${spaceId}.json`)]));
    expect(written.filter((f) => !f.dir).length).toBeGreaterThanOrEqual(5);
    for (const f of written) expect([f.path, await modeOf(f.path)]).toEqual([f.path, f.dir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE]);

    // Files an older version wrote open to others are tightened when the space opens again.
    for (const f of written) await chmod(f.path, f.dir ? 0o755 : 0o644);
    const lock = acquireDataDir(dataDir, { host: 'web host' });
    lock.release();
    for (const f of written) expect([f.path, await modeOf(f.path)]).toEqual([f.path, f.dir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE]);
  });

  it('keeps space secrets for this user only', async () => {
    const dataDir = join(await scratch(), 'notebook');
    await new SpaceSecrets(dataDir).sharing('space-0001', true);
    expect(await modeOf(dataDir)).toBe(PRIVATE_DIR_MODE);
    expect(await modeOf(join(dataDir, 'secrets'))).toBe(PRIVATE_DIR_MODE);
    expect(await modeOf(join(dataDir, 'secrets', 'space-0001.json'))).toBe(PRIVATE_FILE_MODE);
  });
});
