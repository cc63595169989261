/** "Join space": paste an invite; the space then fills from whichever members are reachable. */
import { useState } from 'react';
import type { HostApi } from '../../../shared/host-api';
import { HostError } from '../../../shared/host-api';
import { decodeAnyInvite, InviteError } from '../../../shared/invite';
import { Dialog } from './Dialog';
import { errorMessage } from '../../../shared/errors';

export function JoinDialog({ host, initialCode = '', onJoined, onClose }: { host: HostApi; initialCode?: string; onJoined: (spaceId: string) => void; onClose: () => void }) {
  const [text, setText] = useState(initialCode);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const join = async () => {
    setError(null);
    let invite;
    try {
      invite = decodeAnyInvite(text);
    } catch (e) {
      setError(e instanceof InviteError ? e.message : 'This is not a valid invite code.');
      return;
    }
    if (invite.kind === 'token' && invite.expires < Date.now()) {
      setError('This invite has expired: ask for a new one.');
      return;
    }
    setBusy(true);
    try {
      if (invite.kind === 'key') await host.call('space.join', { spaceId: invite.spaceId, name: invite.name, secret: invite.secret, addresses: invite.addresses });
      else await host.call('space.redeemInvite', { spaceId: invite.spaceId, token: invite.token, expires: invite.expires, addresses: invite.addresses, ...(invite.relays ? { relays: invite.relays } : {}) });
      onJoined(invite.spaceId);
    } catch (e) {
      // The host's refusals say what happened (expired, revoked, used, nobody online) in the member's words.
      const message = e instanceof HostError ? e.message.replace(/^space\.\w+: /, '') : errorMessage(e);
      setError(
        invite.kind === 'key' && e instanceof HostError && e.code === 'forbidden'
          ? 'This device already has this space with a different key; the invite was not used.'
          : `Could not join: ${message}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Join space" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void join();
        }}
      >
        <label className="sync-field">
          Invite code
          <textarea rows={4} value={text} onChange={(e) => setText(e.target.value)} aria-label="Invite code" placeholder="cp2.…" />
        </label>
        {error && (
          <p role="alert" className="sync-error">
            {error}
          </p>
        )}
        {busy && (
          <p role="status" className="muted">
            Asking a member to let you in…
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Join
        </button>
      </form>
    </Dialog>
  );
}
