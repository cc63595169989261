/** The desktop app takes invite codes only from well-formed commonplace://join/ links. */
import { describe, expect, it } from 'vitest';
import { inviteCodeFrom } from '../../main/electron/invite-links';
import { encodeInvite, inviteLink } from '../../shared/invite';

const code = encodeInvite({
  spaceId: 'space-0123456789',
  name: 'Ward 7',
  secret: 'A'.repeat(43),
  addresses: ['127.0.0.1:4318'],
});

describe('invite links opened by the operating system', () => {
  it('finds the code in launch arguments and in an opened URL', () => {
    expect(inviteCodeFrom(['/usr/bin/commonplace', '--flag', inviteLink(code)])).toBe(code);
    expect(inviteCodeFrom([`${inviteLink(code)}/`])).toBe(code);
    expect(inviteCodeFrom([inviteLink(encodeURIComponent(code))])).toBe(code);
  });

  it('ignores everything else', () => {
    expect(inviteCodeFrom(['/usr/bin/commonplace'])).toBeNull();
    expect(inviteCodeFrom(['commonplace://join/garbage'])).toBeNull();
    expect(inviteCodeFrom([inviteLink(code.slice(0, -4))])).toBeNull();
    expect(inviteCodeFrom(['https://example.org/' + code])).toBeNull();
    expect(inviteCodeFrom([inviteLink('x'.repeat(10_000))])).toBeNull();
    expect(inviteCodeFrom(['commonplace://join/%E0%A4%A'])).toBeNull();
  });
});
