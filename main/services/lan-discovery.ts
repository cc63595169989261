/**
 * Finds other Commonplace hosts on the LAN over mDNS (DNS-SD) and advertises this one. The
 * advertisement says only "a Commonplace signalling server listens on this port": a random instance
 * name, no member name, no space ids, no topics (a passer-by learns nothing about anyone's spaces).
 */
import { randomBytes } from 'node:crypto';
import Bonjour from 'bonjour-service';
import { parseIPv4 } from '../../shared/net-address';
import { logger } from './logger';

/** DNS-SD service type: _commonplace._tcp. */
export const SERVICE_TYPE = 'commonplace';
/** How often we ask the network again, so hosts that came back after a cut are found. */
const REQUERY_MS = 5000;

export interface LanDiscovery {
  /** ws:// URLs of the signalling servers found on the LAN (never our own). */
  peers(): string[];
  close(): Promise<void>;
}

function toUrl(address: string, port: number): string {
  return address.includes(':') ? `ws://[${address}]:${port}` : `ws://${address}:${port}`;
}

/** Advertises `port` and reports discovered signalling servers through `onChange`. */
export function startLanDiscovery(port: number, onChange: (peers: string[]) => void): LanDiscovery {
  const instance = `commonplace-${randomBytes(6).toString('hex')}`;
  const found = new Map<string, string[]>();
  let closed = false;
  const bonjour = new Bonjour({}, (error: unknown) => logger.warn(`mDNS: ${error instanceof Error ? error.message : String(error)}`));
  const peers = () => [...new Set([...found.values()].flat())].sort();
  const emit = () => {
    if (!closed) onChange(peers());
  };

  bonjour.publish({ name: instance, type: SERVICE_TYPE, port, host: `${instance}.local`, txt: { v: '1' }, disableIPv6: true });

  const onUp = (service: Bonjour.Service) => {
    if (service.name === instance || typeof service.port !== 'number') return;
    // The sender's own address is the one we know reaches it; advertised A records come next.
    const addresses = [service.referer?.address, ...(service.addresses ?? [])].filter(
      (a): a is string => typeof a === 'string' && parseIPv4(a) !== null && !a.startsWith('169.254.'),
    );
    if (addresses.length === 0) return;
    const urls = [...new Set(addresses)].map((a) => toUrl(a, service.port));
    const before = JSON.stringify(found.get(service.name));
    found.set(service.name, urls);
    if (JSON.stringify(urls) !== before) {
      logger.info(`mDNS: found a Commonplace host at ${urls.join(', ')}`);
      emit();
    }
  };
  let browser: Bonjour.Browser | null = bonjour.find({ type: SERVICE_TYPE }, onUp);
  // A host that goes away keeps its URL: y-webrtc retries it, and it is found again when back.
  const requery = setInterval(() => {
    try {
      browser?.update();
    } catch (error) {
      logger.warn(`mDNS query failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }, REQUERY_MS);
  requery.unref();

  return {
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        clearInterval(requery);
        browser?.stop();
        browser = null;
        const done = setTimeout(resolve, 1000);
        bonjour.unpublishAll(() => {
          bonjour.destroy();
          clearTimeout(done);
          resolve();
        });
      }),
  };
}
