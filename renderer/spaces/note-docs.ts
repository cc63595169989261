/**
 * The notes of a space this window holds: each a Y.Doc of its own, loaded when a member opens it
 * (from the browser's cache and the host at once) and kept a little while after, so going back is
 * instant and a save in flight finishes. Everything else stays with the host.
 */
import { ObservableV2 } from 'lib0/observable';
import type { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';
import type { HostApi } from '../../shared/host-api';
import { hasBody, newNoteDoc } from '../../shared/note-doc';
import { DocPersistence, noteChannel, type SaveState } from '../persistence/doc-persistence';
import { NoteCache } from '../persistence/note-cache';
import { PEER_ORIGIN } from '../../shared/note-sync/space-sync-store';

/** Notes kept open after the member moved on (back and forward stay instant). */
const KEEP_OPEN = 6;

/** Where a note's content is: loading, shown, not here yet (its first content comes from peers), or unreadable. */
export type NoteLoadState = 'loading' | 'ready' | 'waiting' | 'error';

export interface OpenNoteEvents {
  change: () => void;
}

/** One note's document in this window, with its persistence and cache. */
export class OpenNote extends ObservableV2<OpenNoteEvents> {
  readonly doc: Y.Doc;
  readonly persistence: DocPersistence;
  private readonly local: IndexeddbPersistence | null;
  state: NoteLoadState = 'loading';
  error: string | null = null;
  users = 0;
  private readonly offState: () => void;

  constructor(
    readonly noteId: string,
    host: HostApi,
    spaceId: string,
    cache: NoteCache | null,
    openIds: ReadonlySet<string>,
    onLocalUpdate: (noteId: string, update: Uint8Array, origin: unknown) => void,
    created: boolean,
  ) {
    super();
    this.doc = newNoteDoc(noteId);
    this.local = cache ? cache.attach(noteId, this.doc, openIds) : null;
    // A note's body is small: the first exchange with the host need not wait for the browser cache.
    this.persistence = new DocPersistence(this.doc, noteChannel(host, spaceId, noteId), host, undefined, (origin) =>
      origin === PEER_ORIGIN ? 'peers' : origin === this.local ? undefined : 'local',
    );
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== this.persistence && origin !== this.local) onLocalUpdate(noteId, update, origin);
      this.refresh();
    });
    this.offState = this.persistence.onState((state: SaveState) => {
      cache?.setSaved(noteId, state === 'saved' || state === 'connecting');
      if (state === 'error' && !hasBody(this.doc, noteId)) {
        this.error = this.persistence.lastError;
        this.setState('error');
      }
    });
    if (created) this.setState('ready');
    void this.local?.whenSynced.then(() => this.refresh());
    void this.persistence.whenSynced().then(() => this.refresh(true));
  }

  private refresh(hostAnswered = false): void {
    if (hasBody(this.doc, this.noteId)) this.setState('ready');
    else if (hostAnswered && this.state === 'loading') this.setState('waiting');
  }

  private setState(state: NoteLoadState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('change', []);
  }

  /** Resolves once the note can be shown (or is known to be missing or unreadable). */
  whenLoaded(): Promise<void> {
    if (this.state !== 'loading') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.state === 'loading') return;
        this.off('change', done);
        resolve();
      };
      this.on('change', done);
    });
  }

  get saved(): boolean {
    return this.persistence.state === 'saved';
  }

  close(): void {
    this.offState();
    this.persistence.destroy();
    void this.local?.destroy();
    this.doc.destroy();
    super.destroy();
  }
}

export class NoteDocs {
  private readonly notes = new Map<string, OpenNote>();
  /** Released notes still open, oldest first. */
  private readonly resting: string[] = [];
  private readonly cache: NoteCache | null;
  /** Who listens (lib0's registry: `change` events). */
  private readonly events = new ObservableV2<{ change: () => void }>();

  constructor(
    private readonly spaceId: string,
    private readonly host: HostApi,
    private readonly onLocalUpdate: (noteId: string, update: Uint8Array, origin: unknown) => void,
    options: { cache?: boolean } = {},
  ) {
    this.cache = options.cache === false || typeof indexedDB === 'undefined' ? null : new NoteCache(spaceId);
  }

  /** Loads a note (or returns the one held) without holding it: unheld notes close after a while. */
  load(noteId: string, created = false): OpenNote {
    let note = this.notes.get(noteId);
    if (!note) {
      note = new OpenNote(noteId, this.host, this.spaceId, this.cache, new Set(this.notes.keys()), this.onLocalUpdate, created);
      note.persistence.onState(() => {
        this.events.emit('change', []);
        if (this.resting.length > KEEP_OPEN) queueMicrotask(() => this.trim());
      });
      this.notes.set(noteId, note);
      this.resting.push(noteId);
      this.trim();
    }
    return note;
  }

  /** Holds a note open until `release` (a view shows it, or an action works on it). */
  retain(noteId: string): void {
    const note = this.notes.get(noteId);
    if (!note) return;
    const at = this.resting.indexOf(noteId);
    if (at !== -1) this.resting.splice(at, 1);
    note.users++;
  }

  /** Loads and holds a note; call `release` when done. */
  open(noteId: string, created = false): OpenNote {
    const note = this.load(noteId, created);
    this.retain(noteId);
    return note;
  }

  release(noteId: string): void {
    const note = this.notes.get(noteId);
    if (!note || --note.users > 0) return;
    this.resting.push(noteId);
    this.trim();
  }

  /** Closes resting notes beyond the limit, once the host has their edits. */
  private trim(): void {
    for (let i = 0; i < this.resting.length && this.resting.length > KEEP_OPEN; ) {
      const note = this.notes.get(this.resting[i]!)!;
      if (note.users > 0) {
        this.resting.splice(i, 1);
        continue;
      }
      if (!note.saved) {
        i++;
        continue;
      }
      this.resting.splice(i, 1);
      this.notes.delete(note.noteId);
      note.close();
    }
  }

  /** The live document of a note this window holds, if it holds it. */
  get(noteId: string): Y.Doc | undefined {
    return this.notes.get(noteId)?.doc;
  }

  /** Notes this window holds, with the ones in view first. */
  openIds(): string[] {
    return [...this.notes.values()].sort((a, b) => b.users - a.users).map((n) => n.noteId);
  }

  /** Save states of every held note (for the window's "Saved on this device"). */
  saveStates(): SaveState[] {
    return [...this.notes.values()].map((n) => n.persistence.state);
  }

  onSaveState(listener: () => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** Deletes the browser's cached notes of this space (the space was removed from this device). */
  forgetCache(): void {
    this.cache?.forget();
  }

  destroy(): void {
    for (const note of this.notes.values()) note.close();
    this.notes.clear();
    this.resting.length = 0;
    this.events.destroy();
  }
}

