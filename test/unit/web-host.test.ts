/**
 * The web host over real sockets: static files and its guards over HTTP, and the host API over a
 * real WebSocket. (The data-directory lock is in data-dir.test.ts.)
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect as connectSocket, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { DocStore, type StoreProblem } from '../../main/services/doc-store';
import { HostService } from '../../main/services/host-service';
import { logger } from '../../main/services/logger';
import { connectToHost } from '../../main/cli/host-connection';
import { webSocketHostUrl } from '../../renderer/platform/ws-host';
import { CONTENT_SECURITY_POLICY } from '../../main/services/renderer-policy';
import { startWebHost, type WebHost } from '../../main/web/web-host';
import { decodeWire, encodeWire, type WireEvent, type WireResponse } from '../../shared/wire';

logger.setQuiet(true);

const SPACE = 'space-web00001';
const INDEX_HTML = '<!doctype html><title>Commonplace test page</title><script type="module" src="/assets/app.js"></script>';
const APP_JS = 'console.log("commonplace test bundle");';
const SECRET = 'TOP-SECRET-OUTSIDE-THE-RENDERER';

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: the path goes out exactly as written, and the Host header can be forged. */
function httpRequest(port: number, path: string, options: { method?: string; host?: string } = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${port}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A host API client over a real WebSocket, speaking the JSON wire format. */
class WireClient {
  readonly raw: string[] = [];
  readonly events: WireEvent[] = [];
  private readonly replies = new Map<number, WireResponse[]>();
  private readonly waiters = new Map<number, Array<(reply: WireResponse) => void>>();
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      const text = data.toString();
      this.raw.push(text);
      const message = decodeWire(text) as WireResponse | WireEvent;
      if ('event' in message) {
        this.events.push(message);
        return;
      }
      const waiting = this.waiters.get(message.id);
      const waiter = waiting?.shift();
      if (waiter) waiter(message);
      else this.replies.set(message.id, [...(this.replies.get(message.id) ?? []), message]);
    });
  }

  static connect(port: number, token: string, origin = `http://127.0.0.1:${port}`): Promise<WireClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`, { origin });
    const client = new WireClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** The next reply carrying `id` (error replies to unreadable messages carry id 0). */
  reply(id: number, timeoutMs = 5000): Promise<WireResponse> {
    const queued = this.replies.get(id);
    if (queued?.length) return Promise.resolve(queued.shift()!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to message ${id}`)), timeoutMs);
      const list = this.waiters.get(id) ?? [];
      list.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.waiters.set(id, list);
    });
  }

  send(method: string, input: unknown): number {
    const id = this.nextId++;
    this.ws.send(encodeWire({ id, method, input }));
    return id;
  }

  call(method: string, input: unknown): Promise<WireResponse> {
    return this.reply(this.send(method, input));
  }

  async result<T>(method: string, input: unknown): Promise<T> {
    const reply = await this.call(method, input);
    if (!reply.ok) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Resolves with the error a WebSocket connection fails with; rejects if it opens. */
function refusedUpgrade(url: string, options: ConstructorParameters<typeof WebSocket>[2]): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.close();
      reject(new Error(`${url} opened`));
    });
    ws.once('error', (error) => resolve(error.message));
  });
}

/** Successive text edits of one replica, each returning its update and the token it typed. */
function writer(name: string) {
  const doc = new Y.Doc();
  const text = doc.getText('t');
  let last: Uint8Array | null = null;
  doc.on('update', (u: Uint8Array) => {
    last = u;
  });
  let n = 0;
  return {
    doc,
    edit(padding = ''): { token: string; update: Uint8Array } {
      const token = `[${name}${n++}${padding}]`;
      text.insert(text.length, token);
      return { token, update: last! };
    },
  };
}

let root: string;
let rendererDir: string;
let dataDir: string;
let service: HostService;
let host: WebHost;
let clients: WireClient[];

