/**
 * "Share space": invites that expire (and may be for one person), as copyable text, a commonplace://
 * link and a QR code, and the invites still open, each of which an owner can revoke. An invite does
 * not carry the space key: a member online hands it over to the device that uses the invite.
 */
import QRCode from 'qrcode';
import { useCallback, useEffect, useState } from 'react';
import type { MembersView } from '../../../shared/host-api';
import { inviteLink } from '../../../shared/invite';
import type { SpaceSession } from '../../spaces/space-session';
import { timeFormat } from '../member-names';
import { Dialog } from './Dialog';
import { errorMessage } from '../../../shared/errors';

const DAY = 24 * 3600 * 1000;
const EXPIRY_CHOICES: Array<[string, number]> = [
  ['1 day', DAY],
  ['7 days', 7 * DAY],
  ['30 days', 30 * DAY],
];

export function InviteDialog({ session, spaceName, onClose }: { session: SpaceSession; spaceName: string; onClose: () => void }) {
  const [view, setView] = useState<MembersView | null>(null);
  const [expiresIn, setExpiresIn] = useState(7 * DAY);
  const [singleUse, setSingleUse] = useState(false);
  const [made, setMade] = useState<{ code: string; expires: number; qr: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  // The time the invites were last read: what expired by then is not listed.
  const [readAt, setReadAt] = useState(0);
  const spaceId = session.spaceId;
  const host = session.host;

  const show = useCallback((next: MembersView) => {
    setView(next);
    setReadAt(Date.now());
  }, []);
  const refresh = useCallback(() => host.call('space.members', { spaceId }).then(show, (e: unknown) => setError(errorMessage(e))), [host, spaceId, show]);
  useEffect(() => {
    // Sharing makes the space's key (and its first owner) if it has none yet, then lists its invites.
    void session.peers
      .share()
      .then(refresh)
      .catch((e: unknown) => setError(errorMessage(e)));
  }, [session, refresh]);

  const create = async () => {
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      const { code, expires } = await host.call('space.createInvite', { spaceId, expiresInMs: expiresIn, singleUse });
      setMade({ code, expires, qr: null });
      const qr = await QRCode.toDataURL(inviteLink(code), { errorCorrectionLevel: 'M', margin: 1, width: 240 });
      setMade({ code, expires, qr });
      await refresh();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!made) return;
    try {
      await navigator.clipboard.writeText(made.code);
      setCopied(true);
    } catch {
      setError('Copying was not allowed: select the code and copy it yourself.');
    }
  };

  const owners = view?.members.filter((m) => m.owner && !m.removed).map((m) => m.name) ?? [];
  const open = view?.invites.filter((i) => !i.revoked && i.expires > readAt && !(i.single && i.used)) ?? [];
  return (
    <Dialog title="Share space" onClose={onClose}>
      {error && <p role="alert">{error}</p>}
      {!view ? (
        <p className="muted">Preparing…</p>
      ) : !view.owner ? (
        <p>Only owners of {spaceName || 'this space'} invite new members: ask {owners.join(' or ') || 'an owner'}.</p>
      ) : (
        <>
          <p>
            An invite lets someone join <strong>{spaceName || 'this space'}</strong> until it expires. It holds no key: a member online lets them in.
            Give it only to people you mean to invite.
          </p>
          <div className="sync-row invite-options">
            <label>
              Expires after{' '}
              <select value={expiresIn} onChange={(e) => setExpiresIn(Number(e.target.value))} aria-label="Expires after">
                {EXPIRY_CHOICES.map(([label, ms]) => (
                  <option key={ms} value={ms}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <input type="checkbox" checked={singleUse} onChange={(e) => setSingleUse(e.target.checked)} /> For one person only
            </label>
            <button type="button" className="primary" onClick={() => void create()} disabled={busy}>
              Create invite
            </button>
          </div>
          {made && (
            <>
              <label className="sync-field">
                Invite code
                <textarea readOnly rows={4} value={made.code} aria-label="Invite code" onFocus={(e) => e.currentTarget.select()} />
              </label>
              <div className="sync-row">
                <button type="button" onClick={() => void copy()}>
                  {copied ? 'Copied' : 'Copy code'}
                </button>
                <a className="sync-link" href={inviteLink(made.code)} onClick={(e) => e.preventDefault()} title="Opens Commonplace on a device where it is installed">
                  Invite link
                </a>
                <span className="muted">Expires {timeFormat.format(made.expires)}</span>
              </div>
              {made.qr && <img className="sync-qr" src={made.qr} alt="QR code of the invite" width={240} height={240} />}
            </>
          )}
          {open.length > 0 && (
            <section aria-label="Open invites" className="open-invites">
              <h3>Open invites</h3>
              <ul>
                {open.map((i) => (
                  <li key={i.invite}>
                    <span>
                      {i.single ? 'For one person' : 'For anyone with the code'}, expires {timeFormat.format(i.expires)}
                    </span>
                    <button
                      type="button"
                      className="link-button danger"
                      aria-label={`Revoke invite expiring ${timeFormat.format(i.expires)}`}
                      onClick={() => void host.call('space.revokeInvite', { spaceId, invite: i.invite }).then(show, (e: unknown) => setError(errorMessage(e)))}
                    >
                      Revoke invite
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </Dialog>
  );
}
