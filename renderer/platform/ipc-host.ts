/** The HostApi over Electron's preload bridge. The IPC connection never drops while the window lives. */
import { HostError, type HostApi, type HostErrorCode, type HostEventName, type HostEvents } from '../../shared/host-api';
import type { HostBridge } from '../../shared/host-bridge';

export function connectIpcHost(bridge: HostBridge): HostApi {
  const listeners = new Map<string, Set<(payload: never) => void>>();
  // An invite link can arrive before the part of the UI that handles it has mounted: keep it until then.
  const heldUntilHeard = new Map<string, unknown>();
  bridge.onEvent((event, payload) => {
    const set = listeners.get(event);
    if ((!set || set.size === 0) && event === 'app.openInvite') heldUntilHeard.set(event, payload);
    for (const listener of set ?? []) (listener as (p: unknown) => void)(payload);
  });
  return {
    async call(method, input) {
      const reply = await bridge.call(method, input);
      if (!reply.ok) throw new HostError(reply.error.code as HostErrorCode, reply.error.message);
      return reply.result as never;
    },
    on<E extends HostEventName>(event: E, listener: (payload: HostEvents[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      if (heldUntilHeard.has(event)) {
        const held = heldUntilHeard.get(event);
        heldUntilHeard.delete(event);
        queueMicrotask(() => listener(held as HostEvents[E]));
      }
      return () => set.delete(listener as (payload: never) => void);
    },
    onConnection(listener) {
      listener(true);
      return () => {};
    },
  };
}
