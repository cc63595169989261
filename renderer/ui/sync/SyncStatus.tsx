/** The always-visible line saying whether this space is syncing with other members. */
import type { SyncStatus as Status } from '../../sync/peer-sync';

export function describeSyncStatus(status: Status): string {
  const peers = `${status.peers} ${status.peers === 1 ? 'peer' : 'peers'}`;
  switch (status.state) {
    case 'offline':
      return 'Offline (saved on this device)';
    case 'syncing':
      return `Syncing… connected to ${peers}`;
    case 'up-to-date':
      return `Up to date, connected to ${peers}`;
  }
}

function detail(status: Status): string {
  if (!status.shared) return 'Share this space or join one to sync with other members.';
  if (!status.online) return 'You chose to work offline.';
  if (status.peers === 0) return 'Looking for members on this network…';
  return '';
}

export function SyncStatusLine({ status }: { status: Status }) {
  const more = detail(status);
  return (
    <div className="sync-status" role="status" aria-label="Sync status" data-state={status.state} data-peers={status.peers}>
      <span className="sync-dot" aria-hidden="true" />
      {describeSyncStatus(status)}
      {more && <span className="sync-detail">{more}</span>}
    </div>
  );
}
