/**
 * The sandboxed preload: exposes `window.commonplaceHost`, a thin pipe for the HostApi contract,
 * and nothing else. Validation happens in the main process; this only carries calls and events.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { HostEventName, HostEvents } from '../../shared/host-api';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type BridgeReply, type HostBridge } from '../../shared/host-bridge';

const bridge: HostBridge = {
  async call(method: string, input: unknown): Promise<BridgeReply> {
    try {
      return (await ipcRenderer.invoke(IPC_CALL_CHANNEL, method, input)) as BridgeReply;
    } catch {
      return { ok: false, error: { code: 'unavailable', message: 'the desktop host did not answer' } };
    }
  },
  onEvent(listener) {
    const forward = (_event: IpcRendererEvent, name: HostEventName, payload: HostEvents[HostEventName]) => listener(name, payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('commonplaceHost', bridge);
