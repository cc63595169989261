/**
 * Document sync between the members of a space, over links that carry bytes (WebRTC data channels
 * in the app; anything in tests and, later, headless peers). It knows documents only through a
 * store (NoteSyncStore), so a renderer that holds one open note and a host that holds every note
 * speak the same protocol (protocol.ts):
 *
 * - On connect, each side sends its manifest (256 bucket digests). The other answers with the
 *   documents and digests of the buckets that differ, and each side pulls what it lacks: only notes
 *   that changed cross, whatever the size of the space.
 * - Pulls are batched, at most a few batches in flight per peer; documents the member has open are
 *   pulled first (`prioritize`), the rest in the background.
 * - Live edits go to every peer at once (`broadcast`) and are relayed once by each peer that gets them.
 * - A document the catalog does not list is held for a while (its catalog entry may be on the way)
 *   and then dropped with a warning; malformed and unknown messages are refused with a warning.
 */
import { ObservableV2 } from 'lib0/observable';
import { DIGEST_BYTES, sameBytes } from '../doc-digest';
import { CATALOG_DOC_ID } from '../note-doc';
import { BUCKETS, bucketOf, decodeNoteSyncMessage, encodeNoteSyncMessage, MANIFEST_BYTES, MAX_DOCS_PER_MESSAGE, MAX_LISTED_DOCS, type NoteSyncMessage } from './protocol';
import { errorMessage } from '../errors';

export interface DocUpdate {
  docId: string;
  update: Uint8Array;
}

/** Where the engine reads and writes documents. Every method may be asked for documents it lacks. */
export interface NoteSyncStore {
  /** MANIFEST_BYTES: for each bucket, the XOR of the digests of its documents. */
  manifest(): Promise<Uint8Array>;
  /** The documents this side holds in the given buckets, with their digests. */
  bucketDocs(buckets: number[]): Promise<Array<{ docId: string; digest: Uint8Array }>>;
  /** The state vector of each document, in order (an empty one for a document it lacks). */
  stateVectors(docIds: string[]): Promise<Uint8Array[]>;
  /** What a replica with each state vector lacks, one update per request, in order. */
  diffs(requests: Array<{ docId: string; stateVector: Uint8Array }>): Promise<Uint8Array[]>;
  /** Applies updates from a peer; refuses what does not decode. */
  apply(updates: DocUpdate[]): Promise<void>;
  /** Whether the space's catalog lists the document (the catalog itself is always listed). */
  isListed(docId: string): boolean;
}

/** One peer, as far as the engine is concerned: a way to send it bytes. */
export interface NoteSyncLink {
  send(message: Uint8Array): void;
}

export interface NoteSyncOptions {
  warn?: (message: string) => void;
  /** Pull batches in flight per peer. */
  maxBatchesInFlight?: number;
  /** Documents per pull batch. */
  batchSize?: number;
  /** How long a document the catalog does not list is held before it is dropped (ms). */
  unlistedHoldMs?: number;
  /** A new manifest round this often, to catch what live messages missed (ms; 0 = never). */
  resyncEveryMs?: number;
  /** A pull batch with no answer after this long is given up (ms). */
  batchTimeoutMs?: number;
  /** Quiet time after documents were pulled from one peer before comparing with the others (ms). */
  resyncOthersAfterMs?: number;
  /** A peer that sends nothing this long while we wait on it is reported `stalled` (ms; 0 = never). */
  stallMs?: number;
}

export interface NoteSyncStatus {
  peers: number;
  /** Documents waiting to be pulled or in flight, over every peer. */
  pending: number;
  /** True while a round of comparison or pulls is going on with some peer. */
  syncing: boolean;
}

export interface NoteSyncEvents {
  status: (status: NoteSyncStatus) => void;
  /** Documents that changed from a peer (for views that show them). */
  received: (docIds: string[]) => void;
  /**
   * A peer we wait on (a comparison or pull unanswered) has sent nothing for `stallMs`: its link is
   * dead in a way the connection did not report, and the caller should connect to it afresh.
   */
  stalled: (link: NoteSyncLink) => void;
}

