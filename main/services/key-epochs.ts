/**
 * New space keys reaching every remaining member, including those offline when a member was removed.
 * A removal starts a new epoch: a new key (and so a new room) sealed for each remaining member in the
 * signed `remove` record. Members then sync only in the new room, where the removed member cannot
 * follow. The records reach the others on a signalling topic of each earlier key, encrypted with that
 * key: the remover announces them there, and a device that comes back with an old key asks there and
 * gets them from any member who knows the newer epoch. It checks them like any records (signed by an
 * owner), opens its sealed key and moves to the new room; a removed device learns it was removed.
 * The records carry no secret (invite tokens are not in them, sealed keys open only for their member).
 */
import { newId } from '../../shared/ids';
import { membersLackingKey, membershipRecords, type MembershipRecord } from '../../shared/membership';
import { decryptWith, encryptWith, sealFor, topicFor, unseal, type Identity } from './member-crypto';
import type { Rendezvous } from './rendezvous';
import type { SpaceMembership } from './space-membership';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

const PURPOSE = 'epoch';
/** Asks on one old key's topic are answered at most this often. */
const ANSWER_EVERY_MS = 5000;
/** Most records one message carries (a space's membership is a few per member). */
const MAX_RECORDS = 5000;

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

type Message = { v: 1; kind: 'records'; records: MembershipRecord[] } | { v: 1; kind: 'ask'; epoch: number };

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

  /** Asks whether the space moved past the key this device holds (after a start, a reconnect). */
  async ask(space: EpochSpace): Promise<void> {
    const { current } = await space.keys();
    if (current) this.send(current, { v: 1, kind: 'ask', epoch: current.epoch });
  }

  /** Tells holders of every earlier key about the space's records (after a removal, a new seal). */
  async announce(space: EpochSpace): Promise<void> {
    const { previous } = await space.keys();
    const records = membershipRecords(space.membership.store.catalog);
    for (const key of previous) this.send(key, { v: 1, kind: 'records', records });
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
      if (message.kind === 'records' && Array.isArray(message.records) && message.records.length <= MAX_RECORDS) {
        await target.space.importRecords(message.records);
        await this.check(target.space);
      } else if (message.kind === 'ask' && !target.current) {
        // A device on an old key: tell it what happened since (at most every few seconds per key).
        const last = this.answeredAt.get(topic) ?? 0;
        if (Date.now() - last < ANSWER_EVERY_MS) return;
        this.answeredAt.set(topic, Date.now());
        this.send(target.key, { v: 1, kind: 'records', records: membershipRecords(target.space.membership.store.catalog) });
      }
    } catch (error) {
      this.warn(`space key of ${target.space.spaceId}: ${errorMessage(error)}`);
    }
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
