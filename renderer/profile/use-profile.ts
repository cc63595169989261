/** The member's profile in a window: from the host (so a wiped browser keeps it), asked for on first run. */
import { useCallback, useEffect, useState } from 'react';
import type { HostApi } from '../../shared/host-api';
import { loadProfile, saveProfile, type Profile } from './profile';

/** [profile, whether to ask for a name first, save]. */
export function useProfile(host: HostApi): [Profile | null, boolean, (p: Profile) => void] {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [needsName, setNeedsName] = useState(false);
  useEffect(() => {
    return host.onConnection((connected) => {
      if (!connected) return;
      void host.call('profile.get', {}).then(({ profile: stored }) => {
        const local = loadProfile();
        if (stored) {
          saveProfile(stored);
          setProfile(stored);
        } else {
          setProfile(local);
          setNeedsName(true);
        }
      });
    });
  }, [host]);
  const save = useCallback(
    (next: Profile) => {
      saveProfile(next);
      setProfile(next);
      setNeedsName(false);
      void host.call('profile.set', { profile: { id: next.id, name: next.name, color: next.color } });
    },
    [host],
  );
  return [profile, needsName, save];
}
