/**
 * Full-text search over a space's notes (titles, bodies, tags) with MiniSearch: ranked, prefix- and
 * typo-tolerant, updated note by note as notes change.
 */
import MiniSearch, { type Options } from 'minisearch';

export interface SearchDocument {
  id: string;
  title: string;
  body: string;
  tags: string[];
}

export interface SearchHit {
  id: string;
  title: string;
  score: number;
  /** Text around the first match, split so the matches can be highlighted. */
  snippet: Array<{ text: string; match: boolean }>;
}

const SNIPPET_RADIUS = 60;
const MAX_HIGHLIGHT_TERMS = 8;

/**
 * A query being typed: a last word of one letter ("docker c") would prefix-match most of the index, so it
 * waits for its second letter. A one-letter query alone still searches.
 */
function withoutDanglingLetter(query: string): string {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (words.length > 1 && words.at(-1)!.length < 2) words.pop();
  return words.join(' ');
}

/** Splits `text` around every occurrence of the matched terms (case-insensitive). */
export function highlight(text: string, terms: string[]): Array<{ text: string; match: boolean }> {
  const words = [...new Set(terms.filter(Boolean).map((t) => t.toLowerCase()))].sort((a, b) => b.length - a.length);
  if (words.length === 0) return [{ text, match: false }];
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'giu');
  const parts: Array<{ text: string; match: boolean }> = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index), match: false });
    parts.push({ text: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), match: false });
  return parts;
}

/** A hit before its snippet: the host reads the note's text for that only (the index keeps no bodies). */
export interface RankedHit {
  id: string;
  title: string;
  score: number;
  /** The words of the note that matched (for the snippet's highlights). */
  terms: string[];
}

/** The snippet of a hit: text around the first match in `body`, split for highlighting. */
export function snippetOf(body: string, terms: string[]): SearchHit['snippet'] {
  return highlight(snippetAround(body, body.toLowerCase(), terms), terms);
}

function snippetAround(body: string, lower: string, terms: string[]): string {
  let at = -1;
  for (const term of terms) {
    const i = lower.indexOf(term.toLowerCase());
    if (i !== -1 && (at === -1 || i < at)) at = i;
  }
  const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (at === -1) return flat(body.slice(0, SNIPPET_RADIUS * 2));
  const start = Math.max(0, at - SNIPPET_RADIUS);
  const end = Math.min(body.length, at + SNIPPET_RADIUS);
  return `${start > 0 ? '…' : ''}${flat(body.slice(start, end))}${end < body.length ? '…' : ''}`;
}

const INDEX_OPTIONS: Options<SearchDocument> = {
  fields: ['title', 'body', 'tagText'],
  storeFields: ['title'],
  extractField: (doc: SearchDocument, field: string) => (field === 'tagText' ? doc.tags.join(' ') : (doc as unknown as Record<string, string>)[field]!),
  // Typos are forgiven in words of four letters or more; shorter ones match as prefixes only (fast, and
  // a one-letter "typo" in a two-letter word matches everything).
  searchOptions: { boost: { title: 3, tagText: 2 }, prefix: true, fuzzy: (term: string) => (term.length >= 4 ? 0.2 : false), maxFuzzy: 2, combineWith: 'AND' },
  autoVacuum: true,
};

/**
 * The index as saved between runs: MiniSearch's own JSON. (Files of an earlier version also held every
 * body's text, for snippets; it is not read any more: snippets come from the notes themselves.)
 */
export interface SavedSearchIndex {
  index: string;
}

/** The index of a space's notes. It keeps no bodies (a 10,000-note space's would be tens of MB): see RankedHit. */
export class NoteSearchIndex {
  private readonly index: MiniSearch<SearchDocument>;

  constructor(saved?: SavedSearchIndex) {
    this.index = saved ? MiniSearch.loadJSON<SearchDocument>(saved.index, INDEX_OPTIONS) : new MiniSearch<SearchDocument>(INDEX_OPTIONS);
  }

  /** What a later run loads instead of indexing every note again. */
  save(): SavedSearchIndex {
    return { index: JSON.stringify(this.index) };
  }

  /** Adds or replaces one note. */
  set(doc: SearchDocument): void {
    if (this.index.has(doc.id)) this.index.discard(doc.id);
    this.index.add(doc);
  }

  remove(id: string): void {
    if (this.index.has(id)) this.index.discard(id);
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  get size(): number {
    return this.index.documentCount;
  }

  /** The best matches for a query, without snippets. */
  rank(query: string, limit = 30): RankedHit[] {
    const q = withoutDanglingLetter(query);
    if (!q) return [];
    let results = this.index.search(q);
    // Every word must match; if that finds nothing, rank notes matching any word.
    if (results.length === 0 && /\s/.test(q)) results = this.index.search(q, { combineWith: 'OR' });
    return results.slice(0, limit).map((r) => ({ id: String(r.id), title: String(r.title ?? ''), score: r.score, terms: [...new Set([...r.queryTerms, ...r.terms])].slice(0, MAX_HIGHLIGHT_TERMS) }));
  }

  /** Titles for the quick switcher: prefix and typo tolerant, titles only. */
  searchTitles(query: string, limit = 20): Array<{ id: string; title: string }> {
    const q = withoutDanglingLetter(query);
    if (!q) return [];
    return this.index
      .search(q, { fields: ['title'], combineWith: 'AND' })
      .slice(0, limit)
      .map((r) => ({ id: String(r.id), title: String(r.title ?? '') }));
  }
}
