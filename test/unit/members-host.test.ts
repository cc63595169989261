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
import type { HostResult, MembersView } from '../../shared/host-api';
import { decodeAnyInvite } from '../../shared/invite';
import { membershipRecords } from '../../shared/membership';
import { startLanSync, type LanSync } from '../../main/services/lan-sync';
import { fromBase64Url, macWith, randomToken, sealFor, seedPublicKey, topicFor } from '../../main/services/member-crypto';
import { Rendezvous } from '../../main/services/rendezvous';
import { randomBytes } from 'node:crypto';
import { inviteRecordKeys } from '../../main/services/space-invites';

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
/** The space key as the device keeps it (its window never gets it). */
const spaceKey = async (dir: string) => (JSON.parse(await readFile(join(dir, 'secrets', `${SPACE}.json`), 'utf8')) as { secret: string }).secret;
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
    const shared = await ana.service.handle(client, 'space.sharing', { spaceId: SPACE, create: true });
    const secret = await spaceKey(ana.dir);
    // The window gets a room to join, never the space key itself.
    expect(JSON.stringify(shared)).not.toContain(secret);
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
    const secret = await spaceKey(ana.dir);
    expect(code).not.toContain(secret);

    const ben = await device('Ben');
    const benService = new HostService({ dataDir: ben.dir, host: 'web', version: 'test', sync: lanBen });
    services.push(benService);
    await benService.handle(client, 'space.redeemInvite', { spaceId: invite.spaceId, token: invite.token, expires: invite.expires, addresses: invite.addresses });
    expect(await spaceKey(ben.dir)).toBe(secret);
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
    await host.membership.createInvite(inviteRecordKeys(Buffer.from(token, 'base64url'), { key: Buffer.from(secret, 'base64url'), epoch: 1 }), Date.now() - 1000, false);
    await expect(redeem({ ...second, token, expires: Date.now() + 3600_000 })).rejects.toMatchObject({ message: expect.stringContaining('expired') });
    await expect(redeem({ ...second, expires: Date.now() - 1 })).rejects.toMatchObject({ message: expect.stringContaining('expired') });
    expect((await members(anaService)).members).toHaveLength(2);
    // The records (which every member and any later epoch's announcements carry) hold no invite's token.
    const records = JSON.stringify(membershipRecords((await anaService.space(SPACE)).store.catalog));
    for (const t of [invite.token, second.token, token]) expect(records).not.toContain(t);
  });
});

describe('listening for invites', () => {
  it('refreshes one at a time, so invites made at once are all answered (an older refresh never finishes last)', async () => {
    const ana = await device('Ana');
    const catalog = new Y.Doc();
    initSpace(catalog, 'Ward 7');
    await ana.service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    await ana.service.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false });
    // A slow disk: every read of the space's secrets takes a while, so refreshes started together would overlap.
    const inner = ana.service as unknown as { secrets: { read: (id: string) => Promise<unknown> }; invites: { listen: (spaces: unknown[]) => Promise<void>; answeringCount: number } };
    const read = inner.secrets.read.bind(inner.secrets);
    inner.secrets.read = async (id) => {
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
      return read(id);
    };
    const listen = inner.invites.listen.bind(inner.invites);
    let running = 0;
    let most = 0;
    inner.invites.listen = async (spaces) => {
      most = Math.max(most, ++running);
      try {
        await listen(spaces);
      } finally {
        running--;
      }
    };
    await Promise.all([1, 2, 3, 4, 5].map(() => ana.service.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false })));
    expect(most).toBe(1);
    expect(inner.invites.answeringCount).toBe(6);
  });
});

describe('answers to an invite', () => {
  it('are taken only from a member holding the space key, not from whoever knows the invite', async () => {
    const ana = await device('Ana');
    const lanAna = await startLanSync({ port: 0, lan: false });
    const lanBen = await startLanSync({ port: 0, lan: false });
    cleanups.push(() => lanAna.close(), () => lanBen.close());
    const anaService = new HostService({ dataDir: ana.dir, host: 'web', version: 'test', sync: lanAna });
    services.push(anaService);
    const catalog = new Y.Doc();
    initSpace(catalog, 'Ward 7');
    await anaService.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    const invite = decodeAnyInvite(((await anaService.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false })) as { code: string }).code);
    if (invite.kind !== 'token') throw new Error('expected a token invite');
    const secret = await spaceKey(ana.dir);

    // Someone who knows the invite's public key (a removed member has the records; a signalling server
    // sees the topic) answers every request at once, before Ana can: a key of its own, and a refusal.
    const rogue = new Rendezvous();
    cleanups.push(() => rogue.close());
    const topic = topicFor(fromBase64Url(seedPublicKey(fromBase64Url(invite.token))), 'invite');
    rogue.setServers([`ws://${lanAna.info().addresses[0]}`]);
    rogue.setTopics('rogue', [topic]);
    let forged = 0;
    rogue.onMessage((_topic, data) => {
      const request = JSON.parse(Buffer.from(data, 'base64url').toString()) as { kind: string; nonce: string; keys: { box: string } };
      if (request.kind !== 'request') return;
      const answer = (body: object) => rogue.publish(topic, Buffer.from(JSON.stringify({ v: 1, nonce: request.nonce, ...body, mac: macWith(randomBytes(32), new Uint8Array(1)) })).toString('base64url'));
      answer({ kind: 'refuse', reason: 'revoked' });
      answer({ kind: 'accept', epoch: 1, sealed: sealFor(randomBytes(32), request.keys.box) });
      forged += 2;
    });
    while (!rogue.connected) await wait(20);
    await wait(100);

    const ben = await device('Ben');
    const benService = new HostService({ dataDir: ben.dir, host: 'web', version: 'test', sync: lanBen });
    services.push(benService);
    await benService.handle(client, 'space.redeemInvite', { spaceId: invite.spaceId, token: invite.token, expires: invite.expires, addresses: invite.addresses });
    expect(forged).toBeGreaterThan(0);
    expect(await spaceKey(ben.dir)).toBe(secret);
  });
});

