/**
 * What others changed in a space since this member last looked, as the host's history tells it (React
 * reads it as an external store): the notes to mark in the list and what "What's new" lists. Asked
 * again when the host records versions, and after the member has seen a note.
 */
import { ObservableV2 } from 'lib0/observable';
import type { NoteNews } from '../../shared/history/history-types';
import type { HostApi } from '../../shared/host-api';
import { errorMessage } from '../../shared/errors';

/** Versions recorded close together are asked about once. */
const REFRESH_AFTER_MS = 300;

export interface NewsView {
  notes: NoteNews[];
  /** Ids of the notes with changes by others the member has not seen. */
  unseen: ReadonlySet<string>;
}

const EMPTY: NewsView = { notes: [], unseen: new Set() };

export class SpaceNews {
  private view: NewsView = EMPTY;
  /** Who listens for changes (lib0's registry: `change` events). */
  private readonly events = new ObservableV2<{ change: () => void }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly offEvents: Array<() => void>;
  private destroyed = false;
  /** The note on screen: what others change in it while shown counts as seen. */
  private shownNote: string | null = null;

  constructor(
    private readonly host: HostApi,
    private readonly spaceId: string,
  ) {
    this.offEvents = [
      host.on('space.history', (event) => {
        // The member's own versions change nothing here.
        if (event.spaceId !== spaceId || !event.byOthers) return;
        // Others' changes to the note on screen are seen as they arrive (not cut into a version for it).
        if (this.shownNote && event.docIds.includes(this.shownNote)) void this.markSeen([this.shownNote], false);
        else this.refreshSoon();
      }),
      host.onConnection((connected) => connected && this.refreshSoon()),
    ];
  }

  subscribe = (listener: () => void): (() => void) => {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  };

  getView = (): NewsView => this.view;

  /** Asks the host again soon (several changes, one question). */
  refreshSoon(): void {
    if (this.timer !== null || this.destroyed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, REFRESH_AFTER_MS);
  }

  /** Asks the host; with `complete`, what peers sent is recorded as versions first (What's new, an opened note). */
  async refresh(complete = false): Promise<void> {
    try {
      const { notes } = await this.host.call('space.news', { spaceId: this.spaceId, ...(complete ? { flush: true } : {}) });
      if (this.destroyed) return;
      this.view = { notes, unseen: new Set(notes.map((n) => n.noteId)) };
      this.events.emit('change', []);
    } catch (error) {
      console.warn(`what is new in the space could not be read: ${errorMessage(error)}`);
    }
  }

  /** What others changed in one note since the member last saw it (from the last answer). */
  newsOf(noteId: string): NoteNews | undefined {
    return this.view.notes.find((n) => n.noteId === noteId);
  }

  /** The member has seen these notes as they are now. */
  async markSeen(noteIds: string[], flush = true): Promise<void> {
    if (noteIds.length === 0) return;
    await this.host.call('note.seen', { spaceId: this.spaceId, noteIds, ...(flush ? {} : { flush }) }).catch((error: unknown) => console.warn(`could not record what was seen: ${errorMessage(error)}`));
    await this.refresh();
  }

  /**
   * The member opened a note: what others changed in it since the last look (asked afresh), which now
   * counts as seen; while it stays on screen, what arrives counts as seen too.
   */
  async open(noteId: string): Promise<NoteNews | undefined> {
    this.shownNote = noteId;
    await this.refresh(true);
    const news = this.newsOf(noteId);
    await this.markSeen([noteId]);
    return news;
  }

  /** The member left a note: what arrived while it was shown has been seen. */
  close(noteId: string): void {
    if (this.shownNote === noteId) this.shownNote = null;
    if (!this.destroyed) void this.markSeen([noteId]);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const off of this.offEvents) off();
    this.events.destroy();
  }
}
