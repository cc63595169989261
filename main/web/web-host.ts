/**
 * The local web host: serves the built renderer on loopback and carries the HostApi contract over a
 * WebSocket, with the same validation as Electron's IPC router.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { HostError, MAX_MESSAGE_BYTES } from '../../shared/host-api';
import { isLoopbackHost } from '../../shared/net-address';
import { decodeWire, decodeWireBinary, encodeWireFrame, WireFormatError, type WireResponse } from '../../shared/wire';
import type { HostClient, HostService } from '../services/host-service';
import { logger } from '../services/logger';
import { listen } from '../services/listen';
import { contentTypeFor, RENDERER_SECURITY_HEADERS } from '../services/renderer-policy';

/** A token the member chose must be as hard to guess as a random one is: URL-safe, at least 32 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,256}$/;

export function isValidToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * Whether a request carries this launch's token as its one `token` query parameter. The token is what
 * keeps other users and programs of this machine out: they can reach 127.0.0.1 and forge any Origin.
 */
function hasToken(url: URL, token: string): boolean {
  const given = url.searchParams.getAll('token');
  if (given.length !== 1) return false;
  const a = Buffer.from(given[0]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface WebHostOptions {
  service: HostService;
  rendererDir: string;
  port: number;
  /** Fall back to a free port when `port` is taken (used for the default port only). */
  fallbackToFreePort: boolean;
  host?: string;
  allowRemote?: boolean;
  /** The token the page and /api require; a random one for this launch unless given. */
  token?: string;
}

export interface WebHost {
  /** The address to open: the app's page with this launch's token. */
  url: string;
  port: number;
  token: string;
  /** The origins the app's page is served at (its WebSocket comes from one of them). */
  origins(): string[];
  close(): Promise<void>;
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new Error(`refusing to listen on ${host}: the web host serves your notes over plain HTTP, its token readable by anyone on the way; pass --allow-remote to do it anyway`);
  }
  if (options.token !== undefined && !isValidToken(options.token)) {
    throw new Error('the web host token must be at least 32 characters of letters, digits, - and _');
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  let port = options.port;
  // Listening on every interface (--allow-remote with 0.0.0.0): each of this machine's addresses is a valid Host.
  const wildcard = host === '0.0.0.0' || host === '::';
  const interfaceHosts = () =>
    wildcard
      ? Object.values(networkInterfaces())
          .flat()
          .map((i) => (i?.family === 'IPv6' ? `[${i.address}]` : i?.address))
          .filter((a): a is string => Boolean(a))
      : [host];
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...interfaceHosts().map((h) => `${h}:${port}`)]);
  const allowedOrigins = () => new Set([...allowedHosts()].map((h) => `http://${h}`));

  const server = createServer((req, res) => {
    // DNS rebinding: only answer requests addressed to this host by a loopback name.
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request');
      return;
    }
    serveStatic(options.rendererDir, token, req, res).catch((error: unknown) => {
      logger.error(`serving ${req.url}: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Cross-site WebSocket hijacking: any page in the browser may try ws://127.0.0.1; only our own origin may
    // talk, and only with the token (a program of another user on this machine can forge any Origin).
    if (url.pathname !== '/api' || !allowedHosts().has(req.headers.host ?? '') || !allowedOrigins().has(req.headers.origin ?? '') || !hasToken(url, token)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    // ?binary=1: the client reads binary frames, so large replies skip base64.
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(options.service, ws, url.searchParams.get('binary') === '1'));
  });

  try {
    port = await listen(server, port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !options.fallbackToFreePort) throw error;
    logger.info(`port ${port} is taken; using a free port`);
    port = await listen(server, 0, host);
  }
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    origins: () => [...allowedOrigins()],
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'host shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function attachClient(service: HostService, ws: WebSocket, binary: boolean): void {
  const client: HostClient = {
    send: (event, payload) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeWireFrame({ event, payload }, binary));
    },
  };
  const reply = (response: WireResponse) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeWireFrame(response, binary));
  };
  ws.on('message', (data, isBinary) => {
    let id = 0;
    try {
      const message = isBinary ? decodeWireBinary(toBytes(data)) : decodeWire(data.toString());
      if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new HostError('invalid-input', 'expected an object');
      const { id: rawId, method, input } = message as Record<string, unknown>;
      if (typeof rawId !== 'number' || !Number.isSafeInteger(rawId)) throw new HostError('invalid-input', 'expected a numeric id');
      id = rawId;
      service.handle(client, method, input).then(
        (result) => reply({ id, ok: true, result }),
        (error: unknown) => reply({ id, ok: false, error: toWireError(error) }),
      );
    } catch (error) {
      const malformed = error instanceof SyntaxError || error instanceof WireFormatError || error instanceof TypeError;
      reply({ id, ok: false, error: toWireError(malformed ? new HostError('invalid-input', `not a valid message: ${(error as Error).message}`) : error) });
    }
  });
  ws.on('close', () => service.detach(client));
  ws.on('error', (error) => logger.warn(`websocket: ${error.message}`));
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function toWireError(error: unknown): { code: string; message: string } {
  if (error instanceof HostError) return { code: error.code, message: error.message };
  return { code: 'internal', message: 'internal error' };
}

async function serveStatic(root: string, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let pathname: string;
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
    pathname = decodeURIComponent(url.pathname);
  } catch {
    // A malformed escape such as %E0%A4%A is the client's error, not the host's.
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
    return;
  }
  const relative = normalize(pathname).replace(/^([/\\])+/, '');
  let file = join(root, relative);
  if (!file.startsWith(root + sep) && file !== root) {
    res.writeHead(403).end();
    return;
  }
  let info = await stat(file).catch(() => null);
  // Routes such as /space/ID/note/ID belong to the app: serve its page and let it read the URL.
  if (!info || info.isDirectory()) {
    if (extname(relative) !== '' && !info) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    file = join(root, 'index.html');
    info = await stat(file).catch(() => null);
    if (!info) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('the renderer is not built: run npm run build');
      return;
    }
  }
  // The app's page needs the token; the build's other files are the same for everyone and hold no notes.
  if (/^\.html?$/i.test(extname(file)) && !hasToken(url, token)) {
    res
      .writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      .end('Open the address Commonplace printed when it started: it ends with ?token=... and changes at every start.\n');
    return;
  }
  const isAsset = relative.startsWith('assets' + sep) || relative.startsWith('assets/');
  res.writeHead(200, {
    'content-type': contentTypeFor(file),
    'content-length': info.size,
    ...RENDERER_SECURITY_HEADERS,
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
