/**
 * The host's own API, called in this process: what a headless host's peers use to read and write the
 * store, with the same validation and events a window gets over IPC or a WebSocket.
 */
import { ObservableV2 } from 'lib0/observable';
import type { HostApi, HostEventName, HostEvents, HostInput, HostMethod, HostResult } from '../../shared/host-api';
import type { HostClient, HostService } from './host-service';

export interface LocalHost extends HostApi {
  close(): void;
}

export function localHost(service: HostService): LocalHost {
  const events = new ObservableV2<{ [E in HostEventName]: (payload: HostEvents[E]) => void }>();
  const client: HostClient = { send: (event, payload) => events.emit(event, [payload] as never), headless: true };
  return {
    call: <M extends HostMethod>(method: M, input: HostInput<M>) => service.handle(client, method, input) as Promise<HostResult<M>>,
    on: (event, listener) => {
      events.on(event, listener as never);
      return () => events.off(event, listener as never);
    },
    // In the same process: connected for as long as it lives.
    onConnection: (listener) => {
      listener(true);
      return () => {};
    },
    close: () => {
      service.detach(client);
      events.destroy();
    },
  };
}
