/**
 * Peer-to-peer sync of one space, in a member's window or in a headless host (given a WebRTC for Node).
 * y-webrtc finds the space's peers and opens one WebRTC connection to
 * each, in the room derived from the space secret and encrypted with it, signalling through this
 * host's server, the LAN servers the host discovered, the addresses remembered for the space
 * (invite hints, manual connections) and the space's rendezvous (wss://); never the public signalling
 * servers, no STUN, TURN only through the servers the space names (shared/relays.ts), and data channels
 * chunked so messages of any size arrive. y-webrtc's own document
 * carries presence only; the space's documents (the catalog and every note) travel on the same data
 * channels through document sync (shared/note-sync), so reconnecting costs what changed.
 *
 * Two guards around y-webrtc's connection setup: a server reached through several of our signalling
 * connections relays each message to each of them, and y-webrtc must see it once (isRelayedCopy);
 * and a WebRTC connection that has not opened within CONNECT_TIMEOUT_MS is given up, because
 * y-webrtc would otherwise keep it, and ignore the peer's announcements, for good. (Two peers offering
 * at once, glare, is dealt with where the channels are: chunked-webrtc.ts.)
 */
import { ObservableV2 } from 'lib0/observable';
import type { Provider, UserState } from '@lexical/yjs';
import type { WebrtcProvider } from 'y-webrtc';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { HostError, type HostApi, type SpaceRoom, type SyncInfo } from '../host-api';
import { isSignalingUrl } from '../net-address';
import { NoteSyncEngine, type NoteSyncLink, type NoteSyncStore } from '../note-sync/engine';
import { isNoteSyncMessage } from '../note-sync/protocol';
import type { AttachmentExchange, AttachmentLink } from '../attachments/attachment-exchange';
import { isAttachmentMessage } from '../attachments/attachment-protocol';
import { chunkedWrtc, type ChunkedDataChannel, type WrtcImplementation } from './chunked-webrtc';
import { peerMessageProblem } from './peer-message-guard';
import { errorMessage } from '../errors';
import { iceServersOf, NO_RELAYS, sameRelays, turnServerAddress, type SpaceRelays } from '../relays';

export type SyncState = 'offline' | 'syncing' | 'up-to-date';

export interface SyncStatus {
  state: SyncState;
  /** Peers with an open data channel. */
  peers: number;
  /** false when the member chose to work offline. */
  online: boolean;
  /** false until the space has a secret (shared or joined). */
  shared: boolean;
  /** Which key of the space this device syncs with: 1, then one more after each removal of a member. */
  epoch: number;
  /** When this window saw the key change (null if it has not). */
  keyChangedAt: number | null;
  /** This device was removed from the space: it keeps its notes and syncs no more. */
  removed: boolean;
  /** What keeps the space's relays from working, in words a member can act on (LAN sync goes on). */
  problems: string[];
}

export interface PresencePeer {
  clientId: number;
  name: string;
  color: string;
  noteId: string | null;
}

export interface Member {
  name: string;
  color: string;
}

const STATUS_POLL_MS = 300;
/** A relay's error is shown this long after it was last seen. */
const RELAY_PROBLEM_MS = 60_000;
/**
 * A WebRTC connection that has not opened its data channel this long after it was set up is given up
 * (both sides then announce themselves again and start over). Opening takes well under a second on a
 * LAN; without this, a connection whose other end is gone (closed before it sent a single ICE
 * candidate) waits for ever, and y-webrtc ignores the peer's announcements while it exists.
 */
export const CONNECT_TIMEOUT_MS = 10_000;
/** How long a signalling message is remembered to recognise its copies (they arrive within milliseconds). */
export const RELAYED_COPY_WINDOW_MS = 30_000;
/** Most signalling messages remembered at once (joining a peer takes a few dozen). */
export const RELAYED_COPY_MAX = 2048;
/** Characters of a message's payload that identify it: its random IV and the first bytes it encrypts. */
const RELAYED_COPY_KEY_CHARS = 64;
const wsUrl = (address: string) => `ws://${address}`;
const MAX_NAME_CHARS = 80;
const FALLBACK_COLOR = '#888888';

