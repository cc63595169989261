/**
 * Keeps one document of a space (its catalog, or a note) and the host's durable copy in step: streams
 * local updates to the host (one batch in flight at a time), applies what other clients of the host
 * send, and on every (re)connect exchanges state vectors so either side restores what the other lacks.
 */
import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { HostError, type HostApi } from '../../shared/host-api';
import { tryApplyUpdate } from '../../shared/safe-update';
import { errorMessage } from '../../shared/errors';

/** How one document reaches the host: the catalog through space.*, a note through note.*. */
export interface PersistenceChannel {
  /** Names the document in messages. */
  readonly label: string;
  /** Starts getting the host's updates of the document, and exchanges state vectors with it. */
  sync(stateVector: Uint8Array): Promise<{ update: Uint8Array; stateVector: Uint8Array }>;
  /** `source`: the member's own edits, what peers sent, or (undefined) both mixed. */
  append(update: Uint8Array, source?: ChangeSource): Promise<void>;
  /** Updates other clients of the host made. */
  onUpdate(listener: (update: Uint8Array) => void): () => void;
  release(): void;
}

export function catalogChannel(host: HostApi, spaceId: string): PersistenceChannel {
  return {
    label: `space ${spaceId}`,
    sync: async (stateVector) => {
      await host.call('space.subscribe', { spaceId });
      return host.call('space.sync', { spaceId, stateVector });
    },
    append: async (update, source) => void (await host.call('space.append', { spaceId, update, ...(source ? { source } : {}) })),
    onUpdate: (listener) => host.on('space.update', (event) => event.spaceId === spaceId && listener(event.update)),
    release: () => void host.call('space.unsubscribe', { spaceId }).catch(() => {}),
  };
}

export function noteChannel(host: HostApi, spaceId: string, noteId: string): PersistenceChannel {
  return {
    label: `note ${noteId}`,
    sync: (stateVector) => host.call('note.sync', { spaceId, noteId, stateVector }),
    append: async (update, source) => void (await host.call('note.append', { spaceId, noteId, update, ...(source ? { source } : {}) })),
    onUpdate: (listener) => host.on('note.update', (event) => event.spaceId === spaceId && event.noteId === noteId && listener(event.update)),
    release: () => void host.call('note.release', { spaceId, noteId }).catch(() => {}),
  };
}

/** Where an update a window sends came from (history names the member's own edits). */
export type ChangeSource = 'local' | 'peers';

interface Pending {
  update: Uint8Array;
  source: ChangeSource | undefined;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Failures that may pass (the host busy, restarting, or its disk briefly failing); others need a person. */
const RETRIABLE: ReadonlySet<string> = new Set(['unavailable', 'internal']);

/** `saved`: the host has every local edit on disk. `unsaved`: edits wait for the host. */
export type SaveState = 'connecting' | 'saving' | 'saved' | 'unsaved' | 'error';

export class DocPersistence {
  private pending: Pending[] = [];
  private inFlight = false;
  private connected = false;
  private synced = false;
  private destroyed = false;
  /** Who listens (lib0's registry: `state` events). */
  private readonly events = new ObservableV2<{ state: (state: SaveState) => void }>();
  private readonly cleanups: Array<() => void> = [];
  private readonly firstSync: Promise<void>;
  private resolveFirstSync!: () => void;
  state: SaveState = 'connecting';
  lastError: string | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = RETRY_FIRST_MS;

  constructor(
    private readonly doc: Y.Doc,
    private readonly channel: PersistenceChannel,
    host: Pick<HostApi, 'onConnection'>,
    /** The local cache's load: the first exchange waits for it, or the host would resend the whole document. */
    private readonly localLoaded: Promise<void> = Promise.resolve(),
    /** Where an update with this origin came from: peers, the member, or (the browser's cache) not known. */
    private readonly sourceOf: (origin: unknown) => ChangeSource | undefined = () => 'local',
  ) {
    this.firstSync = new Promise((resolve) => (this.resolveFirstSync = resolve));
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      this.pending.push({ update, source: this.sourceOf(origin) });
      // An error stays on screen until a save gets through.
      if (this.state !== 'error') this.setState(this.connected ? 'saving' : 'unsaved');
      queueMicrotask(() => void this.flush());
    };
    doc.on('update', onUpdate);
    this.cleanups.push(() => doc.off('update', onUpdate));
    this.cleanups.push(
      channel.onUpdate((update) => {
        // A corrupt update from the host is refused, not applied; the next reconcile heals any gap.
        tryApplyUpdate(this.doc, update, this, (reason) => console.error(`${channel.label}: ignored an update from the host: ${reason}`));
      }),
    );
    this.cleanups.push(
      host.onConnection((connected) => {
        this.connected = connected;
        this.synced = false;
        if (connected) void this.reconcile();
        else if (!this.destroyed) this.setState(this.pending.length > 0 || this.inFlight ? 'unsaved' : 'connecting');
      }),
    );
  }

