/**
 * A space's relays (shared/relays.ts): what a member may type as a rendezvous or TURN server, and how
 * invites carry them: a current invite without relays stays the code earlier versions read (cp2,
 * version 2), one with relays is version 3, and hostile relays in a code are refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { decodeAnyInvite, encodeTokenInvite, InviteError, toBase64Url, TOKEN_INVITE_PREFIX, type TokenInvite } from '../../shared/invite';
import { iceServersOf, mergeRelays, relaysProblem, rendezvousProblem, turnServerAddress, turnServerProblem, type SpaceRelays } from '../../shared/relays';
import { relaysSchema } from '../../shared/host-schemas';

const relays: SpaceRelays = {
  rendezvous: ['wss://notes.example.org:4443'],
  turn: [{ url: 'turn:203.0.113.1:3478?transport=udp', username: 'ward-7', credential: 'correct horse battery staple' }],
};

const invite: TokenInvite = {
  spaceId: 'XfK7st_uKHIl4PIPtS1pdW',
  name: 'Wound care',
  token: toBase64Url(new Uint8Array(32).map((_, i) => i * 5)),
  addresses: ['127.0.0.1:4318'],
  expires: 1_900_000_000_000,
};

function decodeError(code: string): string {
  try {
    decodeAnyInvite(code);
  } catch (error) {
    expect(error).toBeInstanceOf(InviteError);
    return (error as Error).message;
  }
  throw new Error('decoded');
}

/** A version-3 code written by hand, with relays no member could have saved. */
function forged(rendezvous: string[], turn: string[][]): string {
  const parts: number[] = [3];
  const str = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    parts.push(bytes.length, ...bytes);
  };
  str(invite.spaceId);
  str(invite.name);
  parts.push(...new Uint8Array(32));
  parts.push(1, 0); // expires 1, no addresses
  parts.push(rendezvous.length);
  rendezvous.forEach(str);
  parts.push(turn.length);
  turn.flat().forEach(str);
  const body = new Uint8Array(parts);
  let crc = 0xffffffff;
  for (const byte of body) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, (crc ^ 0xffffffff) >>> 0);
  return TOKEN_INVITE_PREFIX + toBase64Url(out);
}

describe('a space’s relays', () => {
  it('accept wss:// rendezvous and turn:/turns: servers with credentials, and say what is wrong otherwise', () => {
    expect(relaysProblem(relays)).toBeNull();
    expect(rendezvousProblem('wss://[2001:db8::1]:4443')).toBeNull();
    expect(rendezvousProblem('ws://notes.example.org:4318')).toMatch(/starts with wss:\/\//);
    expect(rendezvousProblem('wss://notes.example.org')).toMatch(/wss:\/\/host:port/);
    expect(rendezvousProblem('wss://notes.example.org:4443/path')).not.toBeNull();
    expect(turnServerProblem({ url: 'turns:relay.example.org', username: 'a', credential: 'b' })).toBeNull();
    expect(turnServerProblem({ url: 'turn:relay.example.org:3478?transport=tcp', username: 'a', credential: 'b' })).toBeNull();
    expect(turnServerProblem({ url: 'stun:relay.example.org:3478', username: 'a', credential: 'b' })).toMatch(/turn:host:port/);
    expect(turnServerProblem({ url: 'turn:relay.example.org:99999', username: 'a', credential: 'b' })).not.toBeNull();
    expect(turnServerProblem({ url: 'turn:user@relay.example.org', username: 'a', credential: 'b' })).not.toBeNull();
    expect(turnServerProblem({ url: 'turn:relay.example.org', username: '', credential: 'b' })).toMatch(/needs a username/);
    expect(turnServerProblem({ url: 'turn:relay.example.org', username: 'a', credential: 'x\ny' })).toMatch(/control characters/);
    expect(relaysProblem({ rendezvous: Array(5).fill('wss://a.example:1'), turn: [] })).toMatch(/at most 4/);
    expect(relaysSchema.safeParse(relays).success).toBe(true);
    expect(relaysSchema.safeParse({ ...relays, turn: [{ url: 'turn:x', username: 'u' }] }).success).toBe(false);
    expect(relaysSchema.safeParse({ rendezvous: ['javascript:alert(1)'], turn: [] }).success).toBe(false);
  });

  it('name their server the way WebRTC reports its errors: port and transport written out', () => {
    expect(turnServerAddress('turn:relay.example.org')).toBe('turn:relay.example.org:3478');
    expect(turnServerAddress('turn:relay.example.org:3478?transport=udp')).toBe('turn:relay.example.org:3478');
    expect(turnServerAddress('turns:relay.example.org')).toBe('turns:relay.example.org:5349');
    expect(turnServerAddress('turn:[2001:db8::1]')).toBe('turn:[2001:db8::1]:3478');
    expect(turnServerAddress('stun:relay.example.org:3478')).toBeNull();
  });

  it('become WebRTC iceServers with no server the space did not name, and merge without repeats', () => {
    expect(iceServersOf(relays)).toEqual([{ urls: relays.turn[0]!.url, username: 'ward-7', credential: 'correct horse battery staple' }]);
    expect(iceServersOf({ rendezvous: relays.rendezvous, turn: [] })).toEqual([]);
    const newer = { url: relays.turn[0]!.url, username: 'ward-7', credential: 'new password' };
    expect(mergeRelays(relays, { rendezvous: [...relays.rendezvous, 'wss://b.example:4443'], turn: [newer] })).toEqual({ rendezvous: ['wss://notes.example.org:4443', 'wss://b.example:4443'], turn: [newer] });
  });

  it('travel in invites: version 3 with relays, the earlier code without', () => {
    const plain = encodeTokenInvite(invite);
    const withRelays = encodeTokenInvite({ ...invite, relays });
    expect(decodeAnyInvite(plain)).toEqual({ kind: 'token', ...invite });
    expect(decodeAnyInvite(withRelays)).toEqual({ kind: 'token', ...invite, relays });
    // The version byte is the first of the body: 2 without relays (what earlier versions read), 3 with.
    const versionOf = (code: string) => Buffer.from(code.slice(TOKEN_INVITE_PREFIX.length), 'base64url')[0];
    expect(versionOf(plain)).toBe(2);
    expect(versionOf(withRelays)).toBe(3);
    expect(() => encodeTokenInvite({ ...invite, relays: { rendezvous: ['ws://plain.example:1'], turn: [] } })).toThrow(InviteError);
  });

  it('refuse a code whose relays are hostile, saying so', () => {
    expect((decodeAnyInvite(forged(['wss://ok.example:4443'], [['turn:ok.example:3478', 'u', 'p']])) as TokenInvite).relays).toEqual({ rendezvous: ['wss://ok.example:4443'], turn: [{ url: 'turn:ok.example:3478', username: 'u', credential: 'p' }] });
    expect(decodeError(forged(['https://evil.example/'], []))).toMatch(/not valid \(relays: a rendezvous starts with wss/);
    expect(decodeError(forged([], [['turn:ok.example:3478', 'u', '']]))).toMatch(/needs a password/);
    expect(decodeError(forged(Array(17).fill('wss://a.example:1'), []))).toMatch(/too many rendezvous/);
  });
});
