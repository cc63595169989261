/**
 * New space keys reaching every remaining member, including those offline when a member was removed.
 * A removal starts a new epoch: a new key (and so a new room) sealed for each remaining member in the
 * signed `remove` record. Members then sync only in the new room, where the removed member cannot
 * follow. The records reach the others on a signalling topic of each earlier key, encrypted with that
 * key and, inside, sealed for the members they are for: the remover announces them there, and a device
 * that comes back with an old key asks there (signing its ask) and gets them from any member who knows
 * the newer epoch. It checks them like any records (signed by an owner), opens its sealed key and moves
 * to the new room. A removed device, which holds the old key too, is sent only the records up to its
 * own removal: it learns that it was removed, and nothing that happened after.
 */
import { randomBytes } from 'node:crypto';
import { newId } from '../../shared/ids';
import { canonicalJson, isMembershipRecord, membersLackingKey, membershipRecords, type MembershipRecord } from '../../shared/membership';
import { decryptWith, encryptWith, sealFor, signAs, topicFor, unseal, verifyWithKey, type Identity } from './member-crypto';
import type { Rendezvous } from './rendezvous';
import type { SpaceMembership } from './space-membership';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

const PURPOSE = 'epoch';
const RECORDS_PURPOSE = 'epoch records';
/** Asks from one member are answered at most this often. */
const ANSWER_EVERY_MS = 5000;
/** Most records one delivery carries (a space's membership is a few per member). */
const MAX_RECORDS = 5000;
/** Signalling servers take messages up to 64 KiB: a delivery is split into parts that fit. */
const MESSAGE_BUDGET = 60_000;
/** Members one part is sealed for (each seal is about 130 characters). */
const RECIPIENTS_PER_PART = 100;

export interface EpochKey {
  epoch: number;
  key: Uint8Array;
}

/** A space as key epochs see it on this host. */
export interface EpochSpace {
  spaceId: string;
  membership: SpaceMembership;
  /** This device's keys of the space: the current one and those before it. */
  keys(): Promise<{ current: EpochKey | null; previous: EpochKey[]; removed: boolean }>;
  /** Makes `key` the current one (the old one is kept to answer devices that still use it). */
  adopt(next: EpochKey): Promise<void>;
  /** This device was removed from the space. */
  markRemoved(): Promise<void>;
  /** Adds records this device lacks to the space's catalog. */
  importRecords(records: MembershipRecord[]): Promise<void>;
}

type Ask = { v: 1; kind: 'ask'; epoch: number; member: string; at: number; sig: string };
/** Records for the members in `keys` (a content key sealed for each), in `data` under that content key. */
type Delivery = { v: 1; kind: 'records'; keys: Record<string, string>; data: string };
type Message = Ask | Delivery;

export class KeyEpochs {
  /** Topic → the space and the key of that topic. */
  private topics = new Map<string, { space: EpochSpace; key: EpochKey; current: boolean }>();
  private readonly answeredAt = new Map<string, number>();
  private readonly offMessages: () => void;

  constructor(
    private readonly rendezvous: Rendezvous,
    private readonly identity: () => Promise<Identity>,
    private readonly me: () => string,
    private readonly warn: (message: string) => void = (m) => logger.warn(m),
  ) {
    this.offMessages = rendezvous.onMessage((topic, data) => void this.receive(topic, data));
  }

  /** Listens on every key's topic of these spaces (the current one for news, earlier ones to answer). */
  async listen(spaces: EpochSpace[]): Promise<void> {
    const next = new Map<string, { space: EpochSpace; key: EpochKey; current: boolean }>();
    for (const space of spaces) {
      const { current, previous } = await space.keys();
      if (current) next.set(topicFor(current.key, PURPOSE), { space, key: current, current: true });
      for (const key of previous) next.set(topicFor(key.key, PURPOSE), { space, key, current: false });
    }
    this.topics = next;
    this.rendezvous.setTopics('epochs', next.keys());
  }

  private send(key: EpochKey, message: Message): void {
    this.rendezvous.publish(topicFor(key.key, PURPOSE), encryptWith(key.key, PURPOSE, new TextEncoder().encode(JSON.stringify(message))));
  }

  /** Sends records on an old key's topic for these members only, in parts that fit a signalling message. */
  private deliver(key: EpochKey, recipients: Array<{ id: string; box: string }>, records: MembershipRecord[]): void {
    for (let r = 0; r < recipients.length; r += RECIPIENTS_PER_PART) {
      const contentKey = randomBytes(32);
      const keys = Object.fromEntries(recipients.slice(r, r + RECIPIENTS_PER_PART).map(({ id, box }) => [id, sealFor(contentKey, box)]));
      // Encrypting twice (content key, then the old key), each in base64, grows a part by about 16/9.
      const budget = Math.floor(((MESSAGE_BUDGET * 3) / 4 - JSON.stringify(keys).length - 200) * (3 / 4));
      let part: MembershipRecord[] = [];
      let size = 2;
      const flush = () => {
        if (part.length === 0) return;
        this.send(key, { v: 1, kind: 'records', keys, data: encryptWith(contentKey, RECORDS_PURPOSE, new TextEncoder().encode(JSON.stringify(part))) });
        part = [];
        size = 2;
      };
      for (const record of records) {
        const length = JSON.stringify(record).length + 1;
        if (size + length > budget) flush();
        part.push(record);
        size += length;
      }
      flush();
    }
  }

