/**
 * "Connect to address": another member's signalling server, for networks that block multicast; and
 * the space's relays, for members on other networks (a rendezvous over wss:// and a TURN server).
 */
import { useEffect, useRef, useState } from 'react';
import { isHostPort } from '../../../shared/net-address';
import type { PeerSync } from '../../../shared/peer/peer-sync';
import { hasRelays, relaysProblem, type SpaceRelays } from '../../../shared/relays';
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
      <RelaysForm sync={sync} />
    </Dialog>
  );
}

/**
 * The space's rendezvous and TURN server: the first of each is edited in the fields; any others (an
 * invite may name up to four) are listed, each with Remove, so nothing the device uses is hidden.
 */
function RelaysForm({ sync }: { sync: PeerSync }) {
  const [saved, setSaved] = useState<SpaceRelays | null>(null);
  const [rendezvous, setRendezvous] = useState('');
  const [turnUrl, setTurnUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const details = useRef<HTMLDetailsElement>(null);

  useEffect(() => {
    let live = true;
    void sync.savedRelays().then((relays) => {
      if (!live) return;
      // Open when the space has relays; never closed under a member who opened it meanwhile.
      if (hasRelays(relays) && details.current) details.current.open = true;
      setSaved(relays);
      setRendezvous(relays.rendezvous[0] ?? '');
      setTurnUrl(relays.turn[0]?.url ?? '');
      setUsername(relays.turn[0]?.username ?? '');
      setPassword(relays.turn[0]?.credential ?? '');
    });
    return () => {
      live = false;
    };
  }, [sync]);

  const store = async (relays: SpaceRelays) => {
    const problem = relaysProblem(relays);
    if (problem) {
      setMessage(`Not saved: ${problem}.`);
      return;
    }
    try {
      await sync.saveRelays(relays);
      setSaved(relays);
      setMessage(hasRelays(relays) ? 'Saved. Invites made from now on carry them.' : 'Saved: this space uses no relays.');
    } catch (e) {
      setMessage(`Could not save the relays: ${errorMessage(e)}`);
    }
  };

  const save = () => {
    if (!saved) return;
    const typedRendezvous = rendezvous.trim();
    const typedTurn = turnUrl.trim();
    void store({
      rendezvous: [...(typedRendezvous ? [typedRendezvous] : []), ...saved.rendezvous.slice(1)],
      turn: [...(typedTurn ? [{ url: typedTurn, username, credential: password }] : []), ...saved.turn.slice(1)],
    });
  };

  const extras = saved ? [...saved.rendezvous.slice(1).map((url) => ({ kind: 'rendezvous' as const, url })), ...saved.turn.slice(1).map((t) => ({ kind: 'turn' as const, url: t.url }))] : [];
  const remove = (kind: 'rendezvous' | 'turn', url: string) => {
    if (!saved) return;
    void store(kind === 'rendezvous' ? { ...saved, rendezvous: saved.rendezvous.filter((u, i) => i === 0 || u !== url) } : { ...saved, turn: saved.turn.filter((t, i) => i === 0 || t.url !== url) });
  };

  return (
    <details className="sync-relays" ref={details}>
      <summary>Beyond this network</summary>
      <form
        aria-label="Relays"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <p>For members at other sites: your community’s always-on host as a rendezvous, and a TURN server for networks that cannot connect directly. They relay only encrypted traffic.</p>
        <label className="sync-field">
          Rendezvous
          <input value={rendezvous} onChange={(e) => setRendezvous(e.target.value)} aria-label="Rendezvous" placeholder="wss://notes.example.org:4443" disabled={!saved} />
        </label>
        <label className="sync-field">
          TURN server
          <input value={turnUrl} onChange={(e) => setTurnUrl(e.target.value)} aria-label="TURN server" placeholder="turn:relay.example.org:3478" disabled={!saved} />
        </label>
        <label className="sync-field">
          TURN username
          <input value={username} onChange={(e) => setUsername(e.target.value)} aria-label="TURN username" autoComplete="off" disabled={!saved} />
        </label>
        <label className="sync-field">
          TURN password
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} aria-label="TURN password" autoComplete="new-password" disabled={!saved} />
        </label>
        {extras.length > 0 && (
          <ul className="sync-relay-extras" aria-label="Other relays">
            {extras.map((extra) => (
              <li key={`${extra.kind} ${extra.url}`}>
                <span>{extra.url}</span>
                <button type="button" onClick={() => remove(extra.kind, extra.url)} aria-label={`Remove ${extra.url}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        {message && <p role="alert">{message}</p>}
        <button type="submit" className="primary" disabled={!saved}>
          Save relays
        </button>
      </form>
    </details>
  );
}

