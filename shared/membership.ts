/**
 * Who belongs to a space, as signed records in its catalog (a Y.Array `membership`): the member who
 * created it, members admitted with invites, owners, invites and their revocation, removals with the
 * new space key sealed for each remaining member. Every replica reads the records in the array's order
 * (the same everywhere once synced) and keeps only those whose signature checks out and whose signer
 * had the right to make them; anything else is ignored. Pure: the signature check is passed in.
 */
import * as Y from 'yjs';

export const MEMBERSHIP_ARRAY = 'membership';

/** A device's public keys (raw, base64url): Ed25519 to sign, X25519 to receive sealed keys. */
export interface MemberKeys {
  sign: string;
  box: string;
}

interface Signed {
  /** A random id, so two records alike in every field stay two. */
  id: string;
  /** Member id of the signer. */
  by: string;
  /** When the signer made it (its own clock). */
  at: number;
  /** Ed25519 signature (base64url) of the record without `sig`, as canonicalJson writes it. */
  sig: string;
}

export type MembershipRecord =
  | (Signed & { t: 'create'; space: string; member: string; name: string; keys: MemberKeys })
  /** Admitted with an invite (signed by the member who let them in), or, before any removal, a member who held the space key already registering itself. */
  | (Signed & { t: 'join'; member: string; name: string; keys: MemberKeys; invite: string | null })
  /**
   * `verify`: the public key of the invite's token (the token itself never goes into a record).
   * `answer`: the key that authenticates answers to the joiner (derived from the token), encrypted with
   * the space key of `epoch`, so only members holding that key can answer and nobody else can pose as one.
   */
  | (Signed & { t: 'invite'; invite: string; verify: string; expires: number; single: boolean; epoch: number; answer: string })
  | (Signed & { t: 'revoke'; invite: string })
  | (Signed & { t: 'owner'; member: string })
  /** Removes a member and starts a new epoch: its key sealed for each remaining member. */
  | (Signed & { t: 'remove'; member: string; epoch: number; sealed: Record<string, string> })
  /** The current epoch's key sealed for members who lacked it (joined meanwhile). */
  | (Signed & { t: 'seal'; epoch: number; sealed: Record<string, string> });

export type RecordKind = MembershipRecord['t'];

/** A record before it is signed (each kind with its own fields). */
export type UnsignedRecord = MembershipRecord extends infer R ? (R extends MembershipRecord ? Omit<R, 'sig'> : never) : never;

export interface MemberInfo {
  id: string;
  name: string;
  keys: MemberKeys;
  owner: boolean;
  removed: boolean;
  /** Who admitted them (null for the creator and members who registered themselves). */
  invitedBy: string | null;
  joinedAt: number;
  removedBy?: string;
  removedAt?: number;
}

export interface InviteInfo {
  invite: string;
  verify: string;
  expires: number;
  single: boolean;
  by: string;
  at: number;
  /** The epoch whose key opens `answer`. */
  epoch: number;
  answer: string;
  used: boolean;
  /** Revoked by an owner, or ended by a removal (the removed member knew it). */
  revoked: boolean;
}

export interface Membership {
  members: Map<string, MemberInfo>;
  invites: Map<string, InviteInfo>;
  /** 1 until the first removal; each removal starts the next. */
  epoch: number;
  /** For each epoch after the first, its key sealed per member (from the removal and later seal records). */
  sealed: Map<number, Map<string, string>>;
  /** Records ignored, with why (for diagnostics and tests). */
  ignored: Array<{ id: string; t: string; why: string }>;
}

/** JSON with object keys sorted at every level: the bytes a signature covers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What a record's signature covers. */
export function signedBytes(record: UnsignedRecord | MembershipRecord): Uint8Array {
  const { sig: _sig, ...rest } = record as MembershipRecord;
  return new TextEncoder().encode(canonicalJson(rest));
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isKeys = (v: unknown): v is MemberKeys => typeof v === 'object' && v !== null && isString((v as MemberKeys).sign) && isString((v as MemberKeys).box);
const isSealed = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length <= 10_000 && Object.values(v).every((s) => typeof s === 'string' && s.length <= 512);

/** Whether a value read from the catalog has a record's shape (anything else is ignored). */
export function isMembershipRecord(value: unknown): value is MembershipRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (!isString(r.id) || !isString(r.by) || typeof r.at !== 'number' || !Number.isFinite(r.at) || !isString(r.sig)) return false;
  switch (r.t) {
    case 'create':
      return isString(r.space) && isString(r.member) && typeof r.name === 'string' && isKeys(r.keys);
    case 'join':
      return isString(r.member) && typeof r.name === 'string' && isKeys(r.keys) && (r.invite === null || isString(r.invite));
    case 'invite':
      return isString(r.invite) && isString(r.verify) && typeof r.expires === 'number' && typeof r.single === 'boolean' && Number.isSafeInteger(r.epoch) && isString(r.answer);
    case 'revoke':
      return isString(r.invite);
    case 'owner':
      return isString(r.member);
    case 'remove':
      return isString(r.member) && Number.isSafeInteger(r.epoch) && isSealed(r.sealed);
    case 'seal':
      return Number.isSafeInteger(r.epoch) && isSealed(r.sealed);
    default:
      return false;
  }
}

export function membershipRecords(catalog: Y.Doc): MembershipRecord[] {
  if (!catalog.share.has(MEMBERSHIP_ARRAY)) return [];
  return catalog.getArray<unknown>(MEMBERSHIP_ARRAY).toArray().filter(isMembershipRecord);
}

