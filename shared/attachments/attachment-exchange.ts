/**
 * Attachments between members: a member asks its peers for a file by its SHA-256, one peer at a
 * time, and fetches it in chunks, each checked against the SHA-256 that peer listed for it; the host
 * checks the whole file against its name before keeping it. A peer whose bytes do not match is
 * passed over for that file and the next one is asked. Files a member is looking at are fetched
 * first; the rest of what the space's notes show follows in the background, one file at a time.
 * Pure (no DOM): the renderer runs it on its data channels, and a headless peer can.
 */
import { ObservableV2 } from 'lib0/observable';
import { errorMessage } from '../errors';
import { ATTACHMENT_CHUNK_BYTES, chunkCount, toHex } from './attachment';
import { decodeAttachmentMessage, encodeAttachmentMessage, type AttachmentMessage } from './attachment-protocol';

/** This device's side: the host's attachment store, and SHA-256 (WebCrypto in a page, node:crypto in Node). */
export interface AttachmentSource {
  chunks(hash: string): Promise<{ size: number; hashes: Uint8Array } | null>;
  read(hash: string, offset: number, length: number): Promise<Uint8Array>;
  /** Writes a chunk; true once the file is stored; throws when the whole file does not match its hash. */
  write(hash: string, size: number, offset: number, bytes: Uint8Array): Promise<boolean>;
  has(hash: string): Promise<boolean>;
  sha256(bytes: Uint8Array): Promise<Uint8Array>;
}

export interface AttachmentLink {
  send(message: Uint8Array): void;
  /** Bytes this link holds that the peer has not taken yet (a data channel's own queue), when it can say. */
  bufferedAmount?(): number;
}

export type FetchState =
  | { state: 'fetching'; received: number; size: number }
  | { state: 'unavailable'; at: number }
  | { state: 'stored' };

export interface AttachmentExchangeEvents {
  /** A file's fetch moved on (progress, stored, or no peer had it). */
  state: (hash: string, state: FetchState) => void;
}

export interface AttachmentExchangeOptions {
  warn?: (message: string) => void;
  /** How long a peer has to answer a WANT or a GET before it is passed over. */
  answerTimeoutMs?: number;
  /** Chunks asked for at once from one peer. */
  chunksInFlight?: number;
  /** Largest file this device keeps (a larger one a peer offers is not fetched, and that is no fault of the peer's). */
  limit?: () => number;
}

/** Requests a peer may have waiting for answers; more are dropped (a peer that asks faster than disks read). */
const MAX_SERVING_QUEUE = 64;
/** A chunk is read for a peer only while its link holds less than this unsent (a peer that reads slowly cannot fill memory). */
const MAX_SERVING_BUFFER_BYTES = 4 * 1024 * 1024;
/** How long serving waits for a slow peer's link to drain before dropping its request. */
const DRAIN_WAIT_MS = 30_000;
/** A file no peer had is asked for again (on a peer's `got`, or in the background) only after this. */
const RETRY_UNAVAILABLE_MS = 30_000;

/** A peer's bytes were wrong (`whole`: every chunk matched its list, and the file did not match its name). */
class PeerFailed extends Error {
  constructor(
    message: string,
    readonly whole = false,
  ) {
    super(message);
  }
}

export class AttachmentExchange extends ObservableV2<AttachmentExchangeEvents> {
  private readonly links = new Set<AttachmentLink>();
  private readonly answers = new Map<AttachmentLink, Map<string, (message: AttachmentMessage | null) => void>>();
  private readonly serving = new Map<AttachmentLink, { queue: number; chain: Promise<void> }>();
  private readonly fetching = new Map<string, Promise<boolean>>();
  private readonly states = new Map<string, FetchState>();
  /** Peers whose bytes did not match a file: not asked for that file again. */
  private readonly badPeers = new Map<string, WeakSet<AttachmentLink>>();
  private readonly background: string[] = [];
  /** When a peer last said it got each file (a peer repeating it does not start a fetch each time). */
  private readonly gotAt = new Map<string, number>();
  private backgroundRunning = false;
  private destroyed = false;
  private readonly warn: (message: string) => void;
  private readonly timeoutMs: number;
  private readonly inFlight: number;
  private readonly limit: (() => number) | undefined;

  constructor(
    private readonly source: AttachmentSource,
    options: AttachmentExchangeOptions = {},
  ) {
    super();
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.timeoutMs = options.answerTimeoutMs ?? 15_000;
    this.inFlight = options.chunksInFlight ?? 8;
    this.limit = options.limit;
  }

  addLink(link: AttachmentLink): void {
    this.links.add(link);
    void this.runBackground();
  }

  removeLink(link: AttachmentLink): void {
    this.links.delete(link);
    for (const resolve of this.answers.get(link)?.values() ?? []) resolve(null);
    this.answers.delete(link);
    this.serving.delete(link);
  }

  get peers(): number {
    return this.links.size;
  }

  /** Where a file's fetch stands (undefined when it was never asked for). */
  state(hash: string): FetchState | undefined {
    return this.states.get(hash);
  }

