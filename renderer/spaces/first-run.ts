/** Opens the notebook a member had, or on first run creates a default space with a welcome note. */
import { initSpace } from '../../shared/catalog';
import type { HostApi, SpaceSummary } from '../../shared/host-api';
import { newId } from '../../shared/ids';
import { WELCOME_MARKDOWN, WELCOME_TITLE } from '../../shared/welcome-note';
import { createNote } from './note-actions';
import { openSpace } from './space-session';
import type { Profile } from '../profile/profile';

export const DEFAULT_SPACE_NAME = 'My notebook';

/** Lists the host's spaces; if there are none, creates the default one (once, even with several tabs open). */
export async function ensureSpaces(host: HostApi, profile: Profile): Promise<SpaceSummary[]> {
  const list = async () => (await host.call('spaces.list', {})).spaces;
  const first = await list();
  if (first.length > 0) return first;
  const create = async (): Promise<SpaceSummary[]> => {
    const again = await list();
    if (again.length > 0) return again;
    const spaceId = newId();
    const session = openSpace(spaceId, host);
    initSpace(session.catalog, DEFAULT_SPACE_NAME);
    createNote(session, profile, { title: WELCOME_TITLE, markdown: WELCOME_MARKDOWN });
    await session.whenSaved();
    return [{ id: spaceId, name: DEFAULT_SPACE_NAME, noteCount: 1 }];
  };
  // Two tabs opening at once must not both create a default space.
  return navigator.locks ? navigator.locks.request('commonplace-first-run', create) : create();
}
