/**
 * Invite codes, as compact text, a link and a QR code. A current invite ("cp2.") carries a one-time
 * token, not the space key: the joiner proves the token to a member online, who hands over the key
 * sealed for the joiner's own key pair (main/services/space-invites.ts); the invite expires, may be
 * single-use, and can be revoked. An invite of the first version ("cp1.") carries the space key itself
 * and still joins, until the space's first removal of a member changes the key.
 * Layout: prefix + base64url(version byte, fields, CRC-32 of the fields).
 */
import { fromBase64, toBase64 } from 'lib0/buffer';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { isHostPort } from './net-address';
import { hasRelays, MAX_RENDEZVOUS, MAX_TURN_SERVERS, NO_RELAYS, relaysProblem, type SpaceRelays } from './relays';

export const INVITE_PREFIX = 'cp1.';
export const TOKEN_INVITE_PREFIX = 'cp2.';
const TOKEN_INVITE_VERSION = 2;
/** A current invite that also names the space's rendezvous and TURN servers. */
const RELAY_INVITE_VERSION = 3;
/** Invite tokens are 256 bits. */
export const TOKEN_BYTES = 32;
export const INVITE_LINK_PREFIX = 'commonplace://join/';
const INVITE_VERSION = 1;
/** Space secrets are 256 bits. */
export const SECRET_BYTES = 32;
export const MAX_INVITE_ADDRESSES = 16;
export const MAX_SPACE_NAME_LENGTH = 200;

export interface Invite {
  spaceId: string;
  name: string;
  /** The space secret: 32 random bytes in base64url without padding. */
  secret: string;
  /** host:port of the inviter's signalling servers. */
  addresses: string[];
}

/** A current invite: a token a member online exchanges for the space key. */
export interface TokenInvite {
  spaceId: string;
  name: string;
  /** 32 random bytes in base64url without padding. */
  token: string;
  addresses: string[];
  /** When it stops working (ms since the epoch), as the inviter set it. */
  expires: number;
  /** The space's rendezvous and TURN servers, for a joiner on another network. */
  relays?: SpaceRelays;
}

export type AnyInvite = ({ kind: 'key' } & Invite) | ({ kind: 'token' } & TokenInvite);

/** Why a text is not an invite, in words a member can act on. */
export class InviteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InviteError';
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE): catches typos and truncation; the secret itself is what keeps a space private. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new InviteError('the code contains characters an invite code never has');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

/** What is wrong with an invite's fields, or null when nothing is (checked by hand: the renderer loads no zod). */
export function inviteProblem(invite: Invite): string | null {
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(invite.spaceId)) return 'spaceId: not a space id';
  if (typeof invite.name !== 'string' || invite.name.length > MAX_SPACE_NAME_LENGTH) return `name: longer than ${MAX_SPACE_NAME_LENGTH} characters`;
  if (!/^[A-Za-z0-9_-]{43}$/.test(invite.secret)) return 'secret: not a space secret';
  if (!Array.isArray(invite.addresses) || invite.addresses.length > MAX_INVITE_ADDRESSES) return `addresses: more than ${MAX_INVITE_ADDRESSES}`;
  const bad = invite.addresses.findIndex((a) => typeof a !== 'string' || a.length > 300 || !isHostPort(a));
  if (bad !== -1) return `addresses.${bad}: not a host:port address`;
  return null;
}

/** Encodes an invite as the text a member copies. */
export function encodeInvite(invite: Invite): string {
  const problem = inviteProblem(invite);
  if (problem) throw new InviteError(`not a valid invite (${problem})`);
  const checked = invite;
  const encoder = encoding.createEncoder();
  encoding.writeUint8(encoder, INVITE_VERSION);
  encoding.writeVarString(encoder, checked.spaceId);
  encoding.writeVarString(encoder, checked.name);
  encoding.writeUint8Array(encoder, fromBase64Url(checked.secret));
  encoding.writeVarUint(encoder, checked.addresses.length);
  for (const address of checked.addresses) encoding.writeVarString(encoder, address);
  return INVITE_PREFIX + toBase64Url(withCrc(encoding.toUint8Array(encoder)));
}

