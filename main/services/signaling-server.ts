/**
 * A signalling server for y-webrtc peers on the LAN: speaks y-webrtc's protocol (subscribe,
 * unsubscribe, publish, ping→pong) over WebSocket and relays a publish only to the other subscribers
 * of the same topic. Topics are hashes of space secrets, so it serves only what a secret unlocks; it
 * never sees plain content (y-webrtc encrypts signalling with the space secret). Every limit below
 * exists because any device on the network may connect and send anything. With certificate files it
 * also listens over TLS (wss://) for members beyond the LAN: the same handler, the same limits.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { networkInterfaces } from 'node:os';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { isLoopbackHost } from '../../shared/net-address';
import { listen } from './listen';
import { logger } from './logger';
import { APP_ORIGIN } from './renderer-policy';
import { errorMessage } from '../../shared/errors';

/**
 * Limits that keep one device or one connection from taking what others need. Going over a topic
 * limit closes the connection (a y-webrtc client reconnects and subscribes again), so a subscription
 * is never silently dropped.
 */
export interface SignalingLimits {
  /** Largest message accepted; signalling carries encrypted SDP offers of a few KiB. */
  maxMessageBytes: number;
  /** Topics one connection may subscribe to (one per space open in a window). */
  maxTopicsPerClient: number;
  /** Topics the connections of one address may hold together, well below maxTopics. */
  maxTopicsPerAddress: number;
  /** Topics the server tracks in all. */
  maxTopics: number;
  /** Concurrent connections, on each listener (the LAN's, and the internet's when it listens over TLS). */
  maxClients: number;
  /** Connections one address may hold at once (each window of each member needs one), well below maxClients. */
  maxClientsPerAddress: number;
  /** Longest topic name (ours are 64 hex characters). */
  maxTopicLength: number;
  /** Messages one connection may send per second before it is closed. */
  maxMessagesPerSecond: number;
}

export const DEFAULT_SIGNALING_LIMITS: SignalingLimits = {
  maxMessageBytes: 64 * 1024,
  maxTopicsPerClient: 256,
  maxTopicsPerAddress: 512,
  maxTopics: 8192,
  maxClients: 512,
  maxClientsPerAddress: 64,
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
  /** Origins of browser pages let in besides members' apps (isMemberAppOrigin), e.g. a web host served on a LAN address. */
  allowOrigin?: (origin: string) => boolean;
  /**
   * wss:// as well, for a rendezvous beyond the LAN: PEM certificate chain and key, on every IPv4
   * interface at `port`. `reload` reads them again (twice a day), so a renewed certificate is served
   * without a restart.
   */
  tls?: SignalingTls;
}

/** A rendezvous's TLS: PEM certificate chain and key, the port, and how to read them again. */
export interface SignalingTls {
  cert: string;
  key: string;
  port: number;
  reload?: () => { cert: string; key: string };
}

/**
 * Whether a browser page at `origin` is a member's app: the desktop app (app://commonplace) or a web
 * host's page, which is served on loopback at a port of each member's choosing. Any other page in a
 * member's browser could otherwise open ws://127.0.0.1:4318 and use up the quota of their address.
 */
