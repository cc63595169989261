/** This device's member profile: a stable id, a display name and a colour, kept in local storage. */
import { newId } from '../../shared/ids';
import type { AuthorRef } from '../../shared/catalog';

export interface Profile extends AuthorRef {
  color: string;
}

const KEY = 'commonplace.profile';
export const PROFILE_COLORS = ['#d9480f', '#2b8a3e', '#1971c2', '#9c36b5', '#e67700', '#0c8599', '#c2255c', '#5f3dc4'];

export function loadProfile(): Profile {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Profile> | null;
    if (stored && typeof stored.id === 'string' && typeof stored.name === 'string' && typeof stored.color === 'string') {
      return { id: stored.id, name: stored.name, color: stored.color };
    }
  } catch {
    // unreadable: start a new profile
  }
  const profile: Profile = { id: newId(), name: '', color: PROFILE_COLORS[Math.floor(Math.random() * PROFILE_COLORS.length)]! };
  saveProfile(profile);
  return profile;
}

/** Saves a changed profile (the name members see next to this device's cursor). */
export function saveProfile(profile: Profile): void {
  localStorage.setItem(KEY, JSON.stringify(profile));
}