  /** Resolves after the first exchange with the host (immediately useful after a wiped profile). */
  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  /** Resolves once the host has every local edit on disk. */
  whenSaved(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.onState((state) => {
        if (state === 'saved') {
          queueMicrotask(() => off());
          resolve();
        }
      });
    });
  }

  onState(listener: (state: SaveState) => void): () => void {
    this.events.on('state', listener);
    listener(this.state);
    return () => this.events.off('state', listener);
  }

  private setState(state: SaveState): void {
    if (this.state === state) return;
    this.state = state;
    this.events.emit('state', [state]);
  }

  private async reconcile(): Promise<void> {
    try {
      await this.localLoaded;
      if (!this.connected || this.destroyed) return;
      performance.mark(`commonplace:sync-asked:${this.channel.label}`);
      const reply = await this.channel.sync(Y.encodeStateVector(this.doc));
      performance.mark(`commonplace:sync-answered:${this.channel.label}`);
      let refused = '';
      if (!tryApplyUpdate(this.doc, reply.update, this, (reason) => (refused = reason))) {
        throw new HostError('corrupt-update', `the host sent a corrupt copy of ${this.channel.label}: ${refused}`);
      }
      // Everything local the host lacks, including what was queued while away.
      this.pending = [{ update: Y.encodeStateAsUpdate(this.doc, reply.stateVector), source: undefined }];
      this.synced = true;
      this.retryDelay = RETRY_FIRST_MS;
      this.resolveFirstSync();
      performance.mark(`commonplace:sync-applied:${this.channel.label}`);
      await this.flush();
    } catch (error) {
      this.fail(error, () => void this.reconcile());
    }
  }

  private async flush(): Promise<void> {
    if (this.inFlight || !this.connected || !this.synced || this.destroyed) return;
    this.pending = this.pending.filter((p) => p.update.byteLength > 2); // an empty update encodes as two zero bytes
    if (this.pending.length === 0) {
      this.setState('saved');
      return;
    }
    // One source per call: the member's own edits and what peers sent stay apart in history.
    const source = this.pending[0]!.source;
    let count = 1;
    while (count < this.pending.length && this.pending[count]!.source === source) count++;
    const batch = this.pending.splice(0, count).map((p) => p.update);
    this.inFlight = true;
    this.setState('saving');
    const update = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
    try {
      await this.channel.append(update, source);
      this.lastError = null;
      this.retryDelay = RETRY_FIRST_MS;
    } catch (error) {
      this.pending.unshift({ update, source });
      this.inFlight = false;
      // No immediate retry: a failing host would be hammered. A timer (or the next edit) tries again.
      this.fail(error, () => void this.flush());
      return;
    }
    this.inFlight = false;
    if (this.pending.length > 0) await this.flush();
    else if (this.connected && this.synced) this.setState('saved');
  }

  /** Shows the failure and, when it may pass, tries again later, waiting longer each time. */
  private fail(error: unknown, retry: () => void): void {
    this.lastError = errorMessage(error);
    const code = error instanceof HostError ? error.code : 'internal';
    if (code === 'unavailable' && !this.connected) {
      this.setState('unsaved'); // the reconnect reconciles
      return;
    }
    console.error(`saving ${this.channel.label} failed:`, this.lastError);
    this.setState(code === 'unavailable' ? 'unsaved' : 'error');
    if (!RETRIABLE.has(code) || this.destroyed || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.destroyed) retry();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    for (const cleanup of this.cleanups) cleanup();
    this.channel.release();
  }
}
