import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getHost } from './platform/host';
import { openSpace } from './spaces/space-session';
import { App } from './ui/App';
import { LAST_SPACE_KEY } from './spaces/use-spaces';
import { parseRoute } from './navigation/route';
import './styles.css';

const host = getHost();
// The space (and note) this window will most likely show start loading now, while the app starts up.
const route = parseRoute(location.hash);
const spaceId = route.spaceId ?? localStorage.getItem(LAST_SPACE_KEY);
if (spaceId) {
  const session = openSpace(spaceId, host);
  if (route.noteId && route.spaceId) session.notes.load(route.noteId);
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App host={host} />
  </StrictMode>,
);
