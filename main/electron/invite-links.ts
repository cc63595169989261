/** commonplace://join/… links handed to the app by the operating system (pure: no electron import). */
import { decodeInvite, INVITE_LINK_PREFIX } from '../../shared/invite';

/** The invite code in a launch's arguments or an opened URL, if one is there and decodes; else null. */
export function inviteCodeFrom(values: readonly string[]): string | null {
  for (const value of values) {
    if (typeof value !== 'string' || !value.startsWith(INVITE_LINK_PREFIX) || value.length > 8192) continue;
    try {
      const code = decodeURIComponent(value.slice(INVITE_LINK_PREFIX.length)).replace(/\/+$/, '');
      decodeInvite(code);
      return code;
    } catch {
      // not a usable invite: ignore it, as a link from anywhere may be malformed
    }
  }
  return null;
}
