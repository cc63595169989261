/** React views of a space's peer sync: its status and who is here. */
import { useEffect, useState } from 'react';
import type { PeerSync, PresencePeer, SyncStatus } from '../../../shared/peer/peer-sync';

export function useSyncStatus(sync: PeerSync): SyncStatus {
  const [status, setStatus] = useState(() => sync.status());
  useEffect(() => sync.onStatus(setStatus), [sync]);
  return status;
}

export function usePresence(sync: PeerSync): PresencePeer[] {
  const [peers, setPeers] = useState(() => sync.presence());
  useEffect(() => sync.onPresence(() => setPeers(sync.presence())), [sync]);
  return peers;
}
