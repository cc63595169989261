/**
 * The host's own client of signalling servers (the same pub/sub y-webrtc speaks: subscribe, publish),
 * for what must happen without a window: a joiner proving an invite token and a member answering it
 * with the space key sealed for the joiner. Topics and messages are derived from and encrypted with
 * secrets only the parties hold (member-crypto.ts), so a server relays what it cannot read.
 */
import { ObservableV2 } from 'lib0/observable';
import { WebSocket } from 'ws';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Messages remembered to drop the copies that arrive through a second server. */
const SEEN_MAX = 1024;

interface Connection {
  url: string;
  socket: WebSocket | null;
  retryMs: number;
  timer: ReturnType<typeof setTimeout> | null;
  subscribed: Set<string>;
}

export class Rendezvous {
  private readonly connections = new Map<string, Connection>();
  private topics = new Set<string>();
  /** Topics by who listens to them (invites, key epochs): all of them are subscribed. */
  private readonly groups = new Map<string, Set<string>>();
  private readonly seen = new Set<string>();
  private closed = false;

  /** Who listens for messages (lib0's registry: `message` events). */
  private readonly events = new ObservableV2<{ message: (topic: string, data: string) => void }>();

  /** Called with every message that arrives on a subscribed topic (once, whichever server it came through). */
  onMessage(handler: (topic: string, data: string) => void): () => void {
    // One listener that throws must not keep the message from the others.
    const safe = (topic: string, data: string) => {
      try {
        handler(topic, data);
      } catch (error) {
        logger.warn(`rendezvous: a message could not be handled: ${errorMessage(error)}`);
      }
    };
    this.events.on('message', safe);
    return () => this.events.off('message', safe);
  }

  private base: string[] = [];
  /** Servers added for a while (an invite's addresses while it is redeemed), counted. */
  private readonly extra = new Map<string, number>();

  /** The servers to stay connected to: this host's own and those it discovered or remembers. */
  setServers(urls: string[]): void {
    this.base = urls;
    this.applyServers();
  }

  /** Connects to more servers until the returned function is called. */
  addServers(urls: string[]): () => void {
    for (const url of urls) this.extra.set(url, (this.extra.get(url) ?? 0) + 1);
    this.applyServers();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const url of urls) {
        const count = (this.extra.get(url) ?? 1) - 1;
        if (count > 0) this.extra.set(url, count);
        else this.extra.delete(url);
      }
      this.applyServers();
    };
  }

  private applyServers(): void {
    if (this.closed) return;
    const wanted = new Set([...this.base, ...this.extra.keys()]);
    for (const [url, connection] of this.connections) {
      if (wanted.has(url)) continue;
      this.connections.delete(url);
      if (connection.timer) clearTimeout(connection.timer);
      connection.socket?.close();
    }
    for (const url of wanted) {
      if (this.connections.has(url)) continue;
      const connection: Connection = { url, socket: null, retryMs: RETRY_FIRST_MS, timer: null, subscribed: new Set() };
      this.connections.set(url, connection);
      this.connect(connection);
    }
  }

  /** The topics one listener wants, on every server (the union of every listener's is subscribed). */
  setTopics(group: string, topics: Iterable<string>): void {
    this.groups.set(group, new Set(topics));
    this.topics = new Set([...this.groups.values()].flatMap((set) => [...set]));
    for (const connection of this.connections.values()) this.subscribe(connection);
  }

  /** Sends `data` to every other subscriber of `topic` on every server. */
  publish(topic: string, data: string): void {
    this.remember(data);
    for (const { socket } of this.connections.values()) {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'publish', topic, data }));
    }
  }

  /** Whether any server is connected. */
  get connected(): boolean {
    return [...this.connections.values()].some((c) => c.socket?.readyState === WebSocket.OPEN);
  }

  private connect(connection: Connection): void {
    if (this.closed || this.connections.get(connection.url) !== connection) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(connection.url, { handshakeTimeout: 5000, maxPayload: 64 * 1024 });
    } catch (error) {
      logger.warn(`rendezvous: ${connection.url} is not a server address: ${errorMessage(error)}`);
      return;
    }
    connection.socket = socket;
    connection.subscribed = new Set();
    socket.on('open', () => {
      connection.retryMs = RETRY_FIRST_MS;
      this.subscribe(connection);
    });
    socket.on('message', (raw) => this.receive(raw.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (connection.socket !== socket) return;
      connection.socket = null;
      if (this.closed || this.connections.get(connection.url) !== connection) return;
      connection.timer = setTimeout(() => {
        connection.timer = null;
        this.connect(connection);
      }, connection.retryMs);
      connection.timer.unref?.();
      connection.retryMs = Math.min(connection.retryMs * 2, RETRY_MAX_MS);
    });
  }

  private subscribe(connection: Connection): void {
    const socket = connection.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    const add = [...this.topics].filter((t) => !connection.subscribed.has(t));
    const drop = [...connection.subscribed].filter((t) => !this.topics.has(t));
    if (add.length > 0) socket.send(JSON.stringify({ type: 'subscribe', topics: add }));
    if (drop.length > 0) socket.send(JSON.stringify({ type: 'unsubscribe', topics: drop }));
    connection.subscribed = new Set(this.topics);
  }

  private receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const { type, topic, data } = message as { type?: unknown; topic?: unknown; data?: unknown };
    if (type !== 'publish' || typeof topic !== 'string' || typeof data !== 'string' || !this.topics.has(topic)) return;
    // The same message through a second server (or our own, echoed) is handled once.
    if (this.seen.has(data)) return;
    this.remember(data);
    this.events.emit('message', [topic, data]);
  }

  /** Remembers a message (sent or received) to drop its copies; the oldest are forgotten first. */
  private remember(data: string): void {
    this.seen.add(data);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
  }

  close(): void {
    this.closed = true;
    for (const connection of this.connections.values()) {
      if (connection.timer) clearTimeout(connection.timer);
      connection.socket?.close();
    }
    this.connections.clear();
  }
}