/** The commonplace://join/... link for an invite code. */
export function inviteLink(code: string): string {
  return INVITE_LINK_PREFIX + code;
}

function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body));
  return out;
}

/** Encodes a current (token) invite as the text a member copies. */
export function encodeTokenInvite(invite: TokenInvite): string {
  const problem = inviteProblem({ spaceId: invite.spaceId, name: invite.name, secret: invite.token, addresses: invite.addresses });
  if (problem) throw new InviteError(`not a valid invite (${problem.replace('secret:', 'token:')})`);
  if (!Number.isSafeInteger(invite.expires) || invite.expires < 0) throw new InviteError('not a valid invite (expires: not a time)');
  const relays = invite.relays ?? NO_RELAYS;
  const relaysWrong = relaysProblem(relays);
  if (relaysWrong) throw new InviteError(`not a valid invite (relays: ${relaysWrong})`);
  const withRelays = hasRelays(relays);
  const encoder = encoding.createEncoder();
  // Without relays, the code a member of an earlier version can read.
  encoding.writeUint8(encoder, withRelays ? RELAY_INVITE_VERSION : TOKEN_INVITE_VERSION);
  encoding.writeVarString(encoder, invite.spaceId);
  encoding.writeVarString(encoder, invite.name);
  encoding.writeUint8Array(encoder, fromBase64Url(invite.token));
  encoding.writeVarUint(encoder, invite.expires);
  encoding.writeVarUint(encoder, invite.addresses.length);
  for (const address of invite.addresses) encoding.writeVarString(encoder, address);
  if (withRelays) {
    encoding.writeVarUint(encoder, relays.rendezvous.length);
    for (const url of relays.rendezvous) encoding.writeVarString(encoder, url);
    encoding.writeVarUint(encoder, relays.turn.length);
    for (const server of relays.turn) for (const field of [server.url, server.username, server.credential]) encoding.writeVarString(encoder, field);
  }
  return TOKEN_INVITE_PREFIX + toBase64Url(withCrc(encoding.toUint8Array(encoder)));
}

/** The checked body of a code (its CRC removed), and which version it is. */
function codeBody(text: string): { version: number; body: Uint8Array } {
  let code = text.trim();
  if (code.length === 0) throw new InviteError('Paste an invite code first.');
  if (code.length > 4096) throw new InviteError('That is far too long to be an invite code.');
  if (code.toLowerCase().startsWith(INVITE_LINK_PREFIX)) code = code.slice(INVITE_LINK_PREFIX.length);
  const prefix = code.startsWith(INVITE_PREFIX) ? INVITE_PREFIX : code.startsWith(TOKEN_INVITE_PREFIX) ? TOKEN_INVITE_PREFIX : null;
  if (!prefix) {
    throw new InviteError(/^cp\d+\./.test(code) ? 'This invite comes from a newer version of Commonplace.' : 'This is not a Commonplace invite code (it should start with “cp2.”).');
  }
  const bytes = fromBase64Url(code.slice(prefix.length));
  if (bytes.length < 1 + 4) throw new InviteError('The invite code is incomplete: copy all of it.');
  const body = bytes.subarray(0, bytes.length - 4);
  const expected = new DataView(bytes.buffer, bytes.byteOffset + body.length, 4).getUint32(0);
  if (crc32(body) !== expected) throw new InviteError('The invite code is damaged or incomplete: copy all of it again.');
  const versions = prefix === INVITE_PREFIX ? [INVITE_VERSION] : [TOKEN_INVITE_VERSION, RELAY_INVITE_VERSION];
  if (!versions.includes(body[0]!)) throw new InviteError('This invite comes from a newer version of Commonplace.');
  return { version: body[0]!, body };
}

