/**
 * Derived views of an open space that React reads: the note list, tag counts, the search index and the
 * link graph (for backlinks). Built once when the space opens, then kept current note by note: a
 * keystroke in a body only marks that note for re-indexing a moment later.
 */
import * as Y from 'yjs';
import { bodyLinks, bodyText } from '../../shared/note-content';
import { NoteSearchIndex } from '../../shared/search-index';
import {
  getNote,
  noteBody,
  noteState,
  sortNotes,
  spaceNotes,
  summarizeNote,
  tagCounts,
  type NoteState,
  type NoteSummary,
} from '../../shared/space-model';

function sameSummary(a: NoteSummary, b: NoteSummary): boolean {
  return (
    a.title === b.title &&
    a.updatedAt === b.updatedAt &&
    a.updatedBy === b.updatedBy &&
    a.createdAt === b.createdAt &&
    a.createdBy === b.createdBy &&
    a.trashedAt === b.trashedAt &&
    a.tags.length === b.tags.length &&
    a.tags.every((t, i) => t === b.tags[i])
  );
}

/** Changed notes are re-indexed once typing pauses this long (re-indexing a long note takes a while)… */
const REINDEX_PAUSE_MS = 400;
/** …or after this long of continuous typing at the latest. */
const REINDEX_MAX_WAIT_MS = 5000;
/** The first build runs in slices this long, so opening a large space never blocks typing or painting. */
const BUILD_SLICE_MS = 12;

/** What lists show; replaced only when a note's fields change, never on typing in a body. */
export interface SpaceView {
  active: NoteSummary[];
  trashed: NoteSummary[];
  tags: Array<{ tag: string; count: number }>;
}

export class SpaceIndex {
  readonly search = new NoteSearchIndex();
  private readonly links = new Map<string, Set<string>>();
  private view: SpaceView;
  private readonly listeners = new Set<() => void>();
  private readonly contentListeners = new Set<() => void>();
  /** Bumped when the search index or the link graph changed (after typing pauses). */
  private contentVersion = 0;
  private dirtyContent = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  /** Milliseconds of work the first full index build took, or null while it runs (reported by the benchmark). */
  buildMs: number | null = null;
  private destroyed = false;

  /** Each note's summary and state, kept as the same object while it is unchanged (memoised rows stay put). */
  private readonly summaries = new Map<string, { summary: NoteSummary; state: NoteState }>();

  constructor(private readonly doc: Y.Doc) {
    this.view = this.computeView(spaceNotes(doc).keys());
    void this.buildInSlices([...spaceNotes(doc).keys()]);
    this.observer = (events) => {
      const changedNotes = new Set<string>();
      for (const event of events) {
        const [noteId, field] = event.path as [string | undefined, string | undefined];
        if (noteId === undefined) {
          // The notes map itself: notes added (or replaced).
          for (const key of (event as Y.YMapEvent<unknown>).keysChanged) {
            this.dirtyContent.add(key);
            changedNotes.add(key);
          }
        } else {
          this.dirtyContent.add(noteId);
          // A body edit can change whether a deleted note counts as deleted (an unseen edit brings it back).
          if (field !== 'body' || this.summaries.get(noteId)?.state !== 'active') changedNotes.add(noteId);
        }
      }
      if (changedNotes.size > 0) this.publish(this.computeView(changedNotes));
      this.scheduleReindex();
    };
    spaceNotes(doc).observeDeep(this.observer);
  }

  private async buildInSlices(ids: string[]): Promise<void> {
    let work = 0;
    for (let i = 0; i < ids.length && !this.destroyed; ) {
      const sliceStart = performance.now();
      while (i < ids.length && performance.now() - sliceStart < BUILD_SLICE_MS) this.indexContent(ids[i++]!);
      work += performance.now() - sliceStart;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (this.destroyed) return;
    this.buildMs = work;
    this.publishContent();
  }

  private indexContent(id: string): void {
    const note = getNote(this.doc, id);
    if (!note || noteState(note) === 'deleted') {
      this.search.remove(id);
      this.links.delete(id);
      return;
    }
    const body = noteBody(note);
    const summary = summarizeNote(id, note);
    this.search.set({ id, title: summary.title, body: bodyText(body), tags: summary.tags });
    this.links.set(id, bodyLinks(body));
  }

  /** Refreshes the summaries of the changed notes only, then rebuilds the lists from the cache. */
  private computeView(changed: Iterable<string>): SpaceView {
    for (const id of changed) {
      const note = getNote(this.doc, id);
      if (!note) {
        this.summaries.delete(id);
        continue;
      }
      const summary = summarizeNote(id, note);
      const state = noteState(note);
      const previous = this.summaries.get(id);
      if (!previous || previous.state !== state || !sameSummary(previous.summary, summary)) this.summaries.set(id, { summary, state });
    }
    const active: NoteSummary[] = [];
    const trashed: NoteSummary[] = [];
    for (const { summary, state } of this.summaries.values()) {
      if (state === 'active') active.push(summary);
      else if (state === 'trashed') trashed.push(summary);
    }
    sortNotes(active, 'updated');
    sortNotes(trashed, 'updated');
    return { active, trashed, tags: tagCounts(active) };
  }

  private firstPendingChange = 0;

  private scheduleReindex(): void {
    const now = Date.now();
    if (this.timer !== null) clearTimeout(this.timer);
    else this.firstPendingChange = now;
    const wait = Math.min(REINDEX_PAUSE_MS, Math.max(0, this.firstPendingChange + REINDEX_MAX_WAIT_MS - now));
    this.timer = setTimeout(() => {
      this.timer = null;
      const dirty = this.dirtyContent;
      this.dirtyContent = new Set();
      for (const id of dirty) this.indexContent(id);
      this.publishContent();
    }, wait);
  }

  private publish(view: SpaceView): void {
    this.view = view;
    for (const listener of this.listeners) listener();
  }

  private publishContent(): void {
    this.contentVersion++;
    for (const listener of this.contentListeners) listener();
  }

  /** For views of the content (search results, backlinks): told after the index caught up with edits. */
  subscribeContent = (listener: () => void): (() => void) => {
    this.contentListeners.add(listener);
    return () => this.contentListeners.delete(listener);
  };

  getContentVersion = (): number => this.contentVersion;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): SpaceView => this.view;

  /** Active notes that link to `noteId`, by title. */
  backlinks(noteId: string): NoteSummary[] {
    const out: NoteSummary[] = [];
    for (const [from, targets] of this.links) {
      if (from === noteId || !targets.has(noteId)) continue;
      const note = getNote(this.doc, from);
      if (note && noteState(note) === 'active') out.push(summarizeNote(from, note));
    }
    return out.sort((a, b) => a.title.localeCompare(b.title));
  }

  destroy(): void {
    this.destroyed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    spaceNotes(this.doc).unobserveDeep(this.observer);
    this.listeners.clear();
    this.contentListeners.clear();
  }
}
