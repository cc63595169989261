import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

  it('keeps a space’s relays: set by a member, merged from an invite, kept when the key moves on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cp-secrets-'));
    dirs.push(dir);
    const secrets = new SpaceSecrets(dir);
    const secret = 'C'.repeat(43);
    const turn = { url: 'turn:203.0.113.1:3478', username: 'ward', credential: 'pw' };
    await secrets.join('space-0004', secret, [], false, 1, { rendezvous: ['wss://203.0.113.1:4443'], turn: [turn] });
    expect((await secrets.read('space-0004')).relays).toEqual({ rendezvous: ['wss://203.0.113.1:4443'], turn: [turn] });
    await secrets.setRelays('space-0004', { rendezvous: [], turn: [{ ...turn, credential: 'new' }] });
    await secrets.rotate('space-0004', 'D'.repeat(43), 2);
    await secrets.join('space-0004', 'D'.repeat(43), [], true, 2, { rendezvous: ['wss://b.example:4443'], turn: [] });
    expect((await secrets.read('space-0004')).relays).toEqual({ rendezvous: ['wss://b.example:4443'], turn: [{ ...turn, credential: 'new' }] });
    // A relay no member could have saved is not trusted: it is dropped, and the space's key stays.
    const file = join(dir, 'secrets', 'space-0004.json');
    const record = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...record, relays: { rendezvous: ['http://evil.example'], turn: [] } }));
    const read = await secrets.read('space-0004');
    expect(read.relays).toBeUndefined();
    expect(read.secret).toBe('D'.repeat(43));
  });
});
