/**
 * The sidebar's sync section for the open space: status, who is here and on which note, this
 * member's name, and the share / join / connect / offline controls.
 */
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { entryTitle, getEntry, spaceName } from '../../../shared/catalog';
import { getHost } from '../../platform/host';
import type { SpaceSession } from '../../spaces/space-session';
import type { Profile } from '../../profile/profile';
import { ConnectDialog } from './ConnectDialog';
import { JoinDialog } from './JoinDialog';
import { MembersDialog } from './MembersDialog';
import { SyncStatusLine } from './SyncStatus';
import { usePresence, useSyncStatus } from './use-sync';
import './sync.css';

type Open = 'share' | 'join' | 'connect' | 'members' | null;

/** The invite dialog (and its QR code library) loads when a member first shares. */
const InviteDialog = lazy(() => import('./InviteDialog').then((m) => ({ default: m.InviteDialog })));

export function SyncPanel({ session, profile, onJoined }: { session: SpaceSession; profile: Profile; onJoined: (spaceId: string) => void }) {
  const sync = session.peers;
  const status = useSyncStatus(sync);
  const peers = usePresence(sync);
  const [open, setOpen] = useState<Open>(null);
  const [linkedCode, setLinkedCode] = useState('');
  const close = useCallback(() => (setOpen(null), setLinkedCode('')), []);

  // The desktop app opened with a commonplace://join/… link: offer to join with its code.
  useEffect(
    () =>
      getHost().on('app.openInvite', ({ code }) => {
        setLinkedCode(code);
        setOpen('join');
      }),
    [],
  );

  // Presence shows the member's profile (edited from the sidebar's profile button).
  useEffect(() => {
    sync.setMember({ name: profile.name.trim() || 'Someone', color: profile.color });
  }, [sync, profile.name, profile.color]);


  const noteName = (noteId: string | null) => {
    if (!noteId) return null;
    const entry = getEntry(session.catalog, noteId);
    return entry ? entryTitle(entry) || 'Untitled note' : null;
  };

  return (
    <section className="sync-panel" aria-label="Sync">
      <SyncStatusLine status={status} />
      <ul className="sync-presence" aria-label="People here">
        {peers.map((p) => (
          <li key={p.clientId} data-name={p.name}>
            <span className="sync-swatch" style={{ background: p.color }} aria-hidden="true" />
            <span className="sync-person">{p.name || 'Someone'}</span>
            {noteName(p.noteId) && <span className="sync-where"> · on {noteName(p.noteId)}</span>}
          </li>
        ))}
      </ul>
      <div className="sync-actions">
        <button type="button" onClick={() => setOpen('share')}>
          Share space
        </button>
        <button type="button" onClick={() => setOpen('members')}>
          Members
        </button>
        <button type="button" onClick={() => setOpen('join')}>
          Join space
        </button>
        <button type="button" onClick={() => setOpen('connect')}>
          Connect to address
        </button>
        <button type="button" aria-pressed={!status.online} onClick={() => sync.setOnline(!status.online)}>
          Work offline
        </button>
      </div>
      {open === 'share' && (
        <Suspense fallback={null}>
          <InviteDialog session={session} spaceName={spaceName(session.catalog)} onClose={close} />
        </Suspense>
      )}
      {open === 'join' && <JoinDialog host={getHost()} initialCode={linkedCode} onJoined={(spaceId) => (close(), onJoined(spaceId))} onClose={close} />}
      {open === 'connect' && <ConnectDialog sync={sync} onClose={close} />}
      {open === 'members' && <MembersDialog session={session} onClose={close} />}
    </section>
  );
}
