/** The HostApi over the web host's WebSocket, reconnecting with backoff when the host goes away. */
import { ObservableV2 } from 'lib0/observable';
import {
  HostError,
  type HostApi,
  type HostErrorCode,
  type HostEventName,
  type HostEvents,
  type HostInput,
  type HostMethod,
  type HostResult,
} from '../../shared/host-api';
import { decodeWire, decodeWireBinary, encodeWireFrame } from '../../shared/wire';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The web host's API address for a page at `page`: /api on the same host, binary frames, and the
 * token of the page's own address (the host refuses /api without it).
 */
export function webSocketHostUrl(page: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const url = new URL(`${page.protocol === 'https:' ? 'wss' : 'ws'}://${page.host}/api?binary=1`);
  const token = new URLSearchParams(page.search).get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

export function connectWebSocketHost(url: string): HostApi {
  let socket: WebSocket | null = null;
  let connected = false;
  let nextId = 1;
  let retryDelay = 250;
  const pending = new Map<number, Pending>();
  const eventListeners = new Map<string, Set<(payload: never) => void>>();
  /** Who listens (lib0's registry: `connection` events). */
  const events = new ObservableV2<{ connection: (connected: boolean) => void }>();

  const setConnected = (value: boolean) => {
    if (connected === value) return;
    connected = value;
    events.emit('connection', [value]);
  };

  const open = () => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      retryDelay = 250;
      setConnected(true);
    };
    ws.onmessage = (message) => {
      const data = (message.data instanceof ArrayBuffer ? decodeWireBinary(new Uint8Array(message.data)) : decodeWire(String(message.data))) as Record<string, unknown>;
      if (typeof data.event === 'string') {
        for (const listener of eventListeners.get(data.event) ?? []) (listener as (p: unknown) => void)(data.payload);
        return;
      }
      const waiter = pending.get(data.id as number);
      if (!waiter) return;
      pending.delete(data.id as number);
      if (data.ok) waiter.resolve(data.result);
      else {
        const error = data.error as { code: HostErrorCode; message: string };
        waiter.reject(new HostError(error.code, error.message));
      }
    };
    ws.onclose = () => {
      socket = null;
      for (const waiter of pending.values()) waiter.reject(new HostError('unavailable', 'the connection to the host closed'));
      pending.clear();
      setConnected(false);
      setTimeout(open, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 4000);
    };
  };
  open();

  return {
    call<M extends HostMethod>(method: M, input: HostInput<M>): Promise<HostResult<M>> {
      if (!socket || !connected) return Promise.reject(new HostError('unavailable', 'not connected to the host'));
      const id = nextId++;
      const ws = socket;
      return new Promise<HostResult<M>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        ws.send(encodeWireFrame({ id, method, input }, true));
      });
    },
    on<E extends HostEventName>(event: E, listener: (payload: HostEvents[E]) => void) {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onConnection(listener) {
      events.on('connection', listener);
      listener(connected);
      return () => events.off('connection', listener);
    },
  };
}
