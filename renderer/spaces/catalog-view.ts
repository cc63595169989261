/**
 * The lists of an open space that React reads: active notes, the trash and tag counts, computed from
 * the catalog alone. Built once when the space opens, then kept current entry by entry; bodies are
 * not in the catalog, so typing in a note never recomputes a list.
 */
import { ObservableV2 } from 'lib0/observable';
import type * as Y from 'yjs';
import { catalogNotes, entryState, getEntry, sortNotes, summarizeEntry, tagCounts, type NoteState, type NoteSummary } from '../../shared/catalog';
import type { SummaryRow } from '../../shared/host-api';

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

/** What lists show; replaced only when an entry changes. */
export interface SpaceView {
  active: NoteSummary[];
  trashed: NoteSummary[];
  tags: Array<{ tag: string; count: number }>;
}

export class CatalogView {
  private view: SpaceView;
  /** Who listens for changes (lib0's registry: `change` events). */
  private readonly events = new ObservableV2<{ change: () => void }>();
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  /** Each note's summary and state, kept as the same object while it is unchanged (memoised rows stay put). */
  private readonly summaries = new Map<string, { summary: NoteSummary; state: NoteState }>();

  constructor(
    private readonly catalog: Y.Doc,
    /** The host's rows, shown until the catalog is decoded (then each note's row comes from its entry). */
    seed?: SummaryRow[],
  ) {
    if (seed && catalogNotes(catalog).size === 0) {
      for (const [id, title, tags, createdAt, createdBy, updatedAt, updatedBy, trashedAt, state, folder] of seed) {
        this.summaries.set(id, { summary: { id, title, tags, createdAt, createdBy, updatedAt, updatedBy, trashedAt, folder }, state });
      }
    }
    this.view = this.computeView(catalogNotes(catalog).keys());
    this.observer = (events) => {
      const changed = new Set<string>();
      for (const event of events) {
        const [noteId] = event.path as [string | undefined];
        if (noteId !== undefined) changed.add(noteId);
        else for (const key of (event as Y.YMapEvent<unknown>).keysChanged) changed.add(key);
      }
      if (changed.size > 0) this.publish(this.computeView(changed));
    };
    catalogNotes(catalog).observeDeep(this.observer);
  }

  /** Refreshes the summaries of the changed notes only, then rebuilds the lists from the cache. */
  private computeView(changed: Iterable<string>): SpaceView {
    for (const id of changed) {
      const entry = getEntry(this.catalog, id);
      if (!entry) {
        this.summaries.delete(id);
        continue;
      }
      const summary = summarizeEntry(id, entry);
      const state = entryState(entry);
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

  private publish(view: SpaceView): void {
    this.view = view;
    this.events.emit('change', []);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  };

  getView = (): SpaceView => this.view;

  /** Forgets rows the host listed that the catalog, now here, does not have. */
  dropMissing(): void {
    let dropped = false;
    for (const id of [...this.summaries.keys()]) {
      if (getEntry(this.catalog, id)) continue;
      this.summaries.delete(id);
      dropped = true;
    }
    if (dropped) this.publish(this.computeView([]));
  }

  /** A note's summary and state as the lists know them. */
  get(noteId: string): { summary: NoteSummary; state: NoteState } | undefined {
    return this.summaries.get(noteId);
  }

  destroy(): void {
    catalogNotes(this.catalog).unobserveDeep(this.observer);
    this.events.destroy();
  }
}