export function isMemberAppOrigin(origin: string): boolean {
  if (origin === APP_ORIGIN) return true;
  try {
    const url = new URL(origin);
    return url.origin === origin && url.protocol === 'http:' && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

export interface SignalingServer {
  port: number;
  host: string;
  /** The wss:// port, when the server listens over TLS too. */
  tlsPort: number | null;
  /** host:port for every address the server can be reached at (loopback included). */
  addresses(): string[];
  /** Topics currently subscribed (for tests and diagnostics). */
  topicCount(): number;
  close(): Promise<void>;
}

/** How often a rendezvous's certificate files are read again. */
const TLS_RELOAD_MS = 12 * 3600 * 1000;
/** A TLS connection must finish its handshake and upgrade to WebSocket within this. */
const TLS_HANDSHAKE_MS = 10_000;

interface Client {
  socket: WebSocket;
  address: string;
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
  /** Per address: its connections, and how many of them subscribe to each topic. */
  const perAddress = new Map<string, { clients: number; topics: Map<string, number> }>();
  const refuse = (_req: unknown, res: { writeHead(status: number, headers: Record<string, string>): { end(text: string): void } }) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('Commonplace signalling: WebSocket only');
  };
  const http = createServer(refuse);
  const tls = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: TLS_HANDSHAKE_MS }, refuse) : null;
  if (tls) {
    // Sockets that never become WebSockets count too, and go soon.
    tls.maxConnections = limits.maxClients + limits.maxClientsPerAddress;
    tls.headersTimeout = TLS_HANDSHAKE_MS;
    tls.requestTimeout = TLS_HANDSHAKE_MS;
  }
  const reload = options.tls?.reload;
  const reloadTimer =
    tls && reload
      ? setInterval(() => {
          try {
            tls.setSecureContext(reload());
          } catch (error) {
            logger.warn(`signalling: could not read the certificate again (the one loaded stays): ${errorMessage(error)}`);
          }
        }, TLS_RELOAD_MS)
      : null;
  reloadTimer?.unref();
  const socketServer = (server: Server) =>
    new WebSocketServer({
      server,
      maxPayload: limits.maxMessageBytes,
      perMessageDeflate: false,
      // No Origin: not a browser page (another host, a tool), since a page cannot leave it out; a page must be a member's app.
      verifyClient: ({ origin }: { origin?: string }, done: (ok: boolean, code?: number, message?: string) => void) =>
        done(!origin || isMemberAppOrigin(origin) || options.allowOrigin?.(origin) === true, 403, 'Forbidden'),
    });
  const plainServer = socketServer(http);
  const tlsServer = tls ? socketServer(tls) : null;
  const servers = [plainServer, ...(tlsServer ? [tlsServer] : [])];

  const send = (client: Client, message: unknown) => {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    try {
      client.socket.send(JSON.stringify(message));
    } catch {
      client.socket.terminate();
    }
  };

  const unsubscribe = (client: Client, topic: string) => {
    if (!client.topics.delete(topic)) return;
    const subscribers = topics.get(topic);
    if (subscribers) {
      subscribers.delete(client);
      if (subscribers.size === 0) topics.delete(topic);
    }
    const held = perAddress.get(client.address)?.topics;
    const count = (held?.get(topic) ?? 1) - 1;
    if (count > 0) held?.set(topic, count);
    else held?.delete(topic);
  };

  /** Subscribes, or closes the connection with the reason when a limit would be passed. */
  const subscribe = (client: Client, topic: string): boolean => {
    if (client.topics.has(topic)) return true;
    const held = perAddress.get(client.address)!.topics;
    let refusal: [number, string] | null = null;
    if (client.topics.size >= limits.maxTopicsPerClient) refusal = [1008, 'too many topics on this connection'];
    else if (!held.has(topic) && held.size >= limits.maxTopicsPerAddress) refusal = [1008, 'too many topics from this address'];
    else if (!topics.has(topic) && topics.size >= limits.maxTopics) refusal = [1013, 'too many topics; try again later'];
    if (refusal) {
      logger.warn(`signalling: ${refusal[1]}; closing a connection`);
      client.socket.close(...refusal);
      return false;
    }
    let subscribers = topics.get(topic);
    if (!subscribers) topics.set(topic, (subscribers = new Set()));
    subscribers.add(client);
    client.topics.add(topic);
    held.set(topic, (held.get(topic) ?? 0) + 1);
    return true;
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
        for (const topic of list) if (isTopic(topic) && !subscribe(client, topic)) return;
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

  /** Connections on each listener (the LAN's, the internet's), each held to maxClients. */
  const perListener = { plain: 0, tls: 0 };
  const onConnection = (socket: WebSocket, request: { socket: { remoteAddress?: string } }, overTls: boolean) => {
    // One device must not take every slot and lock the others out.
    const address = request.socket.remoteAddress ?? '';
    const mine = perAddress.get(address) ?? { clients: 0, topics: new Map<string, number>() };
    // The internet's connections cannot crowd out the LAN's (and this host's own), nor the other way round.
    if (perListener[overTls ? 'tls' : 'plain'] >= limits.maxClients || mine.clients >= limits.maxClientsPerAddress) {
      socket.close(1013, 'too many connections');
      return;
    }
    mine.clients++;
    perAddress.set(address, mine);
    const client: Client = { socket, address, topics: new Set(), alive: true, windowStart: Date.now(), windowCount: 0 };
    clients.add(client);
    perListener[overTls ? 'tls' : 'plain']++;
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => {
      try {
        onMessage(client, data, isBinary);
      } catch (error) {
        logger.warn(`signalling: dropped a message: ${errorMessage(error)}`);
      }
    });
    socket.on('close', () => {
      for (const topic of [...client.topics]) unsubscribe(client, topic);
      clients.delete(client);
      perListener[overTls ? 'tls' : 'plain']--;
      if (--mine.clients === 0) perAddress.delete(address);
    });
    // Oversized frames and protocol errors end up here; the socket closes itself.
    socket.on('error', (error) => logger.warn(`signalling: connection error: ${error.message}`));
  };
  plainServer.on('connection', (socket, request) => onConnection(socket, request, false));
  tlsServer?.on('connection', (socket, request) => onConnection(socket, request, true));
  for (const wss of servers) wss.on('error', (error) => logger.warn(`signalling: ${error.message}`));

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
  let tlsPort: number | null = null;
  if (tls && options.tls) {
    try {
      tlsPort = await listen(tls, options.tls.port, '0.0.0.0');
    } catch (error) {
      clearInterval(heartbeat);
      http.close();
      throw error;
    }
  }

  return {
    port,
    host: options.host,
    tlsPort,
    addresses: () => {
      if (options.host !== '0.0.0.0') return [`${options.host}:${port}`];
      return localIPv4Addresses().map((a) => `${a}:${port}`);
    },
    topicCount: () => topics.size,
    close: async () => {
      clearInterval(heartbeat);
      if (reloadTimer) clearInterval(reloadTimer);
      for (const client of clients) client.socket.terminate();
      for (const wss of servers) await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const server of [http, ...(tls ? [tls] : [])]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
