/**
 * Search and backlinks of a space, asked of the host, which indexes the stored notes: the renderer
 * holds no body it does not show. Views re-ask when the host says its index caught up with changes.
 */
import { ObservableV2 } from 'lib0/observable';
import type { HostApi } from '../../shared/host-api';
import type { SearchHit } from '../../shared/search-index';

export class SearchClient {
  private version = 0;
  /** Who listens for changes (lib0's registry: `change` events). */
  private readonly events = new ObservableV2<{ change: () => void }>();
  private readonly off: () => void;

  constructor(
    private readonly host: HostApi,
    readonly spaceId: string,
  ) {
    this.off = host.on('space.indexed', ({ spaceId }) => {
      if (spaceId !== this.spaceId) return;
      this.version++;
      this.events.emit('change', []);
    });
  }

  /** Ranked notes matching a query in titles, bodies and tags, with highlighted snippets. */
  async search(query: string, limit = 30): Promise<SearchHit[]> {
    if (!query.trim()) return [];
    return (await this.host.call('space.search', { spaceId: this.spaceId, query: query.slice(0, 500), limit })).hits;
  }

  async backlinks(noteId: string): Promise<string[]> {
    return (await this.host.call('note.backlinks', { spaceId: this.spaceId, noteId })).noteIds;
  }

  /** For views of results: told when the index changed, so they ask again. */
  subscribe = (listener: () => void): (() => void) => {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  };

  getVersion = (): number => this.version;

  destroy(): void {
    this.off();
    this.events.destroy();
  }
}