/** Bytes of DOCS answered in one message (smaller messages keep live edits moving between them). */
const DOCS_MESSAGE_BYTES = 512 * 1024;
const RELAYED_MEMORY = 2048;
/** Wait before asking again for documents whose pull could not be prepared. */
const RETRY_PULL_MS = 1000;
/** Quiet time after documents were pulled from one peer before comparing with the others. */
const RESYNC_OTHERS_AFTER_MS = 300;
/** A peer answers a comparison within milliseconds on a LAN, and within a second through a relay. */
const STALL_MS = 8000;
const MAX_HELD_DOCS = 512;
const MAX_HELD_BYTES = 16 * 1024 * 1024;

interface Batch {
  waiting: Set<string>;
  timer: ReturnType<typeof setTimeout>;
}

class LinkState {
  /** Documents to pull from this peer, in order (priority ones go first). */
  readonly queue = new Set<string>();
  readonly batches = new Set<Batch>();
  /** Our manifest is out and its answer has not fully arrived. */
  roundPending = false;
  /** Asks again when an answer never comes (a message lost with a connection that half-failed). */
  roundTimer: ReturnType<typeof setTimeout> | null = null;
  /** Messages are handled one after another per peer, in the order they came. */
  work: Promise<void> = Promise.resolve();
  closed = false;
  /** When this peer last sent us anything (ms). */
  heardAt = Date.now();
  /** Checks, while we wait on this peer, that it still sends something (see `stalled`). */
  stallTimer: ReturnType<typeof setTimeout> | null = null;
  /** Whether we wait on this peer: a comparison or a pull not answered yet. */
  get waiting(): boolean {
    return this.roundPending || this.batches.size > 0;
  }
}

function keyOf(docId: string, update: Uint8Array): string {
  // FNV-1a over the first and last bytes and the length: enough to recognise an update seen before.
  let hash = 0x811c9dc5;
  const feed = (byte: number) => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  };
  for (let i = 0; i < Math.min(update.length, 512); i++) feed(update[i]!);
  for (let i = Math.max(512, update.length - 512); i < update.length; i++) feed(update[i]!);
  return `${docId}:${update.length}:${hash >>> 0}`;
}

export class NoteSyncEngine extends ObservableV2<NoteSyncEvents> {
  private readonly links = new Map<NoteSyncLink, LinkState>();
  private readonly relayed = new Set<string>();
  private held: Array<DocUpdate & { until: number }> = [];
  private heldBytes = 0;
  private readonly warn: (message: string) => void;
  private readonly options: Required<Omit<NoteSyncOptions, 'warn'>>;
  private resyncTimer: ReturnType<typeof setInterval> | null = null;
  private othersTimer: ReturnType<typeof setTimeout> | null = null;
  private pulledFrom = new Set<NoteSyncLink>();
  private current: NoteSyncStatus = { peers: 0, pending: 0, syncing: false };
  private destroyed = false;
  /** Work started outside a peer's message queue (pull requests being prepared, manifests being read). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: NoteSyncStore,
    options: NoteSyncOptions = {},
  ) {
    super();
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.options = {
      maxBatchesInFlight: options.maxBatchesInFlight ?? 2,
      batchSize: Math.min(options.batchSize ?? 64, MAX_DOCS_PER_MESSAGE),
      unlistedHoldMs: options.unlistedHoldMs ?? 30_000,
      resyncEveryMs: options.resyncEveryMs ?? 30_000,
      batchTimeoutMs: options.batchTimeoutMs ?? 60_000,
      resyncOthersAfterMs: options.resyncOthersAfterMs ?? RESYNC_OTHERS_AFTER_MS,
      stallMs: options.stallMs ?? STALL_MS,
    };
    if (this.options.resyncEveryMs > 0) this.resyncTimer = setInterval(() => this.resync(), this.options.resyncEveryMs);
  }

  status(): NoteSyncStatus {
    return this.current;
  }

  /** Resolves once no message is being handled and nothing is being prepared (for deterministic tests). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.inFlight, ...[...this.links.values()].map((s) => s.work)];
      await Promise.allSettled(pending);
      const again = [...this.inFlight, ...[...this.links.values()].map((s) => s.work)];
      if (again.length === pending.length && again.every((p, i) => p === pending[i])) return;
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => {});
    return work;
  }

  /** A peer connected: compare manifests, and pull the catalog first. */
  addLink(link: NoteSyncLink): void {
    if (this.destroyed || this.links.has(link)) return;
    this.links.set(link, new LinkState());
    this.want(link, [CATALOG_DOC_ID], true);
    void this.sendManifest(link);
    this.refresh();
  }

