/** "Connect to address": another member's signalling server, for networks that block multicast. */
import { useState } from 'react';
import { isHostPort } from '../../../shared/net-address';
import type { PeerSync } from '../../../shared/peer/peer-sync';
import { Dialog } from './Dialog';
import { errorMessage } from '../../../shared/errors';

export function ConnectDialog({ sync, onClose }: { sync: PeerSync; onClose: () => void }) {
  const [address, setAddress] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  const connect = async () => {
    const typed = address.trim();
    if (typed.length > 300 || !isHostPort(typed)) {
      setMessage('Type the address as host:port, for example 192.168.1.20:4318.');
      return;
    }
    try {
      await sync.connectTo(typed);
      setMessage(`Connecting through ${typed}; it is remembered for this space.`);
    } catch (e) {
      setMessage(`Could not save the address: ${errorMessage(e)}`);
    }
  };

  return (
    <Dialog title="Connect to address" onClose={onClose}>
      <p>Ask another member for the address shown under “Share space” (host:port).</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void connect();
        }}
      >
        <label className="sync-field">
          Address
          <input value={address} onChange={(e) => setAddress(e.target.value)} aria-label="Address" placeholder="192.168.1.20:4318" />
        </label>
        {message && <p role="alert">{message}</p>}
        <button type="submit" className="primary">
          Connect
        </button>
      </form>
    </Dialog>
  );
}
