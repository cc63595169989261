/** The open space and note live in the URL hash (#/space/ID/note/ID), so reload and back/forward land on them. */
import { useEffect, useState } from 'react';

export interface Route {
  spaceId: string | null;
  noteId: string | null;
}

const ID = '[A-Za-z0-9_-]{8,64}';
const PATTERN = new RegExp(`^#/space/(${ID})(?:/note/(${ID}))?$`);

export function parseRoute(hash: string): Route {
  const match = PATTERN.exec(hash);
  return { spaceId: match?.[1] ?? null, noteId: match?.[2] ?? null };
}

export function formatRoute(route: Route): string {
  if (!route.spaceId) return '#/';
  return `#/space/${route.spaceId}${route.noteId ? `/note/${route.noteId}` : ''}`;
}

export function navigate(route: Route, replace = false): void {
  const hash = formatRoute(route);
  if (location.hash === hash) return;
  if (replace) history.replaceState(null, '', hash);
  else history.pushState(null, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The route the window shows, kept current as the hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
