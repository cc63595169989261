/** How members are named on screen: by the name the space recorded, "you" for this member. */
import type * as Y from 'yjs';
import { catalogMembers } from '../../shared/catalog';

export function memberLabel(catalog: Y.Doc, id: string, selfId: string): string {
  if (!id) return 'someone';
  if (id === selfId) return 'you';
  return catalogMembers(catalog).get(id)?.name || 'a member';
}

/** "Bob", "Bob and Ada", "Bob, Ada and Cy". */
export function listNames(names: string[]): string {
  const unique = [...new Set(names)];
  if (unique.length <= 1) return unique[0] ?? 'someone';
  return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`;
}

export function memberColor(catalog: Y.Doc, id: string): string | undefined {
  return catalogMembers(catalog).get(id)?.color;
}

export const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