/** The path with this launch's token, as the printed URL carries it. */
const withToken = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${host.token}`;

async function connect(): Promise<WireClient> {
  const client = await WireClient.connect(host.port, host.token);
  clients.push(client);
  return client;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'commonplace-web-'));
  rendererDir = join(root, 'renderer');
  dataDir = join(root, 'data');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), INDEX_HTML);
  await writeFile(join(rendererDir, 'assets', 'app.js'), APP_JS);
  await writeFile(join(root, 'secret.txt'), SECRET);
  await writeFile(join(root, 'secret'), SECRET);
  service = new HostService({ dataDir, host: 'web', version: '7.7.7-test' });
  host = await startWebHost({ service, rendererDir, port: 0, fallbackToFreePort: false });
  clients = [];
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await host.close();
  await service.close();
  await rm(root, { recursive: true, force: true });
});

describe('web host: static files', () => {
  it('listens on loopback at the port it reports, with a random token in its URL', () => {
    expect(host.port).toBeGreaterThan(0);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
  });

  it('serves index.html at / with the content security policy', async () => {
    const reply = await httpRequest(host.port, withToken('/'));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(INDEX_HTML);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
    expect(reply.headers['content-security-policy']).toContain("object-src 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('answers HEAD with headers and no body', async () => {
    const reply = await httpRequest(host.port, withToken('/'), { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('');
    expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(INDEX_HTML));
  });

  it('serves assets with their type and a long cache lifetime', async () => {
    const reply = await httpRequest(host.port, '/assets/app.js');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(APP_JS);
    expect(reply.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(reply.headers['cache-control']).toContain('immutable');
  });

  it.each(['/space/x/note/y', '/space/abc', '/settings/', '/index.html'])('serves the app page for the route %s', async (path) => {
    const reply = await httpRequest(host.port, withToken(path));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(INDEX_HTML);
  });

  it.each(['/', '/index.html', '/space/x/note/y', '/?token=', '/?token=wrong', '/?token=TOKENx', '/?token=TOKEN'.slice(0, 12), '/?x=TOKEN', '/TOKEN', '/?token=TOKEN&token=wrong'])(
    'refuses the page at %s: it needs the token of this launch',
    async (path) => {
      const reply = await httpRequest(host.port, path.replaceAll('TOKEN', host.token));
      expect(reply.status).toBe(403);
      expect(reply.body).not.toContain('Commonplace test page');
      expect(reply.body).toContain('address Commonplace printed');
    },
  );

  it('refuses the token of another launch', async () => {
    const other = await startWebHost({ service, rendererDir, port: 0, fallbackToFreePort: false });
    try {
      expect(other.token).not.toBe(host.token);
      expect((await httpRequest(host.port, `/?token=${other.token}`)).status).toBe(403);
      expect((await httpRequest(other.port, `/?token=${other.token}`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('serves the build’s assets without the token: they are the same for everyone and hold no notes', async () => {
    expect((await httpRequest(host.port, '/assets/app.js')).status).toBe(200);
  });

  it('takes a token from its caller, and refuses one too short to be secret', async () => {
    const token = 'a-token-chosen-by-the-member-0123456789';
    const chosen = await startWebHost({ service, rendererDir, port: 0, fallbackToFreePort: false, token });
    try {
      expect(chosen.url).toBe(`http://127.0.0.1:${chosen.port}/?token=${token}`);
      expect((await httpRequest(chosen.port, `/?token=${token}`)).status).toBe(200);
    } finally {
      await chosen.close();
    }
    await expect(startWebHost({ service, rendererDir, port: 0, fallbackToFreePort: false, token: 'short' })).rejects.toThrow(/token/);
    await expect(startWebHost({ service, rendererDir, port: 0, fallbackToFreePort: false, token: 'x'.repeat(40) + '&y' })).rejects.toThrow(/token/);
  });

  it('answers 404 for a missing file with an extension', async () => {
    const reply = await httpRequest(host.port, '/assets/missing.js');
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('Commonplace test page');
  });

  it.each([
    '/../secret.txt',
    '/../../secret.txt',
    '/../secret',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/.%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%2f..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret',
    '/..%5csecret.txt',
    '/..\\secret.txt',
    '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/../../../../../../../../etc/passwd',
    '/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '//etc/passwd',
  ])('never serves anything outside the renderer dir for %s', async (path) => {
    const reply = await httpRequest(host.port, path);
    expect(reply.body).not.toContain(SECRET);
    expect(reply.body).not.toMatch(/root:.*:0:0:/);
    expect([200, 400, 403, 404]).toContain(reply.status);
    if (reply.status === 200) expect(reply.body).toBe(INDEX_HTML);
  });

  it('answers a malformed percent-escape with 400 and keeps serving', async () => {
    const reply = await httpRequest(host.port, '/%E0%A4%A');
    expect(reply.status).toBe(400);
    expect((await httpRequest(host.port, withToken('/'))).status).toBe(200);
  });

  it.each(['evil.example', 'evil.example:80', 'evil.example:PORT', 'localhost', '127.0.0.1', '127.0.0.1:1', '127.0.0.1:PORT.evil.example'])(
    'answers 421 to the Host header %j',
    async (hostHeader) => {
      const reply = await httpRequest(host.port, withToken('/'), { host: hostHeader.replace('PORT', String(host.port)) });
      expect(reply.status).toBe(421);
      expect(reply.body).not.toContain('Commonplace test page');
    },
  );

  it('answers 421 to a request without a Host header', async () => {
    const socket = connectSocket(host.port, '127.0.0.1');
    const response = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write('GET / HTTP/1.0\r\n\r\n');
    });
    expect(response).toMatch(/^HTTP\/1\.[01] 421 /);
    expect(response).not.toContain('Commonplace test page');
  });

  it('accepts localhost:PORT as the Host header', async () => {
    const reply = await httpRequest(host.port, withToken('/'), { host: `localhost:${host.port}` });
    expect(reply.status).toBe(200);
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405', async (method) => {
    const reply = await httpRequest(host.port, '/', { method });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
  });
});

