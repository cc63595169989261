/**
 * The host side of the HostApi contract, shared by the Electron main process and the web host:
 * every call is validated against the contract's schema before any service sees it.
 */
import * as Y from 'yjs';
import {
  HostError,
  isAllowedExternalUrl,
  parseHostCall,
  type HostEventName,
  type HostEvents,
  type HostInput,
  type HostMethod,
  type HostResult,
  type SpaceSummary,
} from '../../shared/host-api';
import { listNotes, spaceName } from '../../shared/space-model';
import { DurableStore, InvalidUpdateError, StoreError, type StoreOptions } from './durable-store';
import type { LanSync } from './lan-sync';
import { logger } from './logger';
import { readProfile, writeProfile } from './profile-store';
import { SecretConflictError, SpaceSecrets } from './space-secrets';
import { exportMarkdownZip, importMarkdownIntoStore } from './markdown-host';

/** One connected renderer: a window in Electron, a WebSocket on the web host. */
export interface HostClient {
  send<E extends HostEventName>(event: E, payload: HostEvents[E]): void;
}

export interface HostServiceOptions {
  dataDir: string;
  host: 'electron' | 'web';
  version: string;
  /** Opens an already-validated external URL; hosts without a shell say false. */
  openExternal?: (url: string) => Promise<boolean>;
  store?: StoreOptions;
  /** The host's signalling server and LAN discovery; absent, sync.info reports no servers. */
  sync?: LanSync;
}

type Handlers = { [M in HostMethod]: (client: HostClient, input: HostInput<M>) => Promise<HostResult<M>> };

export class HostService {
  readonly store: DurableStore;
  private readonly subscribers = new Map<string, Set<HostClient>>();
  private readonly clients = new Set<HostClient>();
  private readonly handlers: Handlers;
  private readonly secrets: SpaceSecrets;
  private readonly offSync: () => void;

  constructor(private readonly options: HostServiceOptions) {
    this.store = new DurableStore(options.dataDir, {
      ...options.store,
      onProblem: (problem) => {
        logger.warn(`store: ${problem.kind} in space ${problem.spaceId} at byte ${problem.offset}: ${problem.detail}`);
        options.store?.onProblem?.(problem);
      },
    });
    this.secrets = new SpaceSecrets(options.dataDir);
    this.offSync =
      options.sync?.onChange((info) => {
        for (const client of this.clients) client.send('sync.changed', info);
      }) ?? (() => {});
    this.handlers = {
      'app.info': async () => ({ version: options.version, host: options.host, platform: process.platform }),
      'spaces.list': async () => ({ spaces: await this.listSpaces() }),
      'profile.get': async () => ({ profile: await readProfile(options.dataDir) }),
      'profile.set': async (_client, { profile }) => {
        await writeProfile(options.dataDir, profile);
        return { saved: true };
      },
      'spaces.remove': async (_client, { spaceId }) => {
        this.subscribers.delete(spaceId);
        await this.secrets.remove(spaceId);
        return { removed: await this.store.removeSpace(spaceId) };
      },
      'space.sync': async (_client, { spaceId, stateVector }) => {
        const space = await this.store.space(spaceId);
        let update: Uint8Array;
        try {
          // An empty state vector (a new device, a wiped browser) gets the cached whole space.
          update = stateVector.byteLength === 1 && stateVector[0] === 0 ? space.encodeFullState() : Y.encodeStateAsUpdate(space.doc, stateVector);
        } catch {
          throw new HostError('invalid-input', 'space.sync: stateVector is not a Yjs state vector');
        }
        return { update, stateVector: Y.encodeStateVector(space.doc) };
      },
      'space.append': async (client, { spaceId, update }) => {
        const space = await this.store.space(spaceId);
        try {
          await space.append(update);
        } catch (error) {
          if (error instanceof InvalidUpdateError) throw new HostError('corrupt-update', `space.append: ${error.message}`);
          if (error instanceof StoreError) throw new HostError('unavailable', error.message);
          throw error;
        }
        this.broadcast(spaceId, update, client);
        return { saved: true };
      },
      'space.subscribe': async (client, { spaceId }) => {
        let set = this.subscribers.get(spaceId);
        if (!set) this.subscribers.set(spaceId, (set = new Set()));
        set.add(client);
        return { subscribed: true };
      },
      'space.unsubscribe': async (client, { spaceId }) => {
        this.subscribers.get(spaceId)?.delete(client);
        return { subscribed: false };
      },
      'shell.openExternal': async (_client, { url }) => {
        if (!isAllowedExternalUrl(url)) throw new HostError('forbidden', 'shell.openExternal: only http, https and mailto links open');
        return { opened: options.openExternal ? await options.openExternal(url) : false };
      },
      'sync.info': async () => options.sync?.info() ?? { lan: false, signalingUrls: [], addresses: [] },
      'space.sharing': async (_client, { spaceId, create }) => this.secrets.sharing(spaceId, create),
      'space.join': async (_client, { spaceId, secret, addresses }) => {
        try {
          await this.secrets.join(spaceId, secret, addresses, await this.store.hasSpace(spaceId));
        } catch (error) {
          if (error instanceof SecretConflictError) throw new HostError('forbidden', `space.join: ${error.message}`);
          throw error;
        }
        await this.store.space(spaceId);
        return { joined: true };
      },
      'space.addAddress': async (_client, { spaceId, address }) => ({ addresses: await this.secrets.addAddress(spaceId, address) }),
      'space.exportMarkdown': (_client, input) => exportMarkdownZip(this.store, input),
      'space.importMarkdown': async (_client, input) => {
        const { spaceId, update, result } = await importMarkdownIntoStore(this.store, input);
        // The import's origin is no client: every subscriber, the caller's window included, applies it.
        if (update) this.broadcast(spaceId, update);
        return result;
      },
    };
  }

