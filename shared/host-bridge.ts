/** What the Electron preload exposes on `window.commonplaceHost`: a thin pipe for the HostApi contract. */
import type { HostEventName, HostEvents } from './host-api';

export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

export interface HostBridge {
  call(method: string, input: unknown): Promise<BridgeReply>;
  /** Subscribes to host events; returns an unsubscribe function. */
  onEvent(listener: <E extends HostEventName>(event: E, payload: HostEvents[E]) => void): () => void;
}

/** IPC channel names, shared by the preload and the main-process router. */
export const IPC_CALL_CHANNEL = 'commonplace:call';
export const IPC_EVENT_CHANNEL = 'commonplace:event';
