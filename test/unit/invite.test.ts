import { describe, expect, it } from 'vitest';
import { decodeInvite, encodeInvite, INVITE_PREFIX, inviteLink, InviteError, toBase64Url, type Invite } from '../../shared/invite';

const invite: Invite = {
  spaceId: 'XfK7st_uKHIl4PIPtS1pdW',
  name: 'Wound care — night shift',
  secret: toBase64Url(new Uint8Array(32).map((_, i) => i * 7)),
  addresses: ['127.0.0.1:4318', '192.168.1.20:4318', '[fe80::1]:4318', 'nurse-laptop.local:4318'],
};

const decodeError = (text: string): string => {
  try {
    decodeInvite(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InviteError);
    return (error as Error).message;
  }
  throw new Error(`decoded ${text}`);
};

describe('invite codes', () => {
  it('round-trip as a code and as a commonplace:// link, with whitespace around', () => {
    const code = encodeInvite(invite);
    expect(code.startsWith(INVITE_PREFIX)).toBe(true);
    expect(code).toMatch(/^cp1\.[A-Za-z0-9_-]+$/);
    expect(decodeInvite(code)).toEqual(invite);
    expect(decodeInvite(`  ${inviteLink(code)}\n`)).toEqual(invite);
  });

  it('say clearly what is wrong with garbage', () => {
    expect(decodeError('')).toMatch(/Paste an invite code/);
    expect(decodeError('hello there')).toMatch(/not a Commonplace invite/);
    expect(decodeError('cp1.!!!')).toMatch(/characters/);
    expect(decodeError('cp1.AAAAgarbage')).toMatch(/damaged or incomplete/);
    expect(decodeError('cp9.AAAA')).toMatch(/newer version/);
    expect(decodeError('x'.repeat(5000))).toMatch(/too long/);
  });

  it('reject every truncation and every single-character change', () => {
    const code = encodeInvite(invite);
    for (let length = 0; length < code.length; length++) expect(() => decodeInvite(code.slice(0, length))).toThrow(InviteError);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = INVITE_PREFIX.length; i < code.length; i++) {
      const other = alphabet[(alphabet.indexOf(code[i]!) + 17) % alphabet.length]!;
      const changed = code.slice(0, i) + other + code.slice(i + 1);
      // The last character may carry only padding bits; anything that decodes must be the same invite.
      try {
        expect(decodeInvite(changed)).toEqual(invite);
      } catch (error) {
        expect(error).toBeInstanceOf(InviteError);
      }
    }
  });

  it('refuse to encode what is not an invite', () => {
    expect(() => encodeInvite({ ...invite, secret: 'short' })).toThrow();
    expect(() => encodeInvite({ ...invite, spaceId: '../../etc' })).toThrow();
    expect(() => encodeInvite({ ...invite, addresses: ['not an address'] })).toThrow();
    expect(() => encodeInvite({ ...invite, addresses: ['10.0.0.1:70000'] })).toThrow();
  });
});
