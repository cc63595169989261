/** The WebSocket wire format: JSON text frames, and binary frames for messages carrying much data. */
import { WebSocket } from 'ws';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HostService } from '../../main/services/host-service';
import { startWebHost, type WebHost } from '../../main/web/web-host';
import { BINARY_FRAME_THRESHOLD, decodeWire, decodeWireBinary, encodeWireBinary, encodeWireFrame, WireFormatError } from '../../shared/wire';

describe('binary frames', () => {
  it('round-trip nested bytes without base64', () => {
    const big = new Uint8Array(BINARY_FRAME_THRESHOLD + 10).map((_, i) => i % 251);
    const value = { id: 3, ok: true, result: { update: big, stateVector: new Uint8Array([1, 2, 3]), list: [new Uint8Array(0), 'x'] } };
    const frame = encodeWireFrame(value, true);
    expect(frame).toBeInstanceOf(Uint8Array);
    expect((frame as Uint8Array).byteLength).toBeLessThan(big.byteLength + 200);
    expect(decodeWireBinary(frame as Uint8Array)).toEqual(value);
    // Small messages, or peers that read only text, get text.
    expect(typeof encodeWireFrame({ id: 1, bytes: new Uint8Array(10) }, true)).toBe('string');
    expect(decodeWire(encodeWireFrame(value, false) as string)).toEqual(value);
  });

  it('rejects malformed frames with a WireFormatError', () => {
    const good = encodeWireBinary({ a: new Uint8Array([1, 2, 3]) });
    const cases = [
      new Uint8Array([1, 2, 3]),
      good.slice(0, good.byteLength - 1),
      new Uint8Array([...good, 0]),
      (() => {
        const wrong = good.slice();
        wrong[4] = 0xff;
        return wrong;
      })(),
    ];
    for (const frame of cases) expect(() => decodeWireBinary(frame)).toThrow(WireFormatError);
  });
});

describe('the web host speaks binary frames to clients that ask', () => {
  let dir: string;
  let host: WebHost;
  let service: HostService;
  const SPACE = 'binary-space-01';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cp-wire-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    service = new HostService({ dataDir: join(dir, 'data'), host: 'web', version: 'test' });
    host = await startWebHost({ service, rendererDir: dir, port: 0, fallbackToFreePort: true });
  });
  afterAll(async () => {
    await host.close();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  const connect = (query: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const url = new URL(`ws://127.0.0.1:${host.port}/api${query}`);
      url.searchParams.set('token', host.token);
      const ws = new WebSocket(url.href, { origin: `http://127.0.0.1:${host.port}` });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const next = (ws: WebSocket) => new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));

  it('appends with a binary frame and syncs the space back as one', async () => {
    const source = new Y.Doc();
    source.getText('t').insert(0, 'x'.repeat(BINARY_FRAME_THRESHOLD * 2));
    const update = Y.encodeStateAsUpdate(source);
    const ws = await connect('?binary=1');
    ws.send(encodeWireBinary({ id: 1, method: 'space.append', input: { spaceId: SPACE, update } }));
    const appended = await next(ws);
    expect(decodeWire(appended.data.toString())).toEqual({ id: 1, ok: true, result: { saved: true } });
    ws.send(encodeWireFrame({ id: 2, method: 'space.sync', input: { spaceId: SPACE, stateVector: new Uint8Array([0]) } }, true));
    const synced = await next(ws);
    expect(synced.isBinary).toBe(true);
    const reply = decodeWireBinary(new Uint8Array(synced.data)) as { result: { update: Uint8Array } };
    const replica = new Y.Doc();
    Y.applyUpdate(replica, reply.result.update);
    expect(replica.getText('t').length).toBe(BINARY_FRAME_THRESHOLD * 2);
    // A garbage binary frame gets a clear error, and the connection keeps working.
    ws.send(new Uint8Array([0x43, 0x50, 0x57, 0x31, 9, 9, 9, 9]));
    expect(decodeWire((await next(ws)).data.toString())).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    ws.send(encodeWireFrame({ id: 3, method: 'app.info', input: {} }, true));
    expect(decodeWire((await next(ws)).data.toString())).toMatchObject({ id: 3, ok: true });
    ws.close();
  });

  it('answers text to clients that did not ask for binary', async () => {
    const ws = await connect('');
    ws.send(encodeWireFrame({ id: 4, method: 'space.sync', input: { spaceId: SPACE, stateVector: new Uint8Array([0]) } }, false));
    const synced = await next(ws);
    expect(synced.isBinary).toBe(false);
    expect((decodeWire(synced.data.toString()) as { result: { update: Uint8Array } }).result.update.byteLength).toBeGreaterThan(BINARY_FRAME_THRESHOLD);
    ws.close();
  });
});

describe('Node Buffers on the wire', () => {
  it('travel as bytes in both frame kinds, not as the {type, data} object their toJSON makes', async () => {
    const { decodeWire, decodeWireBinary, encodeWire, encodeWireBinary } = await import('../../shared/wire');
    const buffer = Buffer.from([1, 2, 3, 250]);
    const value = { digest: buffer, nested: [{ bytes: buffer.subarray(1) }] };
    for (const decoded of [decodeWire(encodeWire(value)), decodeWireBinary(encodeWireBinary(value))] as Array<typeof value>) {
      expect(decoded.digest).toBeInstanceOf(Uint8Array);
      expect([...decoded.digest]).toEqual([1, 2, 3, 250]);
      expect([...decoded.nested[0]!.bytes]).toEqual([2, 3, 250]);
    }
  });
});