  removeLink(link: NoteSyncLink): void {
    const state = this.links.get(link);
    if (!state) return;
    state.closed = true;
    for (const batch of state.batches) clearTimeout(batch.timer);
    if (state.roundTimer !== null) clearTimeout(state.roundTimer);
    if (state.stallTimer !== null) clearTimeout(state.stallTimer);
    this.links.delete(link);
    this.refresh();
  }

  /** A message from a peer (only this protocol's; see isNoteSyncMessage). */
  receive(link: NoteSyncLink, bytes: Uint8Array): void {
    const state = this.links.get(link);
    if (!state) return;
    state.heardAt = Date.now();
    const decoded = decodeNoteSyncMessage(bytes);
    if (!decoded.ok) {
      this.warn(`ignored a document sync message from a peer: ${decoded.reason}`);
      return;
    }
    state.work = state.work.then(() => (state.closed ? undefined : this.handle(link, state, decoded.message))).catch((error: unknown) => {
      this.warn(`document sync with a peer failed on a ${decoded.message.kind} message: ${errorMessage(error)}`);
    });
  }

  /** A local edit of an open document: to every peer now. */
  broadcast(docId: string, update: Uint8Array): void {
    this.relayed.add(keyOf(docId, update));
    this.trimRelayed();
    const message = encodeNoteSyncMessage({ kind: 'update', docId, update });
    for (const link of this.links.keys()) this.send(link, message);
  }

  /** Documents the member is looking at: pulled from every peer now, ahead of the background. */
  prioritize(docIds: string[]): void {
    for (const link of this.links.keys()) this.want(link, docIds, true);
  }

  /** Compares manifests with every peer again (after changes that did not travel live). */
  resync(): void {
    for (const link of this.links.keys()) void this.sendManifest(link);
  }

  /** The catalog changed: documents held because it did not list them may be listed now. */
  recheckHeld(): void {
    if (this.held.length === 0) return;
    const now = Date.now();
    const ready: DocUpdate[] = [];
    const keep: typeof this.held = [];
    for (const entry of this.held) {
      if (this.store.isListed(entry.docId)) ready.push(entry);
      else if (entry.until > now) keep.push(entry);
      else this.warn(`ignored a document from a peer that the catalog does not list: ${entry.docId}`);
    }
    this.held = keep;
    this.heldBytes = keep.reduce((sum, e) => sum + e.update.byteLength, 0);
    if (ready.length > 0) void this.applyListed(ready);
  }

  private async handle(link: NoteSyncLink, state: LinkState, message: NoteSyncMessage): Promise<void> {
    switch (message.kind) {
      case 'manifest': {
        const mine = await this.store.manifest();
        const differing: number[] = [];
        for (let bucket = 0; bucket < BUCKETS; bucket++) {
          const at = bucket * DIGEST_BYTES;
          if (!sameBytes(mine.subarray(at, at + DIGEST_BYTES), message.buckets.subarray(at, at + DIGEST_BYTES))) differing.push(bucket);
        }
        const docs = differing.length > 0 ? await this.store.bucketDocs(differing) : [];
        for (let from = 0; from < docs.length || from === 0; from += MAX_LISTED_DOCS) {
          const part = docs.slice(from, from + MAX_LISTED_DOCS);
          this.send(link, encodeNoteSyncMessage({ kind: 'bucket-docs', buckets: from === 0 ? differing : [], docs: part, final: from + MAX_LISTED_DOCS >= docs.length }));
        }
        // Pulls go one way per round: when the peer's round found differences, we run ours too.
        if (differing.length > 0 && !state.roundPending && state.queue.size === 0 && state.batches.size === 0) void this.sendManifest(link);
        return;
      }
      case 'bucket-docs': {
        if (message.docs.length > 0) {
          const buckets = [...new Set(message.docs.map((d) => bucketOf(d.docId)))];
          const mine = new Map((await this.store.bucketDocs(buckets)).map((d) => [d.docId, d.digest]));
          // Pulled even when our catalog does not list it yet (its entry may be on the way): held on arrival.
          const wanted = message.docs.filter((d) => {
            const digest = mine.get(d.docId);
            return !digest || !sameBytes(digest, d.digest);
          });
          this.want(link, wanted.map((d) => d.docId), false);
        }
        if (message.final) {
          state.roundPending = false;
          if (state.roundTimer !== null) clearTimeout(state.roundTimer);
          state.roundTimer = null;
        }
        this.refresh();
        return;
      }
      case 'pull': {
        const diffs = await this.store.diffs(message.requests);
        let part: DocUpdate[] = [];
        let bytes = 0;
        message.requests.forEach(({ docId }, i) => {
          const update = diffs[i]!;
          if (part.length > 0 && bytes + update.byteLength > DOCS_MESSAGE_BYTES) {
            this.send(link, encodeNoteSyncMessage({ kind: 'docs', updates: part }));
            part = [];
            bytes = 0;
          }
          part.push({ docId, update });
          bytes += update.byteLength;
        });
        if (part.length > 0) this.send(link, encodeNoteSyncMessage({ kind: 'docs', updates: part }));
        return;
      }
      case 'docs': {
        await this.applyFromPeer(message.updates);
        if (message.updates.some((u) => u.update.byteLength > 2)) this.resyncOthersSoon(link);
        for (const { docId } of message.updates) {
          for (const batch of state.batches) {
            if (batch.waiting.delete(docId) && batch.waiting.size === 0) {
              clearTimeout(batch.timer);
              state.batches.delete(batch);
            }
          }
        }
        this.pump(link);
        return;
      }
      case 'update': {
        const key = keyOf(message.docId, message.update);
        if (this.relayed.has(key)) return;
        this.relayed.add(key);
        this.trimRelayed();
        await this.applyFromPeer([{ docId: message.docId, update: message.update }]);
        // Relayed once, so a member reaches peers it has no direct link to.
        const relay = encodeNoteSyncMessage(message);
        for (const other of this.links.keys()) if (other !== link) this.send(other, relay);
        return;
      }
    }
  }