/** Decodes a pasted invite code or link of either kind; throws InviteError saying what is wrong. */
export function decodeAnyInvite(text: string): AnyInvite {
  const { version, body } = codeBody(text);
  if (version === INVITE_VERSION) return { kind: 'key', ...decodeInvite(text) };
  let raw: TokenInvite;
  try {
    const decoder = decoding.createDecoder(body.subarray(1));
    const spaceId = decoding.readVarString(decoder);
    const name = decoding.readVarString(decoder);
    const token = toBase64Url(decoding.readUint8Array(decoder, TOKEN_BYTES));
    const expires = decoding.readVarUint(decoder);
    const count = decoding.readVarUint(decoder);
    if (count > MAX_INVITE_ADDRESSES) throw new InviteError('The invite code lists too many addresses.');
    const addresses: string[] = [];
    for (let i = 0; i < count; i++) addresses.push(decoding.readVarString(decoder));
    const relays: SpaceRelays = { rendezvous: [], turn: [] };
    if (version === RELAY_INVITE_VERSION) {
      const rendezvous = decoding.readVarUint(decoder);
      if (rendezvous > MAX_RENDEZVOUS) throw new InviteError('The invite code lists too many rendezvous.');
      for (let i = 0; i < rendezvous; i++) relays.rendezvous.push(decoding.readVarString(decoder));
      const turn = decoding.readVarUint(decoder);
      if (turn > MAX_TURN_SERVERS) throw new InviteError('The invite code lists too many TURN servers.');
      for (let i = 0; i < turn; i++) relays.turn.push({ url: decoding.readVarString(decoder), username: decoding.readVarString(decoder), credential: decoding.readVarString(decoder) });
    }
    if (decoding.hasContent(decoder)) throw new InviteError('The invite code has unexpected data at its end.');
    raw = { spaceId, name, token, expires, addresses, ...(version === RELAY_INVITE_VERSION ? { relays } : {}) };
  } catch (error) {
    if (error instanceof InviteError) throw error;
    throw new InviteError('The invite code is damaged or incomplete: copy all of it again.');
  }
  const problem = inviteProblem({ spaceId: raw.spaceId, name: raw.name, secret: raw.token, addresses: raw.addresses });
  if (problem) throw new InviteError(`The invite code is not valid (${problem.replace('secret:', 'token:')}).`);
  const relaysWrong = raw.relays ? relaysProblem(raw.relays) : null;
  if (relaysWrong) throw new InviteError(`The invite code is not valid (relays: ${relaysWrong}).`);
  return { kind: 'token', ...raw };
}

/** Decodes a pasted first-version invite code or link; throws InviteError saying what is wrong. */
export function decodeInvite(text: string): Invite {
  const { version, body } = codeBody(text);
  if (version !== INVITE_VERSION) throw new InviteError('This is a current invite: it joins through a member online.');
  let raw: Invite;
  try {
    const decoder = decoding.createDecoder(body.subarray(1));
    const spaceId = decoding.readVarString(decoder);
    const name = decoding.readVarString(decoder);
    const secret = toBase64Url(decoding.readUint8Array(decoder, SECRET_BYTES));
    const count = decoding.readVarUint(decoder);
    if (count > MAX_INVITE_ADDRESSES) throw new InviteError('The invite code lists too many addresses.');
    const addresses: string[] = [];
    for (let i = 0; i < count; i++) addresses.push(decoding.readVarString(decoder));
    if (decoding.hasContent(decoder)) throw new InviteError('The invite code has unexpected data at its end.');
    raw = { spaceId, name, secret, addresses };
  } catch (error) {
    if (error instanceof InviteError) throw error;
    throw new InviteError('The invite code is damaged or incomplete: copy all of it again.');
  }
  const problem = inviteProblem(raw);
  if (problem) throw new InviteError(`The invite code is not valid (${problem}).`);
  return raw;
}
