/**
 * Members as hosts keep them: this device's identity on disk, the creator registered when a space is
 * first shared, a member of the first key registering itself, and owners making owners.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HostService, type HostClient } from '../../main/services/host-service';
import { readOrCreateIdentity } from '../../main/services/identity-store';
import { logger } from '../../main/services/logger';
import { initSpace } from '../../shared/catalog';
import type { MembersView } from '../../shared/host-api';
import { decodeAnyInvite } from '../../shared/invite';
import { startLanSync } from '../../main/services/lan-sync';
import { randomToken } from '../../main/services/member-crypto';

logger.setQuiet(true);

const SPACE = 'space-memb0001';
const client: HostClient = { send: () => {} };
const dirs: string[] = [];
const services: HostService[] = [];
const cleanups: Array<() => unknown> = [];

async function device(name: string): Promise<{ service: HostService; dir: string; id: string }> {
  const dir = await mkdtemp(join(tmpdir(), `cp-members-${name}-`));
  dirs.push(dir);
  const id = `member-${name.toLowerCase()}-0001`;
  await writeFile(join(dir, 'profile.json'), JSON.stringify({ id, name, color: '#336699' }));
  const service = new HostService({ dataDir: dir, host: 'web', version: 'test' });
  services.push(service);
  return { service, dir, id };
}

/** Copies the catalog from one device to the other (what peer sync does). */
async function syncCatalog(from: HostService, to: HostService): Promise<void> {
  const { update } = (await from.handle(client, 'space.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
  await to.handle(client, 'notes.push', { spaceId: SPACE, updates: [{ docId: 'catalog', update }] });
}

const members = async (service: HostService) => (await service.handle(client, 'space.members', { spaceId: SPACE })) as MembersView;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  dirs.length = 0;
  services.length = 0;
});
afterEach(async () => {
  for (const service of services) await service.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('identity', () => {
  it('is made once, kept private, read again, and never replaced silently', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cp-identity-'));
    dirs.push(dir);
    const first = await readOrCreateIdentity(dir);
    const again = await readOrCreateIdentity(dir);
    expect(again.keys).toEqual(first.keys);
    expect((await stat(join(dir, 'identity.json'))).mode & 0o777).toBe(0o600);
    await writeFile(join(dir, 'identity.json'), '{"version":1}');
    await expect(readOrCreateIdentity(dir)).rejects.toThrow(/cannot be read/);
    // Encrypted at rest with the OS keychain (here a stand-in that reverses the bytes).
    const protectedDir = await mkdtemp(join(tmpdir(), 'cp-identity-'));
    dirs.push(protectedDir);
    const keychain = { encrypt: (s: string) => Buffer.from(s).reverse(), decrypt: (b: Buffer) => Buffer.from(b).reverse().toString() };
    const made = await readOrCreateIdentity(protectedDir, keychain);
    const file = await readFile(join(protectedDir, 'identity.json'), 'utf8');
    expect(file).not.toContain('private');
    expect((await readOrCreateIdentity(protectedDir, keychain)).keys).toEqual(made.keys);
    await expect(readOrCreateIdentity(protectedDir)).rejects.toThrow(/keychain/);
  });
});

describe('members of a space', () => {
  it('registers the creator on first share, lets a holder of the first key register itself, and owners make owners', async () => {
    const ana = await device('Ana');
    const ben = await device('Ben');
    const catalog = new Y.Doc();
    initSpace(catalog, 'Ward 7');
    await ana.service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    expect((await members(ana.service)).members).toEqual([]);
    const { secret } = (await ana.service.handle(client, 'space.sharing', { spaceId: SPACE, create: true })) as { secret: string };
    const afterShare = await members(ana.service);
    expect(afterShare.members.map((m) => [m.name, m.owner, m.you])).toEqual([['Ana', true, true]]);
    expect(afterShare.owner).toBe(true);

    // Ben joins with the (first) key and gets the catalog: his host registers him.
    await ben.service.handle(client, 'space.join', { spaceId: SPACE, name: 'Ward 7', secret, addresses: [] });
    await syncCatalog(ana.service, ben.service);
    await wait(500);
    const bens = await members(ben.service);
    expect(bens.registered).toBe(true);
    expect(bens.owner).toBe(false);
    await syncCatalog(ben.service, ana.service);
    const both = await members(ana.service);
    expect(both.members.map((m) => m.name)).toEqual(['Ana', 'Ben']);
    expect(both.members[1]!.device).toMatch(/^[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$/);

    // Only owners make owners.
    await expect(ben.service.handle(client, 'space.makeOwner', { spaceId: SPACE, memberId: ben.id })).rejects.toMatchObject({ code: 'forbidden' });
    const promoted = (await ana.service.handle(client, 'space.makeOwner', { spaceId: SPACE, memberId: ben.id })) as MembersView;
    expect(promoted.members.find((m) => m.id === ben.id)!.owner).toBe(true);
    await syncCatalog(ana.service, ben.service);
    expect((await members(ben.service)).owner).toBe(true);
  });
});

describe('invites that carry a token', () => {
  it('let a new device in through a member online, and refuse expired, revoked and used ones saying which', async () => {
    const ana = await device('Ana');
    const lanAna = await startLanSync({ port: 0, lan: false });
    const lanBen = await startLanSync({ port: 0, lan: false });
    const lanCy = await startLanSync({ port: 0, lan: false });
    cleanups.push(() => lanAna.close(), () => lanBen.close(), () => lanCy.close());
    const anaService = new HostService({ dataDir: ana.dir, host: 'web', version: 'test', sync: lanAna });
    services.push(anaService);
    const catalog = new Y.Doc();
    initSpace(catalog, 'Ward 7');
    await anaService.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    const { code } = (await anaService.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 7 * 24 * 3600_000, singleUse: true })) as { code: string };
    const invite = decodeAnyInvite(code);
    if (invite.kind !== 'token') throw new Error('expected a token invite');
    expect(code.startsWith('cp2.')).toBe(true);
    expect(invite.addresses).toContain(lanAna.info().addresses[0]);
    // The code does not carry the space key.
    const { secret } = (await anaService.handle(client, 'space.sharing', { spaceId: SPACE, create: false })) as { secret: string };
    expect(code).not.toContain(secret);

    const ben = await device('Ben');
    const benService = new HostService({ dataDir: ben.dir, host: 'web', version: 'test', sync: lanBen });
    services.push(benService);
    await benService.handle(client, 'space.redeemInvite', { spaceId: invite.spaceId, token: invite.token, expires: invite.expires, addresses: invite.addresses });
    expect(((await benService.handle(client, 'space.sharing', { spaceId: SPACE, create: false })) as { secret: string }).secret).toBe(secret);
    const view = await members(anaService);
    expect(view.members.map((m) => [m.name, m.invitedBy])).toEqual([
      ['Ana', null],
      ['Ben', ana.id],
    ]);
    expect(view.invites[0]).toMatchObject({ single: true, used: true, revoked: false });

    // A second device with the same single-use invite is refused, and told why.
    const cy = await device('Cy');
    const cyService = new HostService({ dataDir: cy.dir, host: 'web', version: 'test', sync: lanCy });
    services.push(cyService);
    const redeem = (i: typeof invite) => cyService.handle(client, 'space.redeemInvite', { spaceId: i.spaceId, token: i.token, expires: i.expires, addresses: i.addresses });
    await expect(redeem(invite)).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('already used') });

    // Revoked.
    const second = decodeAnyInvite(((await anaService.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false })) as { code: string }).code);
    const revokedId = (await members(anaService)).invites.find((i) => !i.single)!.invite;
    await anaService.handle(client, 'space.revokeInvite', { spaceId: SPACE, invite: revokedId });
    if (second.kind !== 'token') throw new Error('expected a token invite');
    await expect(redeem(second)).rejects.toMatchObject({ message: expect.stringContaining('revoked') });

    // Expired: on the inviter's clock (the code still looks valid), and on the joiner's.
    const host = await anaService.space(SPACE);
    const token = randomToken();
    await host.membership.createInvite(token, Date.now() - 1000, false);
    await expect(redeem({ ...second, token, expires: Date.now() + 3600_000 })).rejects.toMatchObject({ message: expect.stringContaining('expired') });
    await expect(redeem({ ...second, expires: Date.now() - 1 })).rejects.toMatchObject({ message: expect.stringContaining('expired') });
    expect((await members(anaService)).members).toHaveLength(2);
  });
});