function noteOf(state: Record<string, unknown> | undefined): string | null {
  const data = state?.awarenessData as { noteId?: unknown } | undefined;
  return typeof data?.noteId === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(data.noteId) ? data.noteId : null;
}

/** A peer's name and colour as the page may show them: plain bounded text, and only a #rrggbb colour. */
export function safePresence(state: Record<string, unknown>): { name: string; color: string } {
  // Control characters out (no regex of them: lint forbids control characters in patterns).
  const name = typeof state.name === 'string' ? [...state.name].filter((c) => c >= ' ' && c !== '\u007f').join('').slice(0, MAX_NAME_CHARS) : '';
  const color = typeof state.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(state.color) ? state.color : FALLBACK_COLOR;
  return { name, color };
}

/**
 * Signalling messages seen lately, by topic, payload length and the start of the payload. y-webrtc
 * encrypts every publish with a fresh random 96-bit IV (written first), so two messages alike there
 * are one publish that reached us twice: a server reached through two of our connections (by
 * 127.0.0.1 and by the machine's LAN address, by an invite's address and by mDNS, ...) relays it to each.
 */
const recentSignals = new Map<string, number>();

/**
 * Whether a message from a signalling server is a copy of a publish already received through another
 * connection. y-webrtc must see each publish once: a second copy of an offer reaches the answering
 * connection before it has answered, so it is applied twice, its second answer fails, and the
 * connection is closed on one side while the other waits on it for good (see CONNECT_TIMEOUT_MS).
 */
export function isRelayedCopy(message: unknown, now = Date.now()): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const { type, topic, data } = message as { type?: unknown; topic?: unknown; data?: unknown };
  if (type !== 'publish' || typeof topic !== 'string' || typeof data !== 'string') return false;
  // Oldest first (insertion order): forget what is past the window, and the oldest past the cap.
  for (const [key, seen] of recentSignals) {
    if (now - seen <= RELAYED_COPY_WINDOW_MS && recentSignals.size < RELAYED_COPY_MAX) break;
    recentSignals.delete(key);
  }
  const key = `${topic}\n${data.length}\n${data.slice(0, RELAYED_COPY_KEY_CHARS)}`;
  if (recentSignals.has(key)) return true;
  recentSignals.set(key, now);
  return false;
}

/** A y-webrtc signalling connection (lib0's WebsocketClient), as far as PeerSync touches it. */
export interface SignalingConnection {
  emit(name: string, args: unknown[]): void;
}

const filteredConnections = new WeakSet<SignalingConnection>();

/**
 * Drops the copies of relayed messages on a y-webrtc signalling connection before y-webrtc reads
 * them. Connections are shared by every provider of the page (one per URL), and so is what they saw.
 */
export function dropRelayedCopies(connection: SignalingConnection): void {
  if (filteredConnections.has(connection)) return;
  filteredConnections.add(connection);
  const emit = connection.emit.bind(connection);
  connection.emit = (name, args) => {
    if (name === 'message' && isRelayedCopy(args[0])) return;
    emit(name, args);
  };
}

/**
 * Leaves the room and lets go of the signalling connections no other provider uses. y-webrtc keeps one
 * connection per URL for the whole page; disconnect() does not forget its list, and a second one would
 * take out of that table whatever connection has since been made for the URL, another space's perhaps.
 */
function disconnectProvider(provider: WebrtcProvider): void {
  provider.disconnect();
  provider.signalingConns = [];
}

/** Ends a provider: destroy() alone keeps its signalling connections open, so a rendezvous taken away would still hear the space's topics. */
function releaseProvider(provider: WebrtcProvider): void {
  disconnectProvider(provider);
  provider.destroy();
}