describe('web host: WebSocket', () => {
  it.each(['http://evil.example', 'https://127.0.0.1:PORT', 'http://127.0.0.1:1', 'http://evil.example:PORT', 'null'])('refuses the foreign Origin %s', async (origin) => {
    const port = host.port;
    const message = await refusedUpgrade(`ws://127.0.0.1:${port}${withToken('/api')}`, { origin: origin.replace('PORT', String(port)) });
    expect(message).toContain('403');
  });

  it('refuses a connection without an Origin', async () => {
    expect(await refusedUpgrade(`ws://127.0.0.1:${host.port}${withToken('/api')}`, {})).toContain('403');
  });

  it.each(['/', '/api2', '/api/x', '/socket'])('refuses the path %s', async (path) => {
    const port = host.port;
    expect(await refusedUpgrade(`ws://127.0.0.1:${port}${withToken(path)}`, { origin: `http://127.0.0.1:${port}` })).toContain('403');
  });

  it('refuses a forged Host header even with the right Origin', async () => {
    const port = host.port;
    const message = await refusedUpgrade(`ws://127.0.0.1:${port}${withToken('/api')}`, { origin: `http://127.0.0.1:${port}`, headers: { host: `evil.example:${port}` } });
    expect(message).toContain('403');
  });

  it.each(['/api', '/api?binary=1', '/api?token=', '/api?token=wrong', '/api?token=TOKENx', '/api?binary=1&x=TOKEN'])(
    'refuses %s from its own origin: /api needs the token of this launch',
    async (path) => {
      const port = host.port;
      const message = await refusedUpgrade(`ws://127.0.0.1:${port}${path.replaceAll('TOKEN', host.token)}`, { origin: `http://127.0.0.1:${port}` });
      expect(message).toContain('403');
    },
  );

  it('lets the command line in with the URL the host printed, and not without its token', async () => {
    const cli = await connectToHost(host.url);
    try {
      await expect(cli.call('app.info', {})).resolves.toMatchObject({ host: 'web' });
    } finally {
      cli.close();
    }
    await expect(connectToHost(`http://127.0.0.1:${host.port}/`)).rejects.toThrow(/403/);
  });

  it('is reached by the renderer at the URL it builds from its page’s address, token included', async () => {
    const page = new URL(host.url);
    const url = webSocketHostUrl({ protocol: page.protocol, host: page.host, search: page.search });
    expect(url).toBe(`ws://127.0.0.1:${host.port}/api?binary=1&token=${host.token}`);
    const ws = new WebSocket(url, { origin: page.origin });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
    expect(webSocketHostUrl({ protocol: 'https:', host: 'example.org', search: '' })).toBe('wss://example.org/api?binary=1');
  });

  it('accepts the localhost origin too', async () => {
    const client = await WireClient.connect(host.port, host.token, `http://localhost:${host.port}`);
    clients.push(client);
    await expect(client.result('app.info', {})).resolves.toMatchObject({ host: 'web' });
  });

  it('answers app.info', async () => {
    const client = await connect();
    const reply = await client.call('app.info', {});
    expect(reply).toEqual({ id: 1, ok: true, result: { version: '7.7.7-test', host: 'web', platform: process.platform, attachmentLimit: 100 * 1024 * 1024 } });
  });

  it('round-trips updates as {"$bytes"} through space.append and space.sync', async () => {
    const client = await connect();
    const w = writer('a');
    const updates = [w.edit(), w.edit(), w.edit()];
    for (const { update } of updates) await expect(client.result('space.append', { spaceId: SPACE, update })).resolves.toEqual({ saved: true });

    const rawCount = client.raw.length;
    const synced = await client.result<{ update: Uint8Array; stateVector: Uint8Array }>('space.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) });
    expect(synced.update).toBeInstanceOf(Uint8Array);
    expect(synced.stateVector).toBeInstanceOf(Uint8Array);
    expect(client.raw[rawCount]).toContain('"$bytes"');
    const replica = new Y.Doc();
    Y.applyUpdate(replica, synced.update);
    expect(replica.getText('t').toString()).toBe(updates.map((u) => u.token).join(''));
    expect(synced.stateVector).toEqual(Y.encodeStateVector(w.doc));
  });

  it('pushes one client’s append to another subscribed client as a space.update event', async () => {
    const a = await connect();
    const b = await connect();
    await a.result('space.subscribe', { spaceId: SPACE });
    await b.result('space.subscribe', { spaceId: SPACE });
    const { update } = writer('a').edit();
    await a.result('space.append', { spaceId: SPACE, update });
    await b.result('app.info', {}); // B's reply comes after the event was sent to it
    // Catalog updates only (the search index also says when it caught up).
    const updates = (events: typeof b.events) => events.filter((e) => (e as { event?: string }).event === 'space.update');
    expect(updates(b.events)).toEqual([{ event: 'space.update', payload: { spaceId: SPACE, update } }]);
    expect(updates(a.events)).toEqual([]);
  });

  it('reports errors from the service with the call’s id', async () => {
    const client = await connect();
    const unknown = await client.call('space.delete', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    const invalid = await client.call('space.append', { spaceId: '../../etc', update: new Uint8Array([0, 0]) });
    expect(invalid).toMatchObject({ id: 2, ok: false, error: { code: 'invalid-input' } });
    const corrupt = await client.call('space.append', { spaceId: SPACE, update: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) });
    expect(corrupt).toMatchObject({ id: 3, ok: false, error: { code: 'corrupt-update' } });
  });

  it.each<[string, string | Buffer]>([
    ['malformed JSON', '{"id": 1, "method": '],
    ['a number', '42'],
    ['a string', '"app.info"'],
    ['null', 'null'],
    ['an array', '[1, "app.info", {}]'],
    ['a missing id', '{"method":"app.info","input":{}}'],
    ['a fractional id', '{"id":1.5,"method":"app.info","input":{}}'],
    ['a string id', '{"id":"1","method":"app.info","input":{}}'],
    ['a binary frame', Buffer.from('{"id":9,"method":"app.info","input":{}}')],
  ])('answers %s with invalid-input and keeps the connection working', async (_name, message) => {
    const client = await connect();
    client.ws.send(message, { binary: Buffer.isBuffer(message) });
    const reply = await client.reply(0);
    expect(reply).toMatchObject({ id: 0, ok: false, error: { code: 'invalid-input' } });
    await expect(client.result('app.info', {})).resolves.toMatchObject({ version: '7.7.7-test' });
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('stays consistent when a client disconnects in the middle of many appends', async () => {
    const client = await connect();
    const w = writer('d');
    const sent = Array.from({ length: 5 }, () => w.edit());
    const firstIds = sent.map(({ update }) => client.send('space.append', { spaceId: SPACE, update }));
    const firstReplies = await Promise.all(firstIds.map((id) => client.reply(id)));
    expect(firstReplies.every((r) => r.ok)).toBe(true);
    // Then many small appends and a large one, and the connection drops while they are still on the wire.
    sent.push(...Array.from({ length: 300 }, () => w.edit()), w.edit('x'.repeat(4 * 1024 * 1024)));
    for (const { update } of sent.slice(5)) client.send('space.append', { spaceId: SPACE, update });
    client.ws.terminate();

    // Let the host finish whatever reached it, then shut everything down as a process would.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await service.flush();
    await host.close();
    await service.close();

    const problems: StoreProblem[] = [];
    const store = new DocStore(dataDir, { onProblem: (p) => problems.push(p) });
    try {
      const space = await store.space(SPACE);
      expect(problems).toEqual([]);
      const text = space.catalog.getText('t').toString();
      const acknowledged = sent.slice(0, 5).map((s) => s.token).join('');
      expect(text.startsWith(acknowledged)).toBe(true);
      expect(sent.map((s) => s.token).join('').startsWith(text)).toBe(true);
      expect(space.catalog.store.pendingStructs).toBeNull();
      expect(space.catalog.store.pendingDs).toBeNull();
    } finally {
      await store.close();
    }

    // Every record on disk is intact and decodes as a Yjs update.
    const log = await readFile(join(dataDir, 'spaces', SPACE, 'docs.log'));
    let records = 0;
    for (let pos = 0; pos < log.length; records++) {
      const length = log.readUInt32LE(pos + 4);
      const payload = log.subarray(pos + 12, pos + 12 + length);
      expect(payload.length).toBe(length);
      expect(crc32(payload)).toBe(log.readUInt32LE(pos + 8));
      // A record names its document, then carries the update.
      const decoder = decoding.createDecoder(payload);
      expect(decoding.readVarString(decoder)).toBe('catalog');
      expect(() => Y.decodeUpdate(payload.subarray(decoder.pos))).not.toThrow();
      pos += 12 + length;
    }
    expect(records).toBeGreaterThanOrEqual(5);
  });
});

describe('startWebHost options', () => {
  it.each(['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'example.org', '127.0.0.1.evil.example'])('refuses to listen on %s without allowRemote', async (address) => {
    await expect(startWebHost({ service, rendererDir, port: 0, fallbackToFreePort: false, host: address })).rejects.toThrow(/refusing to listen/);
  });

  describe('with a port already taken', () => {
    let blocker: Server;
    let taken: number;
    beforeEach(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const address = blocker.address();
      taken = typeof address === 'object' && address ? address.port : 0;
    });
    afterEach(async () => {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    });

    it('falls back to a free port when fallbackToFreePort is set', async () => {
      const second = await startWebHost({ service, rendererDir, port: taken, fallbackToFreePort: true });
      try {
        expect(second.port).not.toBe(taken);
        expect(second.url).toBe(`http://127.0.0.1:${second.port}/?token=${second.token}`);
        const reply = await httpRequest(second.port, `/?token=${second.token}`);
        expect(reply.status).toBe(200);
        expect(reply.body).toBe(INDEX_HTML);
      } finally {
        await second.close();
      }
    });

    it('fails with EADDRINUSE when fallbackToFreePort is not set', async () => {
      await expect(startWebHost({ service, rendererDir, port: taken, fallbackToFreePort: false })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    });
  });
});
