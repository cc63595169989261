/** React views of host search: results that follow the query and the index, and a note's backlinks. */
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { SearchHit } from '../../shared/search-index';
import type { SearchClient } from './search-client';
import { errorMessage } from '../../shared/errors';

function useIndexVersion(client: SearchClient | null): number {
  return useSyncExternalStore(client?.subscribe ?? (() => () => {}), client?.getVersion ?? (() => 0));
}

/** Results for `query` (null while there is no query); the last answer stays until the next arrives. */
export function useSearch(client: SearchClient | null, query: string, limit = 30): SearchHit[] | null {
  const version = useIndexVersion(client);
  const [hits, setHits] = useState<{ query: string; hits: SearchHit[] } | null>(null);
  const trimmed = query.trim();
  useEffect(() => {
    if (!client || !trimmed) return;
    let current = true;
    client.search(trimmed, limit).then(
      (found) => current && setHits({ query: trimmed, hits: found }),
      (error: unknown) => current && console.warn('search failed:', errorMessage(error)),
    );
    return () => {
      current = false;
    };
  }, [client, trimmed, limit, version]);
  if (!trimmed) return null;
  return hits?.hits ?? [];
}

/** Ids of the notes that link to `noteId`, kept current as the index changes. */
export function useBacklinks(client: SearchClient, noteId: string): string[] | null {
  const version = useIndexVersion(client);
  const [ids, setIds] = useState<{ noteId: string; ids: string[] } | null>(null);
  useEffect(() => {
    let current = true;
    client.backlinks(noteId).then(
      (found) => current && setIds({ noteId, ids: found }),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [client, noteId, version]);
  return ids?.noteId === noteId ? ids.ids : null;
}