  /** Documents pulled from one peer may be news to the others: compare with them once pulls go quiet. */
  private resyncOthersSoon(source: NoteSyncLink): void {
    this.pulledFrom.add(source);
    const run = () => {
      this.othersTimer = null;
      const sources = this.pulledFrom;
      this.pulledFrom = new Set();
      for (const link of this.links.keys()) if (!sources.has(link) || sources.size > 1) void this.sendManifest(link);
      this.refresh();
    };
    // No wait at all (tests that replay a seed): compare with the others now, in order.
    if (this.options.resyncOthersAfterMs <= 0) return run();
    if (this.othersTimer !== null) clearTimeout(this.othersTimer);
    this.othersTimer = setTimeout(run, this.options.resyncOthersAfterMs);
    this.refresh();
  }

  private async applyFromPeer(updates: DocUpdate[]): Promise<void> {
    const listed: DocUpdate[] = [];
    for (const entry of updates) {
      if (entry.update.byteLength <= 2) continue; // an empty update: the peer had nothing we lacked
      if (this.store.isListed(entry.docId)) listed.push(entry);
      else this.hold(entry);
    }
    if (listed.length > 0) await this.applyListed(listed);
  }

  private async applyListed(updates: DocUpdate[]): Promise<void> {
    await this.store.apply(updates);
    this.emit('received', [[...new Set(updates.map((u) => u.docId))]]);
    if (updates.some((u) => u.docId === CATALOG_DOC_ID)) this.recheckHeld();
  }

  /** Keeps a document the catalog does not list yet, within bounds. */
  private hold(entry: DocUpdate): void {
    if (this.held.length >= MAX_HELD_DOCS || this.heldBytes + entry.update.byteLength > MAX_HELD_BYTES) {
      this.warn(`ignored a document from a peer that the catalog does not list: ${entry.docId}`);
      return;
    }
    this.held.push({ ...entry, until: Date.now() + this.options.unlistedHoldMs });
    this.heldBytes += entry.update.byteLength;
  }

  private async sendManifest(link: NoteSyncLink): Promise<void> {
    const state = this.links.get(link);
    if (!state) return;
    state.roundPending = true;
    if (state.roundTimer !== null) clearTimeout(state.roundTimer);
    state.roundTimer = setTimeout(() => {
      state.roundTimer = null;
      if (state.roundPending && !state.closed) void this.sendManifest(link);
    }, this.options.batchTimeoutMs / 4);
    this.watchForStall(link, state);
    this.refresh();
    try {
      const manifest = await this.track(this.store.manifest());
      if (manifest.byteLength !== MANIFEST_BYTES) throw new Error(`a manifest of ${manifest.byteLength} bytes`);
      this.send(link, encodeNoteSyncMessage({ kind: 'manifest', buckets: manifest }));
    } catch (error) {
      state.roundPending = false;
      this.warn(`could not compare documents with a peer: ${errorMessage(error)}`);
      this.refresh();
    }
  }

