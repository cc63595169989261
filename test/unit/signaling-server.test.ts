import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { logger } from '../../main/services/logger';
import { startLanSync } from '../../main/services/lan-sync';
import { startSignalingServer, type SignalingServer } from '../../main/services/signaling-server';
import { skipUnlessAvailable } from '../support/required';
import { makeTestCertificate, opensslUnavailable } from '../support/tls-cert';

logger.setQuiet(true);
let server: SignalingServer | null = null;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
  server = null;
});

interface Client {
  ws: WebSocket;
  received: unknown[];
  send: (message: unknown) => void;
  closed: Promise<number>;
}

interface ClientOptions {
  /** The Origin header a browser page would send (none: a non-browser client). */
  origin?: string;
  /** The address the connection comes from (127.0.0.2 stands for another device). */
  from?: string;
}

async function client(port: number, options: ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { ...(options.origin ? { origin: options.origin } : {}), ...(options.from ? { localAddress: options.from } : {}) });
  sockets.push(ws);
  const received: unknown[] = [];
  ws.on('message', (data) => received.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)), closed };
}

/** A ping round trip: everything sent before it has been handled. */
async function settle(c: Client): Promise<void> {
  const before = c.received.length;
  c.send({ type: 'ping' });
  for (let i = 0; i < 100 && c.received.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  expect(c.received.pop()).toEqual({ type: 'pong' });
}

describe('signalling server', () => {
  it('relays a publish only to the other subscribers of the same topic', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const [a, b, c] = await Promise.all([client(server.port), client(server.port), client(server.port)]);
    a.send({ type: 'subscribe', topics: ['room-1'] });
    b.send({ type: 'subscribe', topics: ['room-1'] });
    c.send({ type: 'subscribe', topics: ['room-2'] });
    await Promise.all([settle(a), settle(b), settle(c)]);
    a.send({ type: 'publish', topic: 'room-1', data: 'hello' });
    // c is not subscribed to room-1: its publish there goes nowhere.
    c.send({ type: 'publish', topic: 'room-1', data: 'intruder' });
    await Promise.all([settle(a), settle(b), settle(c)]);
    expect(b.received).toEqual([{ type: 'publish', topic: 'room-1', data: 'hello', clients: 2 }]);
    expect(a.received).toEqual([]);
    expect(c.received).toEqual([]);
    b.send({ type: 'unsubscribe', topics: ['room-1'] });
    await settle(b);
    a.send({ type: 'publish', topic: 'room-1', data: 'again' });
    await Promise.all([settle(a), settle(b)]);
    expect(b.received).toHaveLength(1);
    expect(server.topicCount()).toBe(2);
  });

  it('survives garbage and keeps serving', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const a = await client(server.port);
    const garbage = ['', 'not json', '{', 'null', '[]', '42', '{"type":"subscribe"}', '{"type":"subscribe","topics":"x"}',
      '{"type":"subscribe","topics":[1,null,{},["x"]]}', '{"type":"publish"}', '{"type":"publish","topic":{}}', '{"type":"unsubscribe","topics":7}',
      '{"type":"__proto__"}', JSON.stringify({ type: 'subscribe', topics: ['x'.repeat(1000)] })];
    for (const g of garbage) a.send(g);
    a.ws.send(Buffer.from([0xff, 0x00, 0x13]));
    await settle(a);
    expect(server.topicCount()).toBe(0);
    const b = await client(server.port);
    a.send({ type: 'subscribe', topics: ['t'] });
    b.send({ type: 'subscribe', topics: ['t'] });
    await Promise.all([settle(a), settle(b)]);
    a.send({ type: 'publish', topic: 't', data: 1 });
    await settle(b);
    expect(b.received).toHaveLength(1);
  });

  it('closes a connection that goes over its topic limit instead of silently ignoring its later subscriptions', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxTopicsPerClient: 3 } });
    const a = await client(server.port);
    a.send({ type: 'subscribe', topics: ['1', '2', '3'] });
    await settle(a);
    expect(server.topicCount()).toBe(3);
    a.send({ type: 'subscribe', topics: ['4'] });
    expect(await a.closed).toBe(1008);
    await until(() => server!.topicCount() === 0);
  });

  it('closes a connection that goes over its address’s topic limit', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxTopicsPerClient: 3, maxTopicsPerAddress: 4 } });
    const a = await client(server.port);
    const b = await client(server.port);
    a.send({ type: 'subscribe', topics: ['1', '2', '3'] });
    await settle(a);
    b.send({ type: 'subscribe', topics: ['1'] }); // a topic the address already has costs nothing more
    await settle(b);
    b.send({ type: 'subscribe', topics: ['4', '5'] });
    expect(await b.closed).toBe(1008);
    await settle(a);
    expect(server.topicCount()).toBe(3);
  });

  it('tells a connection the table is full by closing it (try again later), and caps message size', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxMessageBytes: 4096, maxTopics: 4, maxTopicsPerAddress: 100 } });
    const a = await client(server.port);
    a.send({ type: 'subscribe', topics: ['1', '2', '3'] });
    await settle(a);
    const b = await client(server.port);
    b.send({ type: 'subscribe', topics: ['1', '4'] });
    await settle(b);
    expect(server.topicCount()).toBe(4);
    b.send({ type: 'subscribe', topics: ['5'] });
    expect(await b.closed).toBe(1013);
    const c = await client(server.port);
    c.send({ type: 'publish', topic: '1', data: 'x'.repeat(10_000) });
    expect(await c.closed).toBe(1009); // message too big: the connection closes
    await settle(a); // the server is still up for everyone else
  });

  it('closes a client that floods it', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxMessagesPerSecond: 50 } });
    const a = await client(server.port);
    for (let i = 0; i < 200; i++) a.send({ type: 'subscribe', topics: [`t${i}`] });
    expect(await a.closed).toBe(1008);
  });
});

