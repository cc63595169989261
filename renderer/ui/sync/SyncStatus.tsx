/** The always-visible line saying whether this space is syncing with other members. */
import type { SyncStatus as Status } from '../../../shared/peer/peer-sync';

export function describeSyncStatus(status: Status): string {
  if (status.removed) return 'Removed from this space';
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

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

function detail(status: Status): string {
  if (status.removed) return 'You were removed from this space. Your copy stays on this device (you can still export it); nothing new arrives.';
  if (!status.shared) return 'Share this space or join one to sync with other members.';
  const key = status.keyChangedAt !== null ? `The space key changed at ${timeOnly.format(status.keyChangedAt)} (a member was removed): you are on the current one, key ${status.epoch}. ` : '';
  if (key) return key + (!status.online ? 'You chose to work offline.' : status.peers === 0 ? 'Looking for members on this network…' : '');
  if (!status.online) return 'You chose to work offline.';
  if (status.peers === 0) return 'Looking for members on this network…';
  return '';
}

export function SyncStatusLine({ status }: { status: Status }) {
  const more = detail(status);
  return (
    <div className="sync-status" role="status" aria-label="Sync status" data-state={status.removed ? 'removed' : status.state} data-peers={status.peers} data-epoch={status.epoch}>
      <span className="sync-dot" aria-hidden="true" />
      {describeSyncStatus(status)}
      {more && <span className="sync-detail">{more}</span>}
      {status.problems.map((problem) => (
        <span key={problem} className="sync-detail sync-problem">
          {problem}
        </span>
      ))}
    </div>
  );
}
