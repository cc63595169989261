/** "Share space": the invite as copyable text, a commonplace:// link and a QR code. */
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { inviteLink } from '../../../shared/invite';
import type { PeerSync } from '../../sync/peer-sync';
import { Dialog } from './Dialog';
import { errorMessage } from '../../../shared/errors';

export function InviteDialog({ sync, spaceName, onClose }: { sync: PeerSync; spaceName: string; onClose: () => void }) {
  const [code, setCode] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    let cancelled = false;
    sync.invite(spaceName).then(
      async ({ code: text }) => {
        if (cancelled) return;
        setCode(text);
        const url = await QRCode.toDataURL(inviteLink(text), { errorCorrectionLevel: 'M', margin: 1, width: 240 });
        if (!cancelled) setQr(url);
      },
      (e: unknown) => !cancelled && setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [sync, spaceName]);

  const copy = async () => {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
    } catch {
      setError('Copying was not allowed: select the code and copy it yourself.');
    }
  };

  return (
    <Dialog title="Share space" onClose={onClose}>
      <p>
        Anyone with this code can read and edit <strong>{spaceName || 'this space'}</strong>. Give it only to members, in person or
        over a channel you trust.
      </p>
      {error && <p role="alert">{error}</p>}
      <label className="sync-field">
        Invite code
        <textarea readOnly rows={4} value={code ?? 'Preparing…'} aria-label="Invite code" onFocus={(e) => e.currentTarget.select()} />
      </label>
      <div className="sync-row">
        <button type="button" onClick={() => void copy()} disabled={!code}>
          {copied ? 'Copied' : 'Copy code'}
        </button>
        {code && (
          <a className="sync-link" href={inviteLink(code)} onClick={(e) => e.preventDefault()} title="Opens Commonplace on a device where it is installed">
            Invite link
          </a>
        )}
      </div>
      {qr && <img className="sync-qr" src={qr} alt="QR code of the invite" width={240} height={240} />}
    </Dialog>
  );
}
