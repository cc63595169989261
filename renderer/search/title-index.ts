/**
 * Titles of the space's active notes, for the quick switcher and links: prefix and typo tolerant
 * (MiniSearch over titles only). Titles are in the catalog the window already holds, so this answers
 * at once, offline too, with notes created a moment ago; the index is built on first use and then
 * follows the note list note by note.
 */
import MiniSearch from 'minisearch';
import type { NoteSummary } from '../../shared/catalog';
import type { CatalogView } from '../spaces/catalog-view';

export class TitleIndex {
  private index: MiniSearch<NoteSummary> | null = null;
  /** Each indexed note's summary (the view keeps a summary the same object while it is unchanged). */
  private readonly indexed = new Map<string, NoteSummary>();
  private seenView: unknown = null;

  constructor(private readonly view: CatalogView) {}

  private current(): MiniSearch<NoteSummary> {
    this.index ??= new MiniSearch<NoteSummary>({
      fields: ['title'],
      storeFields: ['title'],
      searchOptions: { prefix: true, fuzzy: (term) => (term.length >= 4 ? 0.2 : false), combineWith: 'AND' },
    });
    const view = this.view.getView();
    if (view !== this.seenView) {
      this.seenView = view;
      const active = new Set<string>();
      for (const note of view.active) {
        active.add(note.id);
        const before = this.indexed.get(note.id);
        if (before === note) continue;
        if (before) this.index.discard(note.id);
        this.index.add(note);
        this.indexed.set(note.id, note);
      }
      for (const id of this.indexed.keys()) {
        if (active.has(id)) continue;
        this.index.discard(id);
        this.indexed.delete(id);
      }
    }
    return this.index;
  }

  /** Active notes whose titles match, best first. */
  search(query: string, limit = 12): Array<{ id: string; title: string }> {
    const words = query.trim().split(/\s+/).filter(Boolean);
    // A last word of one letter would match most titles as a prefix: it waits for its second letter.
    if (words.length > 1 && words.at(-1)!.length < 2) words.pop();
    if (words.length === 0) return [];
    return this.current()
      .search(words.join(' '))
      .slice(0, limit)
      .map((hit) => ({ id: String(hit.id), title: String(hit.title ?? '') }));
  }
}
