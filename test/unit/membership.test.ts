/**
 * Membership: signed records checked in order (who may do what), keys sealed for one member, and
 * replicas that receive the same records in any order agreeing on who belongs.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendMembership, membershipRecords, membersLackingKey, resolveMembership, type MembershipRecord, type UnsignedRecord } from '../../shared/membership';
import { decryptWith, encryptWith, fingerprint, inviteAnswerKey, loadIdentity, macMatches, macWith, roomFor, newIdentity, sealFor, signRecord, topicFor, unseal, verifyRecord, type Identity } from '../../main/services/member-crypto';

const SPACE = 'space-members-1';
let counter = 0;
const id = () => `record-${++counter}`;

function person(name: string): { id: string; name: string; identity: Identity } {
  return { id: `member-${name.toLowerCase()}`, name, identity: loadIdentity(newIdentity()) };
}

function signed(who: { identity: Identity }, record: UnsignedRecord): MembershipRecord {
  return signRecord(record, who.identity);
}

const ana = person('Ana');
const ben = person('Ben');
const cy = person('Cy');

function create(at = 1): MembershipRecord {
  return signed(ana, { t: 'create', id: id(), by: ana.id, at, space: SPACE, member: ana.id, name: 'Ana', keys: ana.identity.keys });
}
function invite(by: typeof ana, token: string, expires = 1e15, single = true, epoch = 1): MembershipRecord {
  return signed(by, { t: 'invite', id: id(), by: by.id, at: 2, invite: `inv-${token}`, verify: `verify-${token}`, expires, single, epoch, answer: `answer-${token}` });
}
function join(by: typeof ana, who: typeof ana, token: string | null, at = 3): MembershipRecord {
  return signed(by, { t: 'join', id: id(), by: by.id, at, member: who.id, name: who.name, keys: who.identity.keys, invite: token ? `inv-${token}` : null });
}

const resolve = (records: MembershipRecord[]) => resolveMembership(records, SPACE, verifyRecord);

describe('membership records', () => {
  it('admits the creator, members with a valid invite, and owners made by owners', () => {
    const records = [create(), invite(ana, 'a'), join(ana, ben, 'a'), signed(ana, { t: 'owner', id: id(), by: ana.id, at: 4, member: ben.id }), invite(ben, 'b'), join(ben, cy, 'b')];
    const m = resolve(records);
    expect([...m.members.keys()]).toEqual([ana.id, ben.id, cy.id]);
    expect(m.members.get(ben.id)).toMatchObject({ owner: true, invitedBy: ana.id });
    expect(m.members.get(cy.id)).toMatchObject({ owner: false, invitedBy: ben.id });
    expect(m.ignored).toEqual([]);
  });

  it('ignores forged, unauthorised and stale records, saying why', () => {
    const forged = { ...join(ana, cy, 'a'), name: 'Mallory' };
    const records = [
      create(),
      invite(ana, 'a', 1e15, true),
      join(ana, ben, 'a'),
      join(ana, cy, 'a'), // single-use invite already used
      forged,
      signed(ben, { t: 'owner', id: id(), by: ben.id, at: 5, member: ben.id }), // not an owner
      invite(ana, 'old', 10),
      join(ana, cy, 'old', 11), // expired
      invite(ana, 'gone'),
      signed(ana, { t: 'revoke', id: id(), by: ana.id, at: 6, invite: 'inv-gone' }),
      join(ana, cy, 'gone', 7), // revoked
      signed(cy, { t: 'invite', id: id(), by: cy.id, at: 8, invite: 'inv-x', verify: 'x', expires: 1e15, single: false, epoch: 1, answer: 'x' }), // not a member
      signed(ana, { t: 'create', id: id(), by: ana.id, at: 9, space: SPACE, member: ana.id, name: 'Ana', keys: ana.identity.keys }), // second creator
    ];
    const m = resolve(records);
    expect([...m.members.keys()]).toEqual([ana.id, ben.id]);
    expect(m.members.get(ben.id)!.owner).toBe(false);
    expect(m.ignored.map((i) => i.why)).toEqual([
      'the invite was used already',
      'bad signature',
      'only owners make owners',
      'the invite had expired',
      'the invite was revoked',
      'signed by no current member',
      'the space already has a creator',
    ]);
    // A record made for another space does not create this one.
    expect(resolveMembership([create()], 'another-space', verifyRecord).members.size).toBe(0);
  });

  it('removes a member into a new epoch whose key is sealed for the others only', () => {
    const key = new Uint8Array(32).fill(7);
    const sealed = { [ana.id]: sealFor(key, ana.identity.keys.box), [ben.id]: sealFor(key, ben.identity.keys.box) };
    const records = [create(), invite(ana, 'a', 1e15, false), join(ana, ben, 'a'), join(ana, cy, 'a'), signed(ana, { t: 'remove', id: id(), by: ana.id, at: 5, member: cy.id, epoch: 2, sealed })];
    const m = resolve(records);
    expect(m.epoch).toBe(2);
    expect(m.members.get(cy.id)).toMatchObject({ removed: true, removedBy: ana.id });
    expect(new Uint8Array(unseal(m.sealed.get(2)!.get(ben.id)!, ben.identity))).toEqual(key);
    expect(() => unseal(sealed[ben.id]!, cy.identity)).toThrow();
    // The removed member's later records count for nothing; it cannot register itself again either.
    const after = resolve([...records, invite(cy, 'c'), signed(cy, { t: 'join', id: id(), by: cy.id, at: 9, member: cy.id, name: 'Cy', keys: cy.identity.keys, invite: null })]);
    expect(after.invites.has('inv-c')).toBe(false);
    expect(after.members.get(cy.id)!.removed).toBe(true);
    // The invites open at the removal end (Cy knew them); an invite made with the old key is ignored.
    expect(m.invites.get('inv-a')!.revoked).toBe(true);
    const later = resolve([...records, invite(ana, 'old-key', 1e15, false, 1), invite(ana, 'new-key', 1e15, false, 2)]);
    expect(later.invites.has('inv-old-key')).toBe(false);
    expect(later.invites.get('inv-new-key')!.revoked).toBe(false);
    // A removal for the wrong epoch (made concurrently with another) is ignored until made again.
    const stale = resolve([...records, signed(ana, { t: 'remove', id: id(), by: ana.id, at: 6, member: ben.id, epoch: 2, sealed: {} })]);
    expect(stale.members.get(ben.id)!.removed).toBe(false);
  });

  it('tells which members lack the current key, and seal records hand it to them', () => {
    const key = new Uint8Array(32).fill(9);
    const records = [
      create(),
      invite(ana, 'a', 1e15, false),
      join(ana, ben, 'a'),
      join(ana, cy, 'a'),
      signed(ana, { t: 'remove', id: id(), by: ana.id, at: 5, member: cy.id, epoch: 2, sealed: { [ana.id]: sealFor(key, ana.identity.keys.box) } }),
    ];
    expect(membersLackingKey(resolve(records))).toEqual([ben.id]);
    const sealRecord = signed(ana, { t: 'seal', id: id(), by: ana.id, at: 6, epoch: 2, sealed: { [ben.id]: sealFor(key, ben.identity.keys.box) } });
    expect(membersLackingKey(resolve([...records, sealRecord]))).toEqual([]);
  });

  it('agrees on one outcome on every replica, whatever order the records arrived in', () => {
    const first = new Y.Doc();
    const second = new Y.Doc();
    appendMembership(first, [create(), invite(ana, 'a', 1e15, true)]);
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
    // Two members admit two people with the same single-use invite at the same time.
    appendMembership(first, [join(ana, ben, 'a')]);
    appendMembership(second, [join(ana, cy, 'a')]);
    Y.applyUpdate(first, Y.encodeStateAsUpdate(second));
    Y.applyUpdate(second, Y.encodeStateAsUpdate(first));
    const a = resolve(membershipRecords(first));
    const b = resolve(membershipRecords(second));
    expect([...a.members.keys()]).toEqual([...b.members.keys()]);
    expect(a.members.size).toBe(2);
    // Junk in the array is not a record.
    first.getArray('membership').push([{ t: 'create' }, 'hello', 42]);
    expect(membershipRecords(first)).toHaveLength(4);
  });
});

describe('member cryptography', () => {
  it('seals and opens keys, encrypts for a secret, and refuses what was altered', () => {
    const key = new Uint8Array(32).fill(3);
    const box = sealFor(key, ben.identity.keys.box);
    expect(new Uint8Array(unseal(box, ben.identity))).toEqual(key);
    const altered = Buffer.from(box, 'base64url');
    altered[altered.length - 1]! ^= 1;
    expect(() => unseal(altered.toString('base64url'), ben.identity)).toThrow();
    const token = new Uint8Array(32).fill(1);
    const message = encryptWith(token, 'invite', new TextEncoder().encode('hello'));
    expect(decryptWith(token, 'invite', message).toString()).toBe('hello');
    expect(() => decryptWith(new Uint8Array(32).fill(2), 'invite', message)).toThrow();
    expect(() => decryptWith(token, 'epoch', message)).toThrow();
    expect(topicFor(token, 'invite')).toMatch(/^[0-9a-f]{64}$/);
    expect(topicFor(token, 'invite')).not.toBe(topicFor(token, 'epoch'));
    expect(fingerprint(ana.identity.keys)).toMatch(/^[0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}$/);
    expect(() => sealFor(key, 'not-a-key')).toThrow();
    // A window gets a room for the key, not the key: a name that reveals nothing and a derived password.
    const spaceKey = Buffer.from(key).toString('base64url');
    expect(roomFor(spaceKey)).toEqual(roomFor(spaceKey));
    expect(roomFor(spaceKey).name).toMatch(/^[0-9a-f]{64}$/);
    expect(roomFor(spaceKey).password).not.toContain(spaceKey);
    expect(roomFor(Buffer.from(token).toString('base64url')).password).not.toBe(roomFor(spaceKey).password);
    // Answers to an invite are authenticated under a key only its token (and the space key) opens.
    const answerKey = inviteAnswerKey(token);
    const mac = macWith(answerKey, new TextEncoder().encode('accept'));
    expect(macMatches(answerKey, new TextEncoder().encode('accept'), mac)).toBe(true);
    expect(macMatches(answerKey, new TextEncoder().encode('refuse'), mac)).toBe(false);
    expect(macMatches(inviteAnswerKey(new Uint8Array(32).fill(2)), new TextEncoder().encode('accept'), mac)).toBe(false);
    expect(macMatches(answerKey, new TextEncoder().encode('accept'), 'short')).toBe(false);
  });
});
