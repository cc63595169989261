/** The CLI as a client of a running host: the same WebSocket API and wire format the renderer uses. */
import { WebSocket } from 'ws';
import type { HostInput, HostMethod, HostResult } from '../../shared/host-api';
import { MAX_MESSAGE_BYTES } from '../../shared/host-api';
import { decodeWire, encodeWire } from '../../shared/wire';

export interface HostConnection {
  call<M extends HostMethod>(method: M, input: HostInput<M>): Promise<HostResult<M>>;
  close(): void;
}

/**
 * Connects to a host's /api at the address it wrote in the data directory's lock (its page with
 * the launch's token); the Origin header is the host's own and the token goes along, as the host requires.
 */
export function connectToHost(url: string, timeoutMs = 5000): Promise<HostConnection> {
  const base = new URL(url);
  const api = new URL('/api', base);
  const token = base.searchParams.get('token');
  if (token) api.searchParams.set('token', token);
  const ws = new WebSocket(api.href.replace(/^http/, 'ws'), { origin: base.origin, maxPayload: MAX_MESSAGE_BYTES });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  ws.on('message', (data) => {
    const message = decodeWire(data.toString()) as { id?: number; ok?: boolean; result?: unknown; error?: { code: string; message: string } };
    if (typeof message.id !== 'number') return; // events are not for the CLI
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) waiter?.resolve(message.result);
    else waiter?.reject(new Error(message.error?.message ?? 'host error'));
  });
  ws.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the host closed the connection'));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from ${base.origin} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({
        call: (method, input) =>
          new Promise((res, rej) => {
            const id = nextId++;
            pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
            ws.send(encodeWire({ id, method, input }));
          }),
        close: () => ws.close(),
      });
    });
  });
}