/** Appends records (already signed) to the catalog. */
export function appendMembership(catalog: Y.Doc, records: MembershipRecord[]): void {
  catalog.getArray<unknown>(MEMBERSHIP_ARRAY).push(records);
}

/**
 * Reads the records in order and keeps the valid ones. `verify` checks a record's signature against
 * a signing key (base64url). A space with no records has no members yet (schema before membership).
 */
export function resolveMembership(records: MembershipRecord[], spaceId: string, verify: (record: MembershipRecord, signKey: string) => boolean): Membership {
  const state: Membership = { members: new Map(), invites: new Map(), epoch: 1, sealed: new Map(), ignored: [] };
  const ignore = (record: MembershipRecord, why: string) => state.ignored.push({ id: record.id, t: record.t, why });
  const active = (id: string) => {
    const member = state.members.get(id);
    return member && !member.removed ? member : undefined;
  };
  const seen = new Set<string>();
  for (const record of records) {
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    if (record.t === 'create') {
      if (state.members.size > 0) {
        ignore(record, 'the space already has a creator');
        continue;
      }
      if (record.space !== spaceId) {
        ignore(record, 'made for another space');
        continue;
      }
      if (record.by !== record.member || !verify(record, record.keys.sign)) {
        ignore(record, 'not signed by its creator');
        continue;
      }
      state.members.set(record.member, { id: record.member, name: record.name, keys: record.keys, owner: true, removed: false, invitedBy: null, joinedAt: record.at });
      continue;
    }
    if (record.t === 'join' && record.by === record.member && record.invite === null) {
      // A member who held the space key before membership existed registers itself, until the first removal.
      if (state.members.size === 0 || state.epoch !== 1 || state.members.has(record.member)) {
        ignore(record, 'registering oneself is only for members of the first key, once');
        continue;
      }
      if (!verify(record, record.keys.sign)) {
        ignore(record, 'bad signature');
        continue;
      }
      state.members.set(record.member, { id: record.member, name: record.name, keys: record.keys, owner: false, removed: false, invitedBy: null, joinedAt: record.at });
      continue;
    }
    const signer = active(record.by);
    if (!signer) {
      ignore(record, 'signed by no current member');
      continue;
    }
    if (!verify(record, signer.keys.sign)) {
      ignore(record, 'bad signature');
      continue;
    }
    switch (record.t) {
      case 'join': {
        const invite = record.invite ? state.invites.get(record.invite) : undefined;
        if (!invite) {
          ignore(record, 'no such invite');
          break;
        }
        if (invite.revoked) ignore(record, 'the invite was revoked');
        else if (record.at > invite.expires) ignore(record, 'the invite had expired');
        else if (invite.single && invite.used) ignore(record, 'the invite was used already');
        else if (active(record.member)) ignore(record, 'already a member');
        else {
          invite.used = true;
          state.members.set(record.member, { id: record.member, name: record.name, keys: record.keys, owner: false, removed: false, invitedBy: invite.by, joinedAt: record.at });
        }
        break;
      }
      case 'invite':
        if (!signer.owner) ignore(record, 'only owners invite');
        else if (state.invites.has(record.invite)) ignore(record, 'the invite exists already');
        else if (record.epoch !== state.epoch) ignore(record, 'made with another epoch\'s key');
        else state.invites.set(record.invite, { invite: record.invite, verify: record.verify, expires: record.expires, single: record.single, by: record.by, at: record.at, epoch: record.epoch, answer: record.answer, used: false, revoked: false });
        break;
      case 'revoke': {
        const invite = state.invites.get(record.invite);
        if (!signer.owner) ignore(record, 'only owners revoke invites');
        else if (!invite) ignore(record, 'no such invite');
        else invite.revoked = true;
        break;
      }
      case 'owner': {
        const member = active(record.member);
        if (!signer.owner) ignore(record, 'only owners make owners');
        else if (!member) ignore(record, 'not a member');
        else member.owner = true;
        break;
      }
      case 'remove': {
        const member = active(record.member);
        if (!signer.owner) ignore(record, 'only owners remove members');
        else if (!member) ignore(record, 'not a member');
        else if (record.member === record.by) ignore(record, 'owners do not remove themselves');
        else if (record.epoch !== state.epoch + 1) ignore(record, `a key for epoch ${record.epoch} while the space is at ${state.epoch}`);
        else {
          member.removed = true;
          member.owner = false;
          member.removedBy = record.by;
          member.removedAt = record.at;
          state.epoch = record.epoch;
          const sealed = new Map<string, string>();
          for (const [id, box] of Object.entries(record.sealed)) if (active(id)) sealed.set(id, box);
          state.sealed.set(record.epoch, sealed);
          // The removed member could answer the invites open until now as if a member: they end.
          for (const invite of state.invites.values()) invite.revoked = true;
        }
        break;
      }
      case 'seal': {
        const sealed = state.sealed.get(record.epoch);
        if (record.epoch !== state.epoch || !sealed) ignore(record, 'not the current epoch');
        else for (const [id, box] of Object.entries(record.sealed)) if (active(id) && !sealed.has(id)) sealed.set(id, box);
        break;
      }
    }
  }
  return state;
}

/** Current members without the key of the current epoch sealed for them (joined during a removal). */
export function membersLackingKey(membership: Membership): string[] {
  if (membership.epoch === 1) return [];
  const sealed = membership.sealed.get(membership.epoch) ?? new Map();
  return [...membership.members.values()].filter((m) => !m.removed && !sealed.has(m.id)).map((m) => m.id);
}