  /** Sends on a link that may be closing: a failed send is a peer that went away, never an error here. */
  private send(link: AttachmentLink, message: AttachmentMessage): boolean {
    try {
      link.send(encodeAttachmentMessage(message));
      return true;
    } catch {
      return false;
    }
  }

  private setState(hash: string, state: FetchState): void {
    this.states.set(hash, state);
    this.emit('state', [hash, state]);
  }

  receive(link: AttachmentLink, bytes: Uint8Array): void {
    const decoded = decodeAttachmentMessage(bytes);
    if (!decoded.ok) {
      this.warn(`attachments: refused a message from a peer: ${decoded.reason}`);
      return;
    }
    const message = decoded.message;
    switch (message.kind) {
      case 'want':
      case 'get':
        this.serve(link, message);
        return;
      case 'got': {
        // A file someone here waits for (shown, or wanted in the background) has reached a peer: fetch it now (once a while).
        const state = this.states.get(message.hash);
        const waiting = state?.state === 'unavailable' || (state === undefined && this.background.includes(message.hash));
        if (waiting && !this.fetching.has(message.hash) && (this.gotAt.get(message.hash) ?? 0) + 1000 < Date.now()) {
          this.gotAt.set(message.hash, Date.now());
          void this.fetch(message.hash, link);
        }
        return;
      }
      default: {
        const key = message.kind === 'chunk' ? `${message.hash}:${message.index}` : message.hash;
        const resolve = this.answers.get(link)?.get(key);
        if (!resolve) return; // Not asked for (or asked too long ago): ignored.
        this.answers.get(link)!.delete(key);
        resolve(message);
      }
    }
  }

  private serve(link: AttachmentLink, message: Extract<AttachmentMessage, { kind: 'want' | 'get' }>): void {
    let serving = this.serving.get(link);
    if (!serving) this.serving.set(link, (serving = { queue: 0, chain: Promise.resolve() }));
    if (serving.queue >= MAX_SERVING_QUEUE) {
      this.warn('attachments: a peer asked for more than can be served at once; dropped a request');
      return;
    }
    serving.queue++;
    const current = serving;
    current.chain = current.chain
      .then(async () => {
        try {
          if (!this.links.has(link) || !(await this.drained(link))) return;
          if (message.kind === 'want') {
            const list = await this.source.chunks(message.hash);
            this.send(link, list ? { kind: 'have', hash: message.hash, size: list.size, chunkHashes: list.hashes } : { kind: 'lack', hash: message.hash });
          } else {
            const bytes = await this.source.read(message.hash, message.index * ATTACHMENT_CHUNK_BYTES, ATTACHMENT_CHUNK_BYTES);
            this.send(link, { kind: 'chunk', hash: message.hash, index: message.index, bytes });
          }
        } catch (error) {
          this.send(link, { kind: 'lack', hash: message.hash });
          this.warn(`attachments: could not serve ${message.hash.slice(0, 12)}: ${errorMessage(error)}`);
        } finally {
          current.queue--;
        }
      })
      .catch(() => {});
  }