describe('signalling server: who may connect', () => {
  const refused = (port: number, origin: string) =>
    new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { origin });
      sockets.push(ws);
      ws.once('open', () => reject(new Error(`${origin} was let in`)));
      ws.once('error', (error) => resolve(error.message));
    });

  it.each(['https://evil.example', 'http://evil.example:4318', 'http://127.0.0.1.evil.example', 'https://127.0.0.1:4317', 'null', 'file://', 'chrome-extension://abcdef', 'app://commonplace.evil.example', 'app://evil'])(
    'refuses a web page of %s',
    async (origin) => {
      server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
      expect(await refused(server.port, origin)).toContain('403');
    },
  );

  it.each([undefined, 'app://commonplace', 'http://127.0.0.1:4317', 'http://127.0.0.1:51234', 'http://localhost:4317', 'http://[::1]:4317'])(
    'lets in a member’s app (origin %s: none is another host or a tool)',
    async (origin) => {
      server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
      const c = await client(server.port, { origin });
      await settle(c);
    },
  );

  it('lets in the origins the host that started it adds', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', allowOrigin: (origin) => origin === 'http://192.168.1.5:4317' });
    await settle(await client(server.port, { origin: 'http://192.168.1.5:4317' }));
    expect(await refused(server.port, 'http://192.168.1.6:4317')).toContain('403');
  });

  it('lets a host add origins through LAN sync', async () => {
    const sync = await startLanSync({ port: 0, lan: false, allowOrigin: (origin) => origin === 'http://192.168.1.5:4317' });
    try {
      const port = Number(sync.info().signalingUrls[0]!.split(':').pop());
      await settle(await client(port, { origin: 'http://192.168.1.5:4317' }));
      await settle(await client(port, { origin: 'app://commonplace' }));
      expect(await refused(port, 'https://evil.example')).toContain('403');
    } finally {
      for (const s of sockets.splice(0)) s.terminate();
      await sync.close();
    }
  });

  it('a web page in the member’s own browser cannot use up the connections of their address', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxClientsPerAddress: 8 } });
    await Promise.all(Array.from({ length: 20 }, () => refused(server!.port, 'https://evil.example')));
    const [a, b] = await Promise.all([client(server.port, { origin: 'http://127.0.0.1:4317' }), client(server.port, { origin: 'app://commonplace' })]);
    await relays(a, b, 'room-of-the-member');
  });

  it.runIf(process.platform === 'linux')('a flood from one address does not stop members elsewhere from signalling', async () => {
    // Small limits so the flood reaches every one of them quickly; the ratios are the defaults'.
    const limits = { maxClients: 32, maxClientsPerAddress: 8, maxTopics: 256, maxTopicsPerAddress: 32, maxTopicsPerClient: 16, maxMessagesPerSecond: 1000 };
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits });
    // The flooder opens all the connections it may and subscribes as many topics as it can on each.
    const flood = await Promise.allSettled(Array.from({ length: limits.maxClients }, () => client(server!.port, { from: '127.0.0.2' })));
    const open = flood.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const [i, c] of open.entries()) c.send({ type: 'subscribe', topics: Array.from({ length: 16 }, (_, t) => `flood-${i}-${t}`) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Two members on other addresses still find each other on their topic and exchange signals.
    const [a, b] = await Promise.all([client(server.port, { from: '127.0.0.3' }), client(server.port, { from: '127.0.0.4', origin: 'app://commonplace' })]);
    await relays(a, b, 'room-of-the-member');
    expect(server.topicCount()).toBeLessThanOrEqual(limits.maxTopicsPerAddress + 1);
  });
});

