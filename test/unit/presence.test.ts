/**
 * A peer's presence (name, colour, note) reaches the page only once checked: a crafted colour cannot
 * restyle the window through the cursors and names drawn for it, and a name is plain, bounded text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { HostError, type HostApi } from '../../shared/host-api';
import { PeerSync, safePresence } from '../../shared/peer/peer-sync';
import type { NoteSyncStore } from '../../shared/note-sync/engine';

const NOTE = 'note-presence01';

/** A host that is never reachable: presence needs none. */
const offlineHost: HostApi = {
  call: async () => {
    throw new HostError('unavailable', 'offline');
  },
  on: () => () => {},
  onConnection: (listener) => {
    listener(false);
    return () => {};
  },
};

const noStore: NoteSyncStore = {
  manifest: async () => new Uint8Array(2048),
  bucketDocs: async () => [],
  stateVectors: async (ids) => ids.map(() => new Uint8Array([0])),
  diffs: async (requests) => requests.map(() => Y.encodeStateAsUpdate(new Y.Doc())),
  apply: async () => {},
  isListed: () => true,
};

const crafted = [
  'red; position: fixed; inset: 0; z-index: 99999',
  '#fff"><img src=x onerror=alert(1)>',
  'url(https://example.org/track.png)',
  'expression(alert(1))',
  '#12345',
  '#1234567',
  'rgb(0,0,0)',
];

const syncs: PeerSync[] = [];
afterEach(() => {
  for (const sync of syncs.splice(0)) sync.destroy();
});

describe('presence from peers', () => {
  it.each(crafted)('replaces a colour that is not #rrggbb (%s)', (color) => {
    expect(safePresence({ name: 'Mallory', color }).color).toBe('#888888');
  });

  it('keeps a #rrggbb colour, and a name without control characters, bounded', () => {
    expect(safePresence({ name: 'Ana', color: '#1971c2' })).toEqual({ name: 'Ana', color: '#1971c2' });
    const name = safePresence({ name: `A\u0000n\u001ba\u007f${'x'.repeat(500)}`, color: '#000000' }).name;
    expect(name.startsWith('Ana')).toBe(true);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(safePresence({ name: 42, color: null }).name).toBe('');
  });

  it('hands the editor (which draws cursors with them) only checked names and colours', () => {
    const sync = new PeerSync('space-presence1', offlineHost, noStore);
    syncs.push(sync);
    const peer = new Y.Doc();
    const remote = new Awareness(peer);
    remote.setLocalState({ name: `Mallory\u0007${'y'.repeat(300)}`, color: crafted[0], awarenessData: { noteId: NOTE }, anchorPos: null, focusPos: null, focusing: true });
    applyAwarenessUpdate(sync.awareness, encodeAwarenessUpdate(remote, [peer.clientID]), 'peer');
    const states = sync.noteProvider(NOTE).awareness.getStates();
    const shown = states.get(peer.clientID)!;
    expect(shown.color).toBe('#888888');
    expect(shown.name.length).toBeLessThanOrEqual(80);
    expect(shown.name).not.toContain('\u0007');
    expect(sync.presence()).toEqual([{ clientId: peer.clientID, name: shown.name, color: '#888888', noteId: NOTE }]);
    // This window on the same note is no peer: its own caret is not drawn.
    sync.awareness.setLocalState({ name: 'Me', color: '#1971c2', awarenessData: { noteId: NOTE }, anchorPos: null, focusPos: null, focusing: true });
    expect([...sync.noteProvider(NOTE).awareness.getStates().keys()]).toEqual([peer.clientID]);
    remote.destroy();
  });
});
