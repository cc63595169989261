/** "Join space": paste an invite; the space then fills from whichever members are reachable. */
import { useState } from 'react';
import type { HostApi } from '../../../shared/host-api';
import { HostError } from '../../../shared/host-api';
import { decodeInvite, InviteError } from '../../../shared/invite';
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
      invite = decodeInvite(text);
    } catch (e) {
      setError(e instanceof InviteError ? e.message : 'This is not a valid invite code.');
      return;
    }
    setBusy(true);
    try {
      await host.call('space.join', { spaceId: invite.spaceId, name: invite.name, secret: invite.secret, addresses: invite.addresses });
      onJoined(invite.spaceId);
    } catch (e) {
      setError(
        e instanceof HostError && e.code === 'forbidden'
          ? 'This device already has this space with a different key; the invite was not used.'
          : `Could not join: ${errorMessage(e)}`,
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
          <textarea rows={4} value={text} onChange={(e) => setText(e.target.value)} aria-label="Invite code" placeholder="cp1.…" />
        </label>
        {error && (
          <p role="alert" className="sync-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Join
        </button>
      </form>
    </Dialog>
  );
}
