/** Opens the notebook a member had, or on first run creates a default space with a welcome note. */
import type { HostApi, SpaceSummary } from '../../shared/host-api';
import { newId } from '../../shared/ids';
import { createNoteWithBody } from '../../shared/note-body';
import { initSpace } from '../../shared/space-model';
import { WELCOME_MARKDOWN, WELCOME_TITLE } from '../../shared/welcome-note';
import { openSpace } from '../sync/space-session';
import type { Profile } from './profile';

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
    initSpace(session.doc, DEFAULT_SPACE_NAME);
    createNoteWithBody(session.doc, { title: WELCOME_TITLE, author: profile }, WELCOME_MARKDOWN);

    await session.durable.whenSaved();
    return [{ id: spaceId, name: DEFAULT_SPACE_NAME, noteCount: 1 }];
  };
  // Two tabs opening at once must not both create a default space.
  return navigator.locks ? navigator.locks.request('commonplace-first-run', create) : create();
}