/** a and b subscribe to `topic`, and a publish from each reaches the other. */
async function relays(a: Client, b: Client, topic: string): Promise<void> {
  a.send({ type: 'subscribe', topics: [topic] });
  b.send({ type: 'subscribe', topics: [topic] });
  await Promise.all([settle(a), settle(b)]);
  a.send({ type: 'publish', topic, data: 'offer' });
  b.send({ type: 'publish', topic, data: 'answer' });
  await until(() => a.received.length > 0 && b.received.length > 0);
  expect(b.received).toEqual([{ type: 'publish', topic, data: 'offer', clients: 2 }]);
  expect(a.received).toEqual([{ type: 'publish', topic, data: 'answer', clients: 2 }]);
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(ok()).toBe(true);
}

describe('signalling server over TLS (a rendezvous)', () => {
  const missing = opensslUnavailable();
  const skip = skipUnlessAvailable(missing, 'signalling over TLS (needs openssl to make a certificate)');
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  it.skipIf(skip)('relays between a wss:// client and a plain ws:// one, refuses a web page and an untrusted client', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cp-tls-'));
    const cert = makeTestCertificate(dir, ['127.0.0.1']);
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', tls: { cert: cert.cert, key: cert.key, port: 0 } });
    expect(server.tlsPort).toBeGreaterThan(0);
    const open = (ws: WebSocket) =>
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      });
    const far = new WebSocket(`wss://127.0.0.1:${server.tlsPort}`, { ca: cert.cert });
    sockets.push(far);
    const heard: unknown[] = [];
    far.on('message', (data) => heard.push(JSON.parse(data.toString())));
    await open(far);
    const near = await client(server.port);
    far.send(JSON.stringify({ type: 'subscribe', topics: ['room-tls'] }));
    near.send({ type: 'subscribe', topics: ['room-tls'] });
    far.send(JSON.stringify({ type: 'ping' }));
    await until(() => heard.some((m) => (m as { type: string }).type === 'pong'));
    await settle(near);
    near.send({ type: 'publish', topic: 'room-tls', data: 'over the internet' });
    await until(() => heard.some((m) => (m as { data?: string }).data === 'over the internet'));
    // The same rules as on the LAN: a web page is refused, and a client that does not trust the certificate cannot connect.
    const page = new WebSocket(`wss://127.0.0.1:${server.tlsPort}`, { ca: cert.cert, origin: 'https://evil.example' });
    sockets.push(page);
    await expect(open(page)).rejects.toThrow(/403/);
    const untrusting = new WebSocket(`wss://127.0.0.1:${server.tlsPort}`);
    sockets.push(untrusting);
    await expect(open(untrusting)).rejects.toThrow(/self-signed|certificate/);
  });

  it.skipIf(skip)('gives the internet’s connections a share of their own: a flood over TLS leaves room on the LAN', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cp-tls-'));
    const cert = makeTestCertificate(dir, ['127.0.0.1']);
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', tls: { cert: cert.cert, key: cert.key, port: 0 }, limits: { maxClients: 3, maxClientsPerAddress: 50 } });
    const far = () => {
      const ws = new WebSocket(`wss://127.0.0.1:${server!.tlsPort}`, { ca: cert.cert });
      sockets.push(ws);
      ws.on('error', () => {});
      return new Promise<number | 'open'>((resolve) => {
        ws.once('close', (code) => resolve(code));
        ws.once('open', () => setTimeout(() => resolve(ws.readyState === WebSocket.OPEN ? 'open' : ws.readyState), 100));
      });
    };
    expect(await Promise.all([far(), far(), far()])).toEqual(['open', 'open', 'open']);
    expect(await far()).toBe(1013);
    // The LAN's share is untouched: a member's own app still connects and is relayed to.
    const [a, b] = await Promise.all([client(server.port), client(server.port)]);
    a.send({ type: 'subscribe', topics: ['room-lan'] });
    b.send({ type: 'subscribe', topics: ['room-lan'] });
    await Promise.all([settle(a), settle(b)]);
    a.send({ type: 'publish', topic: 'room-lan', data: 'still here' });
    await until(() => b.received.some((m) => (m as { data?: string }).data === 'still here'));
  });
});
