/**
 * What the sidebar lists: the active notes, filtered by a tag and sorted; search hits for a query; or
 * the trash. Opening a note from elsewhere (a tag, What's new, a new note) goes back to the plain list.
 */
import { useCallback, useMemo, useState } from 'react';
import { sortNotes, type NoteSort, type NoteSummary } from '../../shared/catalog';
import type { SearchHit } from '../../shared/search-index';
import type { SearchClient } from '../search/search-client';
import { useSearch } from '../search/use-search';
import type { SpaceView } from '../spaces/catalog-view';

export type ListMode = 'notes' | 'trash';

export interface NoteList {
  /** The active notes under the tag filter, in the chosen order. */
  notes: NoteSummary[];
  /** Search hits for the query; null without a query. */
  hits: SearchHit[] | null;
  query: string;
  setQuery: (query: string) => void;
  tagFilter: string | null;
  /** Lists the notes with `tag` (null: every note), back in the notes list without a query. */
  selectTag: (tag: string | null) => void;
  /** Lists every note again, leaving the query and the list as they are. */
  clearTag: () => void;
  sort: NoteSort;
  setSort: (sort: NoteSort) => void;
  mode: ListMode;
  setMode: (mode: ListMode) => void;
  /** The notes list again, without a query. */
  showNotes: () => void;
}

export function useNoteList(view: SpaceView, search: SearchClient | null): NoteList {
  const [query, setQuery] = useState('');
  const [tagFilter, setTagFilter] = useState<string | null>(null);
  const [sort, setSort] = useState<NoteSort>('updated');
  const [mode, setMode] = useState<ListMode>('notes');

  const notes = useMemo(() => {
    const filtered = tagFilter ? view.active.filter((n) => n.tags.includes(tagFilter)) : view.active;
    // The view keeps its lists sorted by update already.
    return sort === 'updated' ? filtered : sortNotes([...filtered], sort);
  }, [view.active, tagFilter, sort]);
  const hits = useSearch(search, query);

  const showNotes = useCallback(() => {
    setMode('notes');
    setQuery('');
  }, []);
  const selectTag = useCallback(
    (tag: string | null) => {
      setTagFilter(tag);
      showNotes();
    },
    [showNotes],
  );
  const clearTag = useCallback(() => setTagFilter(null), []);

  return { notes, hits, query, setQuery, tagFilter, selectTag, clearTag, sort, setSort, mode, setMode, showNotes };
}