export class PeerSync {
  readonly awareness: Awareness;
  /** Document sync of the space's catalog and notes with every peer. */
  readonly engine: NoteSyncEngine;
  /** y-webrtc's own document: presence only (the space's documents travel through `engine`). */
  private readonly presenceDoc = new Y.Doc();
  private readonly links = new Map<ChunkedDataChannel, NoteSyncLink & AttachmentLink>();
  member: Member = { name: '', color: '#1971c2' };
  private provider: WebrtcProvider | null = null;
  private starting: Promise<void> | null = null;
  private room: SpaceRoom | null = null;
  private addresses: string[] = [];
  private info: SyncInfo = { lan: false, signalingUrls: [], addresses: [] };
  private online = true;
  private savedState: Record<string, unknown> | null = null;
  private destroyed = false;
  private current: SyncStatus = { state: 'offline', peers: 0, online: true, shared: false, epoch: 1, keyChangedAt: null, removed: false, problems: [] };
  /** `current` as text, to tell a change. */
  private currentText = JSON.stringify(this.current);
  private relays: SpaceRelays = NO_RELAYS;
  /** TURN servers' errors by URL: what went wrong, and when it was last seen. */
  private readonly turnProblems = new Map<string, { text: string; at: number; unreachable: boolean }>();
  /** When a TURN server last gave a relay candidate. */
  private relayGatheredAt = 0;
  /** Counts providers started, so a start overtaken by a stop (relays or key changed meanwhile) gives up. */
  private generation = 0;
  /** Who listens (lib0's registry: `status` events). */
  private readonly events = new ObservableV2<{ status: (status: SyncStatus) => void }>();
  private readonly cleanups: Array<() => void> = [];
  private readonly ready: Promise<void>;
  /** When each y-webrtc connection that has not opened yet was first seen. */
  private readonly opening = new WeakMap<object, number>();

  constructor(
    readonly spaceId: string,
    private readonly host: HostApi,
    store: NoteSyncStore,
    /** Attachments travel on the same channels (shared/attachments); told when peers come and go. */
    private readonly attachments?: { exchange: AttachmentExchange; peersChanged(): void },
    /** The WebRTC to use: the page's own unless given (a headless host passes a binding for Node). */
    private readonly webrtc?: WrtcImplementation,
  ) {
    this.engine = new NoteSyncEngine(store);
    this.engine.on('status', () => this.refreshStatus());
    this.engine.on('stalled', (link) => this.reconnect(link));
    this.awareness = new Awareness(this.presenceDoc);
    this.awareness.setLocalState({ name: '', color: this.member.color, awarenessData: { noteId: null }, focusing: false, anchorPos: null, focusPos: null });
    this.cleanups.push(host.on('sync.changed', (info) => this.setInfo(info)));
    this.cleanups.push(
      host.on('space.relays', (event) => {
        if (event.spaceId === spaceId) void this.ready.then(() => this.applyRelays(event.relays));
      }),
    );
    this.cleanups.push(
      host.on('space.key', (event) => {
        if (event.spaceId === spaceId) this.rekey().catch((error: unknown) => console.warn(`peer sync for space ${spaceId}: the new key could not be taken: ${errorMessage(error)}`));
      }),
    );
    this.ready = this.load();
    const timer = setInterval(() => this.refreshStatus(), STATUS_POLL_MS);
    this.cleanups.push(() => clearInterval(timer));
  }