describe('removing a member', () => {
  it('moves the others to a new key, also one that was offline, and tells the removed device', async () => {
    const lans = await Promise.all([0, 1, 2, 3].map(() => startLanSync({ port: 0, lan: false })));
    cleanups.push(...lans.map((lan) => () => lan.close()));
    const [lanAna, lanBen, lanCy, lanDee] = lans as [LanSync, LanSync, LanSync, LanSync];
    const start = async (name: string, lan: typeof lanAna, dir?: string) => {
      const made = dir ? { dir, id: '' } : await device(name);
      const service = new HostService({ dataDir: made.dir, host: 'web', version: 'test', sync: lan });
      services.push(service);
      return { ...made, service };
    };
    const ana = await start('Ana', lanAna);
    const catalog = new Y.Doc();
    initSpace(catalog, 'Ward 7');
    await ana.service.handle(client, 'space.append', { spaceId: SPACE, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    const { code } = (await ana.service.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false })) as { code: string };
    const invite = decodeAnyInvite(code);
    if (invite.kind !== 'token') throw new Error('expected a token invite');
    const join = async (who: { service: HostService }) => who.service.handle(client, 'space.redeemInvite', { spaceId: SPACE, token: invite.token, expires: invite.expires, addresses: invite.addresses });
    const ben = await start('Ben', lanBen);
    const cy = await start('Cy', lanCy);
    const dee = await start('Dee', lanDee);
    for (const who of [ben, cy, dee]) await join(who);
    const sharing = async (who: { service: HostService }) => (await who.service.handle(client, 'space.sharing', { spaceId: SPACE, create: false })) as HostResult<'space.sharing'>;
    const firstKey = (await sharing(ana)).room?.name;
    for (const who of [ben, cy, dee]) expect((await sharing(who)).room?.name).toBe(firstKey);
    const cyId = (await members(ana.service)).members.find((m) => m.name === 'Cy')!.id;
    // Enough invites that the records take several signalling messages to deliver.
    for (let i = 0; i < 180; i++) await ana.service.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: true });
    const records = async (who: { service: HostService }) => membershipRecords((await who.service.space(SPACE)).store.catalog);
    expect(JSON.stringify(await records(ana)).length).toBeGreaterThan(64 * 1024);

    // Dee's device is off while Cy is removed.
    await dee.service.close();
    const events: Array<{ spaceId: string; epoch: number; removed: boolean }> = [];
    const window = { send: (event: string, payload: unknown) => event === 'space.key' && events.push(payload as (typeof events)[number]) };
    await ben.service.handle(window, 'app.info', {});
    const removed = (await ana.service.handle(client, 'space.removeMember', { spaceId: SPACE, memberId: cyId })) as MembersView;
    expect(removed.epoch).toBe(2);
    expect(removed.members.find((m) => m.id === cyId)).toMatchObject({ removed: true });
    const newKey = (await sharing(ana)).room?.name;
    expect(newKey).not.toBe(firstKey);

    // Ben, online, gets the new key from the announcement on the old key's topic, and his window hears of it.
    await until(async () => (await sharing(ben)).room?.name === newKey, 'Ben on the new key');
    expect((await sharing(ben)).epoch).toBe(2);
    await until(async () => events.some((e) => e.epoch === 2), 'Ben’s window told of the new key');
    expect(events).toContainEqual({ spaceId: SPACE, epoch: 2, removed: false });
    // Cy learns that he was removed, keeps no key to sync with, and gets nothing of the new key.
    await until(async () => (await sharing(cy)).removed, 'Cy told he was removed');
    expect((await sharing(cy)).room).toBeNull();
    // Cy cannot remove or invite anyone any more (his host knows he is no member).
    await expect(cy.service.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false })).rejects.toMatchObject({ code: 'forbidden' });

    // What happens after the removal does not reach Cy, even when his host asks on the old key.
    const { invite: later } = (await ana.service.handle(client, 'space.createInvite', { spaceId: SPACE, expiresInMs: 3600_000, singleUse: false })) as { invite: string };
    await cy.service.close();
    const cyAgain = await start('Cy', lanCy, cy.dir);
    await cyAgain.service.warmUp();

    // Dee comes back on the old key, asks, and moves to the new one, with every record.
    const deeAgain = await start('Dee', lanDee, dee.dir);
    await deeAgain.service.warmUp();
    await until(async () => (await sharing(deeAgain)).room?.name === newKey, 'Dee on the new key after coming back');
    await until(async () => (await records(deeAgain)).some((r) => r.t === 'invite' && r.invite === later), 'Dee has the records made after the removal');
    await wait(1000);
    const cyRecords = await records(cyAgain);
    expect(cyRecords.some((r) => r.t === 'remove' && r.member === cyId)).toBe(true);
    expect(cyRecords.some((r) => r.t === 'invite' && r.invite === later)).toBe(false);
    expect((await sharing(cyAgain)).room).toBeNull();
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(200);
  }
}
