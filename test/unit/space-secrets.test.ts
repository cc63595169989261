import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretConflictError, SpaceSecrets } from '../../main/services/space-secrets';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('space secrets on the device', () => {
  it('creates a secret on first share, keeps it, and stores it for this user only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cp-secrets-'));
    dirs.push(dir);
    const secrets = new SpaceSecrets(dir);
    expect(await secrets.sharing('space-0001', false)).toEqual({ secret: null, addresses: [] });
    const first = await secrets.sharing('space-0001', true);
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await secrets.sharing('space-0001', true)).secret).toBe(first.secret);
    const file = join(dir, 'secrets', 'space-0001.json');
    if (process.platform !== 'win32') {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    }
    expect(await readdir(join(dir, 'secrets'))).toEqual(['space-0001.json']);
    expect(JSON.parse(await readFile(file, 'utf8')).secret).toBe(first.secret);
  });

  it('joins with an invite, remembers addresses, and refuses another secret for a space it has', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cp-secrets-'));
    dirs.push(dir);
    const secrets = new SpaceSecrets(dir);
    const secret = 'A'.repeat(43);
    await secrets.join('space-0002', secret, ['127.0.0.1:4318'], false);
    expect(await secrets.addAddress('space-0002', '10.0.0.2:4318')).toEqual(['127.0.0.1:4318', '10.0.0.2:4318']);
    await secrets.join('space-0002', secret, ['127.0.0.1:4318'], true);
    await expect(secrets.join('space-0002', 'B'.repeat(43), [], true)).rejects.toBeInstanceOf(SecretConflictError);
    // A space made on this device and never shared cannot be taken over by a forged invite either.
    await expect(secrets.join('space-0003', secret, [], true)).rejects.toBeInstanceOf(SecretConflictError);
  });
});
