/** Picks the renderer's host: Electron's preload bridge when present, else the web host's WebSocket. */
import type { HostApi } from '../../shared/host-api';
import type { HostBridge } from '../../shared/host-bridge';
import { connectIpcHost } from './ipc-host';
import { connectWebSocketHost, webSocketHostUrl } from './ws-host';

declare global {
  interface Window {
    commonplaceHost?: HostBridge;
  }
}

let host: HostApi | null = null;

export function getHost(): HostApi {
  if (!host) {
    host = window.commonplaceHost
      ? connectIpcHost(window.commonplaceHost)
      : connectWebSocketHost(webSocketHostUrl(location));
  }
  return host;
}