  private want(link: NoteSyncLink, docIds: string[], first: boolean): void {
    const state = this.links.get(link);
    if (!state || docIds.length === 0) return;
    if (first) {
      const rest = [...state.queue].filter((id) => !docIds.includes(id));
      state.queue.clear();
      for (const id of [...docIds, ...rest]) state.queue.add(id);
    } else for (const id of docIds) state.queue.add(id);
    this.pump(link, first ? docIds : []);
    this.refresh();
  }

  /** Sends pull batches while fewer than the limit are in flight; `urgent` ones go even over it. */
  private pump(link: NoteSyncLink, urgent: string[] = []): void {
    const state = this.links.get(link);
    if (!state) return;
    while (state.queue.size > 0 && (state.batches.size < this.options.maxBatchesInFlight || urgent.some((id) => state.queue.has(id)))) {
      const ids: string[] = [];
      for (const id of state.queue) {
        ids.push(id);
        if (ids.length >= this.options.batchSize) break;
      }
      for (const id of ids) state.queue.delete(id);
      const batch: Batch = {
        waiting: new Set(ids),
        timer: setTimeout(() => {
          state.batches.delete(batch);
          this.pump(link);
          this.refresh();
        }, this.options.batchTimeoutMs),
      };
      state.batches.add(batch);
      this.watchForStall(link, state);
      void this.track(this.store.stateVectors(ids)).then(
        (vectors) => this.send(link, encodeNoteSyncMessage({ kind: 'pull', requests: ids.map((docId, i) => ({ docId, stateVector: vectors[i]! })) })),
        (error: unknown) => {
          clearTimeout(batch.timer);
          state.batches.delete(batch);
          // Not given up: the documents go back in the queue and are asked for again a moment later.
          for (const id of ids) state.queue.add(id);
          this.warn(`could not ask a peer for documents, trying again: ${errorMessage(error)}`);
          setTimeout(() => !state.closed && this.pump(link), RETRY_PULL_MS);
          this.refresh();
        },
      );
    }
    this.refresh();
  }

  /** While we wait on a peer, checks that it sends something at least every `stallMs`. */
  private watchForStall(link: NoteSyncLink, state: LinkState): void {
    const stallMs = this.options.stallMs;
    if (stallMs <= 0 || state.stallTimer !== null) return;
    // Silence counts from when we started waiting, not from the last message of a peer that was idle.
    const since = Date.now();
    const check = () => {
      state.stallTimer = null;
      if (state.closed || !state.waiting) return;
      const quiet = Date.now() - Math.max(state.heardAt, since);
      if (quiet < stallMs) {
        state.stallTimer = setTimeout(check, stallMs - quiet);
        return;
      }
      this.warn(`a peer sent nothing for ${Math.round(quiet / 1000)} s while we waited on it; its connection is given up`);
      this.emit('stalled', [link]);
    };
    state.stallTimer = setTimeout(check, stallMs);
  }

  private send(link: NoteSyncLink, message: Uint8Array): void {
    try {
      link.send(message);
    } catch (error) {
      this.warn(`could not send to a peer: ${errorMessage(error)}`);
    }
  }

  private trimRelayed(): void {
    if (this.relayed.size <= RELAYED_MEMORY) return;
    for (const key of this.relayed) {
      this.relayed.delete(key);
      if (this.relayed.size <= RELAYED_MEMORY / 2) break;
    }
  }

  private refresh(): void {
    let pending = 0;
    // A comparison about to start counts: the member is not up to date until it ran.
    let syncing = this.othersTimer !== null && this.links.size > 1;
    for (const state of this.links.values()) {
      let waiting = 0;
      for (const batch of state.batches) waiting += batch.waiting.size;
      pending += state.queue.size + waiting;
      if (state.roundPending || state.queue.size > 0 || state.batches.size > 0) syncing = true;
    }
    const next = { peers: this.links.size, pending, syncing };
    const c = this.current;
    if (c.peers === next.peers && c.pending === next.pending && c.syncing === next.syncing) return;
    this.current = next;
    this.emit('status', [next]);
  }

  override destroy(): void {
    this.destroyed = true;
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    if (this.othersTimer !== null) clearTimeout(this.othersTimer);
    for (const link of [...this.links.keys()]) this.removeLink(link);
    super.destroy();
  }
}
