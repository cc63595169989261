/**
 * A space's members as this host sees them: the signed records of the catalog, read in order and
 * checked (shared/membership.ts), and the records this device makes, signed with its own key.
 */
import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { nameClient } from '../../shared/doc-clients';
import { newId } from '../../shared/ids';
import { appendMembership, isMembershipRecord, MEMBERSHIP_ARRAY, membershipRecords, resolveMembership, type Membership, type MembershipRecord, type UnsignedRecord } from '../../shared/membership';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import type { SpaceStore } from './doc-store';
import { sealFor, signRecord, verifyRecord, type Identity } from './member-crypto';
import type { ChangeOrigin } from './space-history';

/** The origin of catalog edits this host makes for membership. */
export const MEMBERSHIP_ORIGIN: ChangeOrigin = Object.freeze({ source: 'local' });

export class SpaceMembership {
  private cached: Membership | null = null;
  /** Who listens for changes (lib0's registry: `change` events). */
  private readonly events = new ObservableV2<{ change: () => void }>();
  private readonly observer = () => {
    this.cached = null;
    this.events.emit('change', []);
  };

  constructor(
    readonly store: SpaceStore,
    private readonly identity: () => Promise<Identity>,
    private readonly me: () => { id: string; name: string },
    /** Sends a catalog edit this host made to its clients. */
    private readonly onCatalogEdit: (update: Uint8Array) => void,
  ) {
    store.catalog.getArray(MEMBERSHIP_ARRAY).observe(this.observer);
  }

  /** Called after the records change. */
  onChange(listener: () => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** The valid records' outcome (computed again after the records change). */
  current(): Membership {
    this.cached ??= resolveMembership(membershipRecords(this.store.catalog), this.store.spaceId, verifyRecord);
    return this.cached;
  }

  /** Whether this device is a current member. */
  isMember(): boolean {
    const mine = this.current().members.get(this.me().id);
    return !!mine && !mine.removed;
  }

  /** Whether a member id belongs to a current member. */
  isMemberId(memberId: string): boolean {
    const member = this.current().members.get(memberId);
    return !!member && !member.removed;
  }

  /** Signs records as this device and appends them to the catalog (durably, and to every client). */
  async append(records: UnsignedRecord[]): Promise<MembershipRecord[]> {
    const identity = await this.identity();
    const signed = records.map((record) => signRecord(record, identity));
    await this.write(signed);
    return signed;
  }

  /** Adds records made elsewhere (checked like any when read) that the catalog lacks. */
  async importRecords(records: unknown[]): Promise<number> {
    const have = new Set(membershipRecords(this.store.catalog).map((r) => r.id));
    const missing = records.filter(isMembershipRecord).filter((r) => !have.has(r.id) && (have.add(r.id), true));
    if (missing.length > 0) await this.write(missing);
    return missing.length;
  }

  /** Removes a member (owners only) into a new epoch whose key is sealed for every remaining member. */
  async remove(memberId: string, key: Uint8Array): Promise<number> {
    const membership = this.current();
    const me = this.me().id;
    if (!membership.members.get(me)?.owner) throw new MembershipError('only owners can remove members');
    const member = membership.members.get(memberId);
    if (!member || member.removed) throw new MembershipError('not a member of this space');
    if (memberId === me) throw new MembershipError('owners cannot remove themselves');
    const sealed: Record<string, string> = {};
    for (const other of membership.members.values()) if (!other.removed && other.id !== memberId) sealed[other.id] = sealFor(key, other.keys.box);
    const epoch = membership.epoch + 1;
    await this.append([{ ...this.base(), t: 'remove', member: memberId, epoch, sealed }]);
    if (this.current().epoch !== epoch) throw new MembershipError('the space changed meanwhile: try again');
    return epoch;
  }

  private async write(signed: MembershipRecord[]): Promise<void> {
    const updates: Uint8Array[] = [];
    const capture = (update: Uint8Array, origin: unknown) => origin === MEMBERSHIP_ORIGIN && updates.push(update);
    this.store.catalog.on('update', capture);
    try {
      this.store.catalog.transact(() => {
        appendMembership(this.store.catalog, signed);
        nameClient(this.store.catalog, this.me().id);
      }, MEMBERSHIP_ORIGIN);
    } finally {
      this.store.catalog.off('update', capture);
    }
    if (updates.length === 0) return;
    const update = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
    await this.store.append(CATALOG_DOC_ID, update, { ...MEMBERSHIP_ORIGIN, member: this.me().id });
    this.onCatalogEdit(update);
  }

  private base(): { id: string; by: string; at: number } {
    return { id: newId(), by: this.me().id, at: Date.now() };
  }

  /**
   * Makes this device a member when it holds the space key but is not one yet: the space's creator
   * (no records yet: the first member to share a space), or a member of the first key registering
   * itself. Returns whether it appended a record.
   */
  async register(asCreator: boolean): Promise<boolean> {
    const membership = this.current();
    const { id, name } = this.me();
    if (!id || membership.members.has(id)) return false;
    const keys = (await this.identity()).keys;
    if (membership.members.size === 0) {
      if (!asCreator) return false;
      await this.append([{ ...this.base(), t: 'create', space: this.store.spaceId, member: id, name, keys }]);
      return true;
    }
    if (membership.epoch !== 1) return false;
    await this.append([{ ...this.base(), t: 'join', member: id, name, keys, invite: null }]);
    return true;
  }

  /**
   * Makes an invite (owners only): the record holds the public key of the token, not the token, and
   * the key that authenticates answers, encrypted with the space key of `key.epoch` (the current one).
   */
  async createInvite(token: { verify: string; answer: string; epoch: number }, expires: number, single: boolean): Promise<string> {
    const membership = this.current();
    if (!membership.members.get(this.me().id)?.owner) throw new MembershipError('only owners can invite new members');
    if (token.epoch !== membership.epoch) throw new MembershipError(`this device holds space key ${token.epoch}, not the current key ${membership.epoch}; try again once it has it`);
    const invite = newId();
    await this.append([{ ...this.base(), t: 'invite', invite, verify: token.verify, expires, single, epoch: token.epoch, answer: token.answer }]);
    return invite;
  }

  async revokeInvite(invite: string): Promise<void> {
    const membership = this.current();
    if (!membership.members.get(this.me().id)?.owner) throw new MembershipError('only owners can revoke invites');
    const found = membership.invites.get(invite);
    if (!found) throw new MembershipError('there is no such invite');
    if (found.revoked) return;
    await this.append([{ ...this.base(), t: 'revoke', invite }]);
  }

  async makeOwner(memberId: string): Promise<void> {
    const membership = this.current();
    if (!membership.members.get(this.me().id)?.owner) throw new MembershipError('only owners can make others owners');
    const member = membership.members.get(memberId);
    if (!member || member.removed) throw new MembershipError('not a member of this space');
    if (member.owner) return;
    await this.append([{ ...this.base(), t: 'owner', member: memberId }]);
  }

  close(): void {
    this.events.destroy();
    this.store.catalog.getArray(MEMBERSHIP_ARRAY).unobserve(this.observer);
  }
}

/** A membership action refused, in words a member can act on. */
export class MembershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MembershipError';
  }
}