  /** Validates a call from an untrusted client and runs it; failures are HostErrors. */
  async handle(client: HostClient, method: unknown, input: unknown): Promise<unknown> {
    const call = parseHostCall(method, input);
    this.clients.add(client);
    const handler = this.handlers[call.method] as (client: HostClient, input: unknown) => Promise<unknown>;
    try {
      return await handler(client, call.input);
    } catch (error) {
      if (error instanceof HostError) throw error;
      logger.error(`${call.method} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw new HostError('internal', `${call.method} failed`);
    }
  }

  /** Forgets a client that went away. */
  detach(client: HostClient): void {
    for (const set of this.subscribers.values()) set.delete(client);
    this.clients.delete(client);
  }

  /** Sends an update to the space's subscribers except `from` (the client it came from, if any). */
  private broadcast(spaceId: string, update: Uint8Array, from?: HostClient): void {
    for (const client of this.subscribers.get(spaceId) ?? []) {
      if (client !== from) client.send('space.update', { spaceId, update });
    }
  }

  private async listSpaces(): Promise<SpaceSummary[]> {
    const ids = await this.store.listSpaceIds();
    const spaces: SpaceSummary[] = [];
    for (const id of ids) {
      try {
        const { doc } = await this.store.space(id);
        spaces.push({ id, name: spaceName(doc), noteCount: listNotes(doc).length });
      } catch (error) {
        logger.warn(`space ${id} could not be opened: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return spaces;
  }

  /**
   * Loads every space into memory in the background, so the first window that opens one does not wait
   * for its disk copy to be read (a space of thousands of notes takes a moment to load).
   */
  async warmUp(): Promise<void> {
    for (const id of await this.store.listSpaceIds().catch(() => [])) {
      await this.store
        .space(id)
        .then((space) => space.encodeFullState())
        .catch((error: unknown) => logger.warn(`space ${id} could not be opened: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  /** Writes everything queued to disk. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    this.clients.clear();
    this.offSync();
    await this.store.close();
  }
}
