/**
 * LAN sync on a host: its signalling server, and (unless LAN sync is off) mDNS advertisement and
 * discovery of other hosts. Both hosts (Electron and the web host) compose it the same way.
 */
import { ObservableV2 } from 'lib0/observable';
import type { SyncInfo } from '../../shared/host-api';
import { startLanDiscovery, type LanDiscovery } from './lan-discovery';
import { logger } from './logger';
import { startSignalingServer, type SignalingServer, type SignalingTls } from './signaling-server';
import { errorMessage } from '../../shared/errors';

/** The documented default signalling port; a free one is used when it is taken. */
export const DEFAULT_SIGNALING_PORT = 4318;

export interface LanSyncOptions {
  /** Signalling port; 0 picks a free one. */
  port: number;
  /** false: signalling on loopback only and no mDNS (other hosts on this machine still sync). */
  lan: boolean;
  fallbackToFreePort?: boolean;
  /**
   * Browser origins the signalling server lets in besides members' apps (the desktop app and web
   * hosts' pages on loopback): the host adds the origins it serves the app at, if others.
   */
  allowOrigin?: (origin: string) => boolean;
  /** Signalling over TLS as well (a rendezvous for members beyond the LAN). */
  tls?: SignalingTls;
}

export interface LanSync {
  info(): SyncInfo;
  onChange(listener: (info: SyncInfo) => void): () => void;
  close(): Promise<void>;
}

export async function startLanSync(options: LanSyncOptions): Promise<LanSync> {
  const server: SignalingServer = await startSignalingServer({
    port: options.port,
    host: options.lan ? '0.0.0.0' : '127.0.0.1',
    fallbackToFreePort: options.fallbackToFreePort ?? false,
    allowOrigin: options.allowOrigin,
    tls: options.tls,
  });
  /** Who listens (lib0's registry: `change` events). */
  const events = new ObservableV2<{ change: (info: SyncInfo) => void }>();
  let discovered: string[] = [];
  const info = (): SyncInfo => ({
    lan: options.lan,
    signalingUrls: [`ws://127.0.0.1:${server.port}`, ...discovered],
    addresses: server.addresses(),
  });
  let discovery: LanDiscovery | null = null;
  if (options.lan) {
    try {
      discovery = startLanDiscovery(server.port, (peers) => {
        discovered = peers;
        events.emit('change', [info()]);
      });
    } catch (error) {
      logger.warn(`mDNS discovery is unavailable: ${errorMessage(error)}`);
    }
  }
  logger.info(`signalling on ${options.lan ? 'the LAN' : 'this machine only'}, port ${server.port}`);
  if (server.tlsPort !== null) logger.info(`signalling over TLS (a rendezvous, wss://) on every interface, port ${server.tlsPort}`);
  return {
    info,
    onChange: (listener) => {
      events.on('change', listener);
      return () => events.off('change', listener);
    },
    close: async () => {
      events.destroy();
      await discovery?.close();
      await server.close();
    },
  };
}
