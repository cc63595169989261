/**
 * A signalling server for y-webrtc peers on the LAN: speaks y-webrtc's protocol (subscribe,
 * unsubscribe, publish, ping→pong) over WebSocket and relays a publish only to the other subscribers
 * of the same topic. Topics are hashes of space secrets, so it serves only what a secret unlocks; it
 * never sees plain content (y-webrtc encrypts signalling with the space secret). Every limit below
 * exists because any device on the network may connect and send anything.
 */
import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { logger } from './logger';

/** Connections one address may hold at once (each window of each member needs one). */
const MAX_CLIENTS_PER_ADDRESS = 64;
import { listen } from './listen';

export interface SignalingLimits {
  /** Largest message accepted; signalling carries encrypted SDP offers of a few KiB. */
  maxMessageBytes: number;
  /** Topics one connection may subscribe to. */
  maxTopicsPerClient: number;
  /** Topics the server tracks in all. */
  maxTopics: number;
  /** Concurrent connections. */
  maxClients: number;
  /** Longest topic name (ours are 64 hex characters). */
  maxTopicLength: number;
  /** Messages one connection may send per second before it is closed. */
  maxMessagesPerSecond: number;
}

export const DEFAULT_SIGNALING_LIMITS: SignalingLimits = {
  maxMessageBytes: 64 * 1024,
  maxTopicsPerClient: 256,
  maxTopics: 8192,
  maxClients: 512,
  maxTopicLength: 128,
  maxMessagesPerSecond: 500,
};

export interface SignalingServerOptions {
  port: number;
  /** Address to listen on: '0.0.0.0' for the LAN, '127.0.0.1' for this machine only. */
  host: string;
  /** Take a free port if `port` is in use. */
  fallbackToFreePort?: boolean;
  limits?: Partial<SignalingLimits>;
  /** How often dead connections are detected (ms). */
  pingIntervalMs?: number;
}

export interface SignalingServer {
  port: number;
  host: string;
  /** host:port for every address the server can be reached at (loopback included). */
  addresses(): string[];
  /** Topics currently subscribed (for tests and diagnostics). */
  topicCount(): number;
  close(): Promise<void>;
}

interface Client {
  socket: WebSocket;
  topics: Set<string>;
  alive: boolean;
  windowStart: number;
  windowCount: number;
}

/** The IPv4 addresses of this machine's interfaces that are up, loopback first. */
export function localIPv4Addresses(): string[] {
  const found: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.address.startsWith('169.254.')) found.push(info.address);
    }
  }
  return found.sort((a, b) => Number(!a.startsWith('127.')) - Number(!b.startsWith('127.')) || a.localeCompare(b));
}

export async function startSignalingServer(options: SignalingServerOptions): Promise<SignalingServer> {
  const limits = { ...DEFAULT_SIGNALING_LIMITS, ...options.limits };
  const topics = new Map<string, Set<Client>>();
  const clients = new Set<Client>();
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('Commonplace signalling: WebSocket only');
  });
  const wss = new WebSocketServer({ server: http, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });

  const send = (client: Client, message: unknown) => {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    try {
      client.socket.send(JSON.stringify(message));
    } catch {
      client.socket.terminate();
    }
  };

  const unsubscribe = (client: Client, topic: string) => {
    const subscribers = topics.get(topic);
    if (subscribers) {
      subscribers.delete(client);
      if (subscribers.size === 0) topics.delete(topic);
    }
    client.topics.delete(topic);
  };

  const isTopic = (value: unknown): value is string =>
    typeof value === 'string' && value.length > 0 && value.length <= limits.maxTopicLength;

  const onMessage = (client: Client, data: RawData, isBinary: boolean) => {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    if (now - client.windowStart >= 1000) {
      client.windowStart = now;
      client.windowCount = 0;
    }
    if (++client.windowCount > limits.maxMessagesPerSecond) {
      logger.warn('signalling: a client sent too many messages; closing it');
      client.socket.close(1008, 'rate limit');
      return;
    }
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return; // garbage: ignore it, keep the connection
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) return;
    const { type } = message as { type?: unknown };
    switch (type) {
      case 'subscribe': {
        const list = (message as { topics?: unknown }).topics;
        if (!Array.isArray(list)) return;
        for (const topic of list) {
          if (!isTopic(topic) || client.topics.has(topic)) continue;
          if (client.topics.size >= limits.maxTopicsPerClient) break;
          let subscribers = topics.get(topic);
          if (!subscribers) {
            if (topics.size >= limits.maxTopics) break;
            topics.set(topic, (subscribers = new Set()));
          }
          subscribers.add(client);
          client.topics.add(topic);
        }
        return;
      }
      case 'unsubscribe': {
        const list = (message as { topics?: unknown }).topics;
        if (!Array.isArray(list)) return;
        for (const topic of list) if (isTopic(topic)) unsubscribe(client, topic);
        return;
      }
      case 'publish': {
        const topic = (message as { topic?: unknown }).topic;
        // Only a subscriber may publish, and only to the others on its topic.
        if (!isTopic(topic) || !client.topics.has(topic)) return;
        const subscribers = topics.get(topic);
        if (!subscribers) return;
        const out = JSON.stringify({ ...(message as object), clients: subscribers.size });
        for (const other of subscribers) {
          if (other !== client && other.socket.readyState === WebSocket.OPEN) {
            try {
              other.socket.send(out);
            } catch {
              other.socket.terminate();
            }
          }
        }
        return;
      }
      case 'ping':
        send(client, { type: 'pong' });
        return;
      default:
        return;
    }
  };

  const perAddress = new Map<string, number>();
  wss.on('connection', (socket, request) => {
    // One device (or one web page) must not take every slot and lock the others out.
    const address = request.socket.remoteAddress ?? '';
    if (clients.size >= limits.maxClients || (perAddress.get(address) ?? 0) >= MAX_CLIENTS_PER_ADDRESS) {
      socket.close(1013, 'too many connections');
      return;
    }
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    const client: Client = { socket, topics: new Set(), alive: true, windowStart: Date.now(), windowCount: 0 };
    clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => {
      try {
        onMessage(client, data, isBinary);
      } catch (error) {
        logger.warn(`signalling: dropped a message: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    socket.on('close', () => {
      for (const topic of [...client.topics]) unsubscribe(client, topic);
      clients.delete(client);
    });
    // Oversized frames and protocol errors end up here; the socket closes itself.
    socket.on('error', (error) => logger.warn(`signalling: connection error: ${error.message}`));
  });
  wss.on('error', (error) => logger.warn(`signalling: ${error.message}`));

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.socket.ping();
      } catch {
        client.socket.terminate();
      }
    }
  }, options.pingIntervalMs ?? 30_000);
  heartbeat.unref();

  let port: number;
  try {
    port = await listen(http, options.port, options.host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !options.fallbackToFreePort) {
      clearInterval(heartbeat);
      throw error;
    }
    port = await listen(http, 0, options.host);
  }

  return {
    port,
    host: options.host,
    addresses: () => {
      if (options.host !== '0.0.0.0') return [`${options.host}:${port}`];
      return localIPv4Addresses().map((a) => `${a}:${port}`);
    },
    topicCount: () => topics.size,
    close: async () => {
      clearInterval(heartbeat);
      for (const client of clients) client.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