  /** Waits until a link has sent most of what it holds; false when it did not drain in time (the request is dropped). */
  private async drained(link: AttachmentLink): Promise<boolean> {
    const deadline = Date.now() + DRAIN_WAIT_MS;
    while ((link.bufferedAmount?.() ?? 0) > MAX_SERVING_BUFFER_BYTES) {
      if (Date.now() > deadline || !this.links.has(link) || this.destroyed) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }

  private ask(link: AttachmentLink, key: string, message: AttachmentMessage): Promise<AttachmentMessage | null> {
    let waiting = this.answers.get(link);
    if (!waiting) this.answers.set(link, (waiting = new Map()));
    const pending = waiting;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (pending.get(key) === done) pending.delete(key);
        resolve(null);
      }, this.timeoutMs);
      const done = (answer: AttachmentMessage | null) => {
        clearTimeout(timer);
        resolve(answer);
      };
      pending.set(key, done);
      if (!this.send(link, message)) {
        pending.delete(key);
        done(null);
      }
    });
  }

  /**
   * Fetches a file from whichever peer has it (now, ahead of the background). Resolves true once it is
   * stored on this device, false when no peer connected now could give it.
   */
  fetch(hash: string, first?: AttachmentLink): Promise<boolean> {
    let running = this.fetching.get(hash);
    if (!running) {
      running = this.fetchFromPeers(hash, first)
        .catch((error: unknown) => {
          this.warn(`attachments: fetching ${hash.slice(0, 12)} failed: ${errorMessage(error)}`);
          this.setState(hash, { state: 'unavailable', at: Date.now() });
          return false;
        })
        .finally(() => this.fetching.delete(hash));
      this.fetching.set(hash, running);
    }
    return running;
  }

  /** Tells every peer that this device now has a file (those waiting for it fetch it at once). */
  announce(hash: string): void {
    for (const link of this.links) this.send(link, { kind: 'got', hash });
  }

  /** Files to fetch in the background, one at a time, while peers are connected. */
  want(hashes: Iterable<string>): void {
    const now = Date.now();
    for (const hash of hashes) {
      const state = this.states.get(hash);
      // Nobody had it a moment ago: a peer's `got` or a later round asks again.
      if (state?.state === 'unavailable' && now - state.at < RETRY_UNAVAILABLE_MS) continue;
      if (!this.background.includes(hash)) this.background.push(hash);
    }
    void this.runBackground();
  }

  private async runBackground(): Promise<void> {
    if (this.backgroundRunning) return;
    this.backgroundRunning = true;
    try {
      while (!this.destroyed && this.links.size > 0 && this.background.length > 0) {
        const hash = this.background[0]!;
        const stored = await this.fetch(hash);
        // Fetched, or nobody connected has it (asked again when `want` names it after a new peer came).
        this.background.shift();
        if (!stored && this.links.size === 0) this.background.unshift(hash);
      }
    } finally {
      this.backgroundRunning = false;
    }
  }

  private async fetchFromPeers(hash: string, first?: AttachmentLink): Promise<boolean> {
    if (await this.source.has(hash)) {
      this.setState(hash, { state: 'stored' });
      return true;
    }
    const bad = this.badPeers.get(hash);
    // Chunks a refused peer wrote stay in the host's partial file; the next peer's whole may then fail
    // through no fault of its own, so it is given one more try from scratch (the host dropped the file).
    let tainted = false;
    // The peer that said it has the file is asked first.
    const links = first && this.links.has(first) ? [first, ...[...this.links].filter((l) => l !== first)] : [...this.links];
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      if (this.destroyed) return false;
      if (bad?.has(link) || !this.links.has(link)) continue;
      try {
        if (await this.fetchFrom(link, hash)) {
          this.setState(hash, { state: 'stored' });
          return true;
        }
        // A peer that went quiet may have left chunks checked only against its own list.
        tainted = true;
      } catch (error) {
        if (!(error instanceof PeerFailed)) throw error;
        if (error.whole && tainted) {
          tainted = false;
          i--;
          continue;
        }
        tainted = !error.whole;
        this.warn(`attachments: a peer's copy of ${hash.slice(0, 12)} was refused (${error.message}); asking another`);
        let set = this.badPeers.get(hash);
        if (!set) this.badPeers.set(hash, (set = new WeakSet()));
        set.add(link);
      }
    }
    this.setState(hash, { state: 'unavailable', at: Date.now() });
    return false;
  }

  /** Fetches a file from one peer: true when stored, false when the peer lacks it or went quiet; PeerFailed when its bytes were wrong. */
  private async fetchFrom(link: AttachmentLink, hash: string): Promise<boolean> {
    const have = await this.ask(link, hash, { kind: 'want', hash });
    if (!have || have.kind !== 'have') return false;
    const { size, chunkHashes } = have;
    if (this.limit && size > this.limit()) return false;
    const total = chunkCount(size);
    let next = 0;
    let received = 0;
    let stored = false;
    let stopped = false;
    this.setState(hash, { state: 'fetching', received: 0, size });
    const work = async (): Promise<void> => {
      while (next < total && !stored && !stopped) {
        const index = next++;
        const answer = await this.ask(link, `${hash}:${index}`, { kind: 'get', hash, index });
        if (!answer || answer.kind !== 'chunk') throw new PeerQuiet();
        const expected = Math.min(ATTACHMENT_CHUNK_BYTES, size - index * ATTACHMENT_CHUNK_BYTES);
        if (answer.bytes.byteLength !== expected) throw new PeerFailed(`chunk ${index} has ${answer.bytes.byteLength} bytes, not ${expected}`);
        const digest = toHex(await this.source.sha256(answer.bytes));
        if (digest !== toHex(chunkHashes.subarray(index * 32, index * 32 + 32))) throw new PeerFailed(`chunk ${index} does not match its SHA-256`);
        try {
          if (await this.source.write(hash, size, index * ATTACHMENT_CHUNK_BYTES, answer.bytes)) stored = true;
        } catch (error) {
          // Every chunk matched the list, and the whole does not match the name: the list was made up.
          throw new PeerFailed(errorMessage(error), true);
        }
        received += answer.bytes.byteLength;
        if (!stored) this.setState(hash, { state: 'fetching', received, size });
      }
    };
    // The first failure stops every worker of this peer.
    const worker = () =>
      work().catch((error: unknown) => {
        stopped = true;
        throw error;
      });
    // Every worker settles before the next peer is tried: a late chunk of this one must not land in that one's file.
    const results = await Promise.allSettled(Array.from({ length: Math.min(this.inFlight, total) }, worker));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown;
    if (failure !== undefined) {
      if (failure instanceof PeerQuiet) return this.source.has(hash);
      throw failure;
    }
    return stored || this.source.has(hash);
  }

  override destroy(): void {
    this.destroyed = true;
    for (const link of [...this.links]) this.removeLink(link);
    super.destroy();
  }
}

class PeerQuiet extends Error {}