  /** Reads the space's sharing record from the host, retrying (more slowly each time) until it answers. */
  private async load(): Promise<void> {
    for (let delay = 500; !this.destroyed; delay = Math.min(delay * 2, 10_000)) {
      try {
        const [sharing, info] = await Promise.all([
          this.host.call('space.sharing', { spaceId: this.spaceId, create: false }),
          this.host.call('sync.info', {}),
        ]);
        this.info = info;
        this.addresses = sharing.addresses;
        this.relays = sharing.relays;
        this.epoch = sharing.epoch;
        this.removed = sharing.removed;
        if (sharing.room) await this.startProvider(sharing.room);
        this.refreshStatus();
        return;
      } catch (error) {
        // Not connected yet is expected; anything else is worth a line in the console.
        if (!(error instanceof HostError && error.code === 'unavailable')) console.warn(`peer sync for space ${this.spaceId} waits: ${errorMessage(error)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private epoch = 1;
  private removed = false;
  private keyChangedAt: number | null = null;

  /** The space's key changed (or this device was removed): leave the old room, and join the new one. */
  private async rekey(): Promise<void> {
    await this.ready;
    const sharing = await this.host.call('space.sharing', { spaceId: this.spaceId, create: false });
    if (sharing.room?.name === this.room?.name && sharing.removed === this.removed) return;
    this.stopProvider();
    this.epoch = sharing.epoch;
    this.removed = sharing.removed;
    this.keyChangedAt = Date.now();
    this.addresses = sharing.addresses;
    this.relays = sharing.relays;
    if (sharing.room) await this.startProvider(sharing.room);
    else this.room = null;
    this.refreshStatus();
  }

  private stopProvider(): void {
    this.generation++;
    for (const link of this.links.values()) this.dropLink(link);
    this.links.clear();
    // y-webrtc clears this member's presence as it leaves the room; the next provider puts it back.
    if (this.provider && this.online) this.savedState = this.awareness.getLocalState() ?? this.savedState;
    if (this.provider) releaseProvider(this.provider);
    this.provider = null;
    this.starting = null;
  }

  private signalingUrls(): string[] {
    return [...new Set([...this.info.signalingUrls, ...this.addresses.map(wsUrl), ...this.relays.rendezvous])].filter(isSignalingUrl);
  }

  /**
   * The space's relays changed: other TURN servers need new connections, and so does a rendezvous taken
   * away (y-webrtc cannot drop one signalling server); a rendezvous added needs only new signalling.
   */
  private async applyRelays(relays: SpaceRelays): Promise<void> {
    if (sameRelays(relays, this.relays)) return;
    const turnChanged = !sameRelays({ ...relays, rendezvous: [] }, { ...this.relays, rendezvous: [] });
    const rendezvousRemoved = this.relays.rendezvous.some((url) => !relays.rendezvous.includes(url));
    this.relays = relays;
    this.turnProblems.clear();
    const room = this.room;
    if ((turnChanged || rendezvousRemoved) && this.provider && room) {
      this.stopProvider();
      await this.startProvider(room);
    } else this.updateSignaling();
    this.refreshStatus();
  }

  private async startProvider(room: SpaceRoom): Promise<void> {
    if (this.provider || this.destroyed) return;
    if (this.starting) return this.starting;
    const generation = this.generation;
    this.starting = (async () => {
      this.room = room;
      // y-webrtc (and simple-peer) load only for spaces that are shared, after the window has shown.
      const { WebrtcProvider } = await import('y-webrtc');
      if (this.destroyed || generation !== this.generation) return;
      // A channel may carry the peer's first message before its own open event reached us.
      const linkOf = (channel: ChunkedDataChannel): NoteSyncLink & AttachmentLink => {
        let link = this.links.get(channel);
        if (!link) {
          link = { send: (message) => channel.send(message), bufferedAmount: () => channel.bufferedAmount };
          this.links.set(channel, link);
          this.engine.addLink(link);
          this.attachments?.exchange.addLink(link);
          this.attachments?.peersChanged();
        }
        return link;
      };
      const wrtc = chunkedWrtc({
        base: this.webrtc,
        // y-webrtc may still act on a signal it was decrypting as this provider stopped (or went offline): such a
        // connection would use the old room's key and relays, and outlive it unseen.
        accepting: () => generation === this.generation && this.online,
        check: peerMessageProblem,
        intercept: (message, channel) => {
          if (isAttachmentMessage(message)) {
            if (channel.readyState === 'open' && this.attachments) this.attachments.exchange.receive(linkOf(channel), message);
            return true;
          }
          if (!isNoteSyncMessage(message)) return false;
          if (channel.readyState === 'open') this.engine.receive(linkOf(channel), message);
          return true;
        },
        onOpen: (channel) => void linkOf(channel),
        onIceError: (error) => this.noteIceError(error),
        onRelayCandidate: () => (this.relayGatheredAt = Date.now()),
        onClose: (channel) => {
          const link = this.links.get(channel);
          this.links.delete(channel);
          if (link) this.dropLink(link);
        },
      });
      const provider = new WebrtcProvider(room.name, this.presenceDoc, {
        signaling: this.signalingUrls(),
        password: room.password,
        awareness: this.awareness,
        // Connect over WebRTC even to tabs of the same browser, so what we test is what members get.
        filterBcConns: false,
        peerOpts: { config: { iceServers: iceServersOf(this.relays) }, wrtc },
      });
      this.provider = provider;
      this.filterSignaling();
      if (!this.online) disconnectProvider(provider);
      // Once the room is open (and the old one's leaving has cleared it), this member's presence as it was.
      void provider.key.then(() => {
        if (this.provider === provider && this.online && this.awareness.getLocalState() === null && this.savedState) this.restorePresence();
      });
      provider.on('peers', () => this.refreshStatus());
      this.refreshStatus();
    })();
    return this.starting;
  }

  private dropLink(link: NoteSyncLink): void {
    this.engine.removeLink(link);
    this.attachments?.exchange.removeLink(link);
    this.attachments?.peersChanged();
  }

  /** Adds newly known signalling servers without dropping the connections already open. */
  private updateSignaling(): void {
    const provider = this.provider;
    if (!provider) return;
    const urls = this.signalingUrls();
    if (urls.every((u) => provider.signalingUrls.includes(u))) return;
    provider.signalingUrls = [...new Set([...provider.signalingUrls, ...urls])];
    if (this.online) {
      // connect() opens a SignalingConn per URL (reusing open ones) and re-announces the room.
      provider.signalingConns = [];
      provider.connect();
      this.filterSignaling();
    }
  }

  /** Every signalling connection the provider uses sees each relayed message once (isRelayedCopy). */
  private filterSignaling(): void {
    for (const connection of (this.provider?.signalingConns ?? []) as SignalingConnection[]) dropRelayedCopies(connection);
  }

  /**
   * Closes the connection of a link whose peer stopped answering (the engine's `stalled`): y-webrtc
   * then forgets it, both sides announce themselves again, and they connect afresh.
   */
  private reconnect(link: NoteSyncLink): void {
    const channel = [...this.links].find(([, l]) => l === link)?.[0];
    if (!channel) return;
    this.links.delete(channel);
    this.dropLink(link);
    // simple-peer keeps its data channel as `_channel`: the connection to close is the one holding ours.
    const conns = this.provider?.room?.webrtcConns;
    const conn = conns ? [...conns.values()].find((c) => (c.peer as { _channel?: unknown })._channel === channel) : undefined;
    if (conn) conn.destroy();
    else channel.close();
  }

  /** Gives up WebRTC connections that have not opened within CONNECT_TIMEOUT_MS, so y-webrtc starts over. */
  private dropStalledConnections(): void {
    const conns = this.provider?.room?.webrtcConns;
    if (!conns || !this.online) return;
    const now = Date.now();
    for (const conn of conns.values()) {
      if (conn.connected || conn.closed) continue;
      const since = this.opening.get(conn);
      if (since === undefined) this.opening.set(conn, now);
      else if (now - since > CONNECT_TIMEOUT_MS) {
        console.warn(`peer sync for space ${this.spaceId}: a connection to a peer did not open in ${CONNECT_TIMEOUT_MS / 1000} s; starting over`);
        // y-webrtc forgets it on 'close' and announces this member again on every signalling server.
        this.opening.set(conn, Infinity);
        conn.destroy();
      }
    }
  }

  private setInfo(info: SyncInfo): void {
    this.info = info;
    this.updateSignaling();
  }

  /** Shares the space: a space never shared before gets its key now (and this member becomes its owner), and syncs. */
  async share(): Promise<void> {
    await this.ready;
    const [sharing, info] = await Promise.all([
      this.host.call('space.sharing', { spaceId: this.spaceId, create: true }),
      this.host.call('sync.info', {}),
    ]);
    this.info = info;
    if (!sharing.room) throw new Error(sharing.removed ? 'This device was removed from this space.' : 'This space could not be shared.');
    await this.startProvider(sharing.room);
  }

  /** The space's rendezvous and TURN servers on this device. */
  async savedRelays(): Promise<SpaceRelays> {
    await this.ready;
    return this.relays;
  }

  /** Sets the space's relays on this device (its host tells every window, this one included). */
  async saveRelays(relays: SpaceRelays): Promise<void> {
    const saved = await this.host.call('space.setRelays', { spaceId: this.spaceId, relays });
    await this.applyRelays(saved.relays);
  }

  /** "Connect to address": remembers host:port for this space and signals through it. */
  async connectTo(address: string): Promise<void> {
    const { addresses } = await this.host.call('space.addAddress', { spaceId: this.spaceId, address });
    this.addresses = addresses;
    this.updateSignaling();
  }

  /** Work offline (false) or look for peers again (true). */
  setOnline(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    // y-webrtc clears our awareness state when it disconnects; keep it to restore on reconnect.
    const localState = this.awareness.getLocalState();
    if (this.provider) {
      if (online) {
        this.provider.signalingConns = [];
        this.provider.connect();
        this.filterSignaling();
      } else {
        disconnectProvider(this.provider);
      }
    }
    if (online) this.restorePresence();
    else this.savedState = localState;
    this.refreshStatus();
  }

  /** This member's presence as it was before y-webrtc cleared it (going offline, leaving a room), with what is current kept. */
  private restorePresence(): void {
    this.awareness.setLocalState({ ...(this.savedState ?? {}), ...(this.awareness.getLocalState() ?? {}), ...this.member });
  }

  /** This member's name and colour, as peers see them. */
  setMember(member: Member): void {
    this.member = member;
    const state = this.awareness.getLocalState() ?? {};
    if (state.name !== member.name || state.color !== member.color) this.awareness.setLocalState({ ...state, ...member });
  }

  status(): SyncStatus {
    return this.current;
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.events.on('status', listener);
    listener(this.current);
    return () => this.events.off('status', listener);
  }

  /** A TURN server the space names refused us or could not be reached (WebRTC's icecandidateerror). */
  private noteIceError(error: { url: string; errorCode: number; errorText: string }): void {
    // WebRTC names the server with its port and the transport it tried (turn:host:3478?transport=udp).
    const address = turnServerAddress(error.url);
    const server = this.relays.turn.find((t) => address !== null && turnServerAddress(t.url) === address);
    if (!server) return;
    const unreachable = error.errorCode === 701;
    const text =
      error.errorCode === 401 || error.errorCode === 403 || error.errorCode === 441
        ? `The TURN server ${server.url} refused this space's username or password.`
        : unreachable
          ? `Cannot reach the TURN server ${server.url}.`
          : `The TURN server ${server.url} answered with an error (${error.errorCode} ${error.errorText.slice(0, 80)}).`;
    this.turnProblems.set(server.url, { text, at: Date.now(), unreachable });
  }

  /** What keeps the relays from working: rendezvous that do not answer, TURN servers that failed lately. */
  private relayProblems(): string[] {
    if (!this.online || !this.provider) return [];
    const problems: string[] = [];
    for (const url of this.relays.rendezvous) {
      const conn = (this.provider.signalingConns as Array<{ url: string; connected: boolean; unsuccessfulReconnects: number }>).find((c) => c.url === url);
      if (conn && !conn.connected && conn.unsuccessfulReconnects > 0) problems.push(`Cannot reach the rendezvous ${url}.`);
    }
    const now = Date.now();
    for (const [url, problem] of this.turnProblems) {
      if (now - problem.at > RELAY_PROBLEM_MS) this.turnProblems.delete(url);
      // One interface failing to reach the server (701) while another got a relay candidate is no problem.
      else if (!problem.unreachable || now - this.relayGatheredAt > RELAY_PROBLEM_MS) problems.push(problem.text);
    }
    return problems;
  }

  private refreshStatus(): void {
    this.dropStalledConnections();
    // Closing a peer connection closes its channels without a close event: let go of those links here.
    for (const [channel, link] of this.links) {
      if (channel.readyState !== 'closed' && channel.readyState !== 'closing') continue;
      this.links.delete(channel);
      this.dropLink(link);
    }
    const documents = this.engine.status();
    const peers = this.online ? documents.peers : 0;
    const state: SyncState = peers === 0 ? 'offline' : documents.syncing ? 'syncing' : 'up-to-date';
    const next: SyncStatus = { state, peers, online: this.online, shared: this.room !== null, epoch: this.epoch, keyChangedAt: this.keyChangedAt, removed: this.removed, problems: this.relayProblems() };
    // A few small fields, read every 300 ms: compared as text with the last one sent.
    const text = JSON.stringify(next);
    if (text === this.currentText) return;
    this.currentText = text;
    this.current = next;
    this.events.emit('status', [next]);
  }

  /** Other members in this space now, with the note each has open. */
  presence(): PresencePeer[] {
    const peers: PresencePeer[] = [];
    this.awareness.getStates().forEach((state, clientId) => {
      if (clientId === this.awareness.clientID || typeof state.name !== 'string') return;
      peers.push({ clientId, ...safePresence(state), noteId: noteOf(state) });
    });
    return peers.sort((a, b) => a.name.localeCompare(b.name) || a.clientId - b.clientId);
  }

  onPresence(listener: () => void): () => void {
    this.awareness.on('change', listener);
    return () => this.awareness.off('change', listener);
  }

  /**
   * A @lexical/yjs provider for one note's editor: its awareness shows only peers on that note, not
   * this window (@lexical/yjs leaves out only the note document's client, and this window's presence
   * lives in the space's awareness under another id: left in, its own caret would be drawn).
   */
  noteProvider(noteId: string): Provider {
    const awareness = this.awareness;
    return {
      awareness: {
        getLocalState: () => awareness.getLocalState() as UserState | null,
        getStates: () => {
          const states = new Map<number, UserState>();
          awareness.getStates().forEach((state, clientId) => {
            // Cursors are drawn from these: a peer's name and colour reach the page only once checked.
            if (clientId !== awareness.clientID && noteOf(state) === noteId) states.set(clientId, { ...state, ...safePresence(state) } as UserState);
          });
          return states;
        },
        on: (_type, cb) => awareness.on('update', cb),
        off: (_type, cb) => awareness.off('update', cb),
        setLocalState: (state) => awareness.setLocalState(state),
        setLocalStateField: (field, value) => awareness.setLocalStateField(field, value),
      },
      connect: () => {},
      disconnect: () => {},
      on: () => {},
      off: () => {},
    };
  }

  destroy(): void {
    this.destroyed = true;
    this.generation++;
    for (const cleanup of this.cleanups) cleanup();
    if (this.provider) releaseProvider(this.provider);
    this.provider = null;
    this.engine.destroy();
    this.links.clear();
    this.awareness.destroy();
    this.presenceDoc.destroy();
  }
}
