/**
 * The host's own client of signalling servers (the same pub/sub y-webrtc speaks: subscribe, publish),
 * for what must happen without a window: a joiner proving an invite token and a member answering it
 * with the space key sealed for the joiner. Topics and messages are derived from and encrypted with
 * secrets only the parties hold (member-crypto.ts), so a server relays what it cannot read.
 */
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
  private readonly seen = new Set<string>();
  private closed = false;

  constructor(private readonly onMessage: (topic: string, data: string) => void) {}

  /** Connects to these servers (ws:// URLs) and lets go of the others. */
  setServers(urls: string[]): void {
    if (this.closed) return;
    const wanted = new Set(urls);
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

  /** The topics to listen on, on every server. */
  setTopics(topics: Iterable<string>): void {
    this.topics = new Set(topics);
    for (const connection of this.connections.values()) this.subscribe(connection);
  }

  /** Sends `data` to every other subscriber of `topic` on every server. */
  publish(topic: string, data: string): void {
    this.seen.add(data);
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
    this.seen.add(data);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
    try {
      this.onMessage(topic, data);
    } catch (error) {
      logger.warn(`rendezvous: a message could not be handled: ${errorMessage(error)}`);
    }
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
