import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { logger } from '../../main/services/logger';
import { startSignalingServer, type SignalingServer } from '../../main/services/signaling-server';

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

async function client(port: number): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
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

  it('caps message size, topics per client and topics in all', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxMessageBytes: 4096, maxTopicsPerClient: 3, maxTopics: 4 } });
    const a = await client(server.port);
    a.send({ type: 'subscribe', topics: ['1', '2', '3', '4', '5'] });
    await settle(a);
    expect(server.topicCount()).toBe(3);
    const b = await client(server.port);
    b.send({ type: 'subscribe', topics: ['6', '7', '8'] });
    await settle(b);
    expect(server.topicCount()).toBe(4);
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