  /** Asks whether the space moved past the key this device holds (after a start, a reconnect). */
  async ask(space: EpochSpace): Promise<void> {
    const { current } = await space.keys();
    if (!current) return;
    const unsigned = { v: 1 as const, kind: 'ask' as const, epoch: current.epoch, member: this.me(), at: Date.now() };
    this.send(current, { ...unsigned, sig: signAs(await this.identity(), new TextEncoder().encode(canonicalJson(unsigned))) });
  }

  /**
   * Tells holders of every earlier key about the space's records (after a removal, a new seal): all of
   * them to current members, and to each removed member the records up to its removal.
   */
  async announce(space: EpochSpace): Promise<void> {
    const { previous } = await space.keys();
    if (previous.length === 0) return;
    const records = membershipRecords(space.membership.store.catalog);
    const membership = space.membership.current();
    const me = this.me();
    const current = [...membership.members.values()].filter((m) => !m.removed && m.id !== me).map((m) => ({ id: m.id, box: m.keys.box }));
    for (const key of previous) {
      this.deliver(key, current, records);
      for (const member of membership.members.values()) {
        if (member.removed) this.deliver(key, [{ id: member.id, box: member.keys.box }], recordsUntilRemoval(records, member.id));
      }
    }
  }

  private async receive(topic: string, data: string): Promise<void> {
    const target = this.topics.get(topic);
    if (!target) return;
    let message: Message;
    try {
      message = JSON.parse(decryptWith(target.key.key, PURPOSE, data).toString('utf8')) as Message;
    } catch {
      return;
    }
    try {
      if (message.kind === 'records') await this.receiveRecords(target.space, message);
      else if (message.kind === 'ask' && !target.current) this.answer(topic, target, message);
    } catch (error) {
      this.warn(`space key of ${target.space.spaceId}: ${errorMessage(error)}`);
    }
  }

  private async receiveRecords(space: EpochSpace, delivery: Delivery): Promise<void> {
    const sealed = typeof delivery.keys === 'object' && delivery.keys !== null ? delivery.keys[this.me()] : undefined;
    if (typeof sealed !== 'string' || typeof delivery.data !== 'string') return; // not for this device
    const contentKey = unseal(sealed, await this.identity());
    const records: unknown = JSON.parse(decryptWith(contentKey, RECORDS_PURPOSE, delivery.data).toString('utf8'));
    if (!Array.isArray(records) || records.length > MAX_RECORDS || !records.every(isMembershipRecord)) return;
    await space.importRecords(records);
    await this.check(space);
  }

  /** A device on an old key asked: tell it what happened since, as much as it may know. */
  private answer(topic: string, target: { space: EpochSpace; key: EpochKey }, ask: Ask): void {
    if (typeof ask.member !== 'string' || typeof ask.sig !== 'string' || typeof ask.at !== 'number') return;
    const membership = target.space.membership.current();
    const asker = membership.members.get(ask.member);
    const { sig, ...unsigned } = ask;
    if (!asker || !verifyWithKey(new TextEncoder().encode(canonicalJson(unsigned)), sig, asker.keys.sign)) return;
    const last = this.answeredAt.get(`${topic} ${ask.member}`) ?? 0;
    if (Date.now() - last < ANSWER_EVERY_MS) return;
    this.answeredAt.set(`${topic} ${ask.member}`, Date.now());
    const records = membershipRecords(target.space.membership.store.catalog);
    this.deliver(target.key, [{ id: asker.id, box: asker.keys.box }], asker.removed ? recordsUntilRemoval(records, asker.id) : records);
  }

  /**
   * Acts on the records as they are now: moves to a newer key sealed for this device, learns that it
   * was removed, or (an owner holding the current key) seals it for members who lack it.
   */
  async check(space: EpochSpace): Promise<void> {
    const membership = space.membership.current();
    const me = this.me();
    const mine = membership.members.get(me);
    const keys = await space.keys();
    if (mine?.removed) {
      if (!keys.removed) await space.markRemoved();
      return;
    }
    if (!mine || !keys.current) return;
    if (membership.epoch > keys.current.epoch) {
      const sealed = membership.sealed.get(membership.epoch)?.get(me);
      if (!sealed) return; // not sealed for this device yet: a member will (see below), then it is announced
      await space.adopt({ epoch: membership.epoch, key: unseal(sealed, await this.identity()) });
      return;
    }
    const lacking = membersLackingKey(membership);
    if (mine.owner && membership.epoch === keys.current.epoch && lacking.length > 0) {
      const sealedFor: Record<string, string> = {};
      for (const id of lacking) sealedFor[id] = sealFor(keys.current.key, membership.members.get(id)!.keys.box);
      await space.membership.append([{ id: newId(), by: me, at: Date.now(), t: 'seal', epoch: membership.epoch, sealed: sealedFor }]);
      await this.announce(space);
    }
  }

  close(): void {
    this.offMessages();
  }
}

/** The records a removed member may see: those up to and including its removal. */
function recordsUntilRemoval(records: MembershipRecord[], member: string): MembershipRecord[] {
  let at = records.length - 1;
  while (at >= 0 && !(records[at]!.t === 'remove' && (records[at] as { member: string }).member === member)) at--;
  return records.slice(0, at + 1);
}
