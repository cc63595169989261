/**
 * Finds other Commonplace hosts on the LAN over mDNS (DNS-SD) and advertises this one. The
 * advertisement says only "a Commonplace signalling server listens on this port": a random instance
 * name, no member name, no space ids, no topics (a passer-by learns nothing about anyone's spaces).
 *
 * Any device on the network may announce anything, so what is found is handled with care: at most
 * MAX_SERVICES services are followed, only private and link-local addresses are taken, each service
 * is confirmed by dialing it (a y-webrtc ping answered by a pong, never more than a few dials at
 * once) before the renderer hears of it, and services that say goodbye or stop answering are forgotten.
 */
import { randomBytes } from 'node:crypto';
import Bonjour from 'bonjour-service';
import { WebSocket } from 'ws';
import { isPrivateOrLinkLocal } from '../../shared/net-address';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

/** DNS-SD service type: _commonplace._tcp. */
export const SERVICE_TYPE = 'commonplace';
/** How often we ask the network again, so hosts that came back after a cut are found. */
const REQUERY_MS = 5000;
/** How often a confirmed service is dialed again to see it is still there. */
const RECHECK_MS = 30_000;
/** Most services followed at once; a LAN with more Commonplace hosts than this is not a community's. */
export const MAX_SERVICES = 32;
/** Most confirming dials in flight at once. */
export const MAX_CONCURRENT_DIALS = 3;
/** A confirmed service that fails this many checks in a row is forgotten (one may be a blip). */
const FAILED_CHECKS_TO_FORGET = 2;
const PROBE_TIMEOUT_MS = 3000;

export interface LanDiscovery {
  /** ws:// URLs of the confirmed signalling servers on the LAN, one per host (never our own). */
  peers(): string[];
  close(): Promise<void>;
}

/** A service as mDNS announced it: its instance name, port and addresses (the packet's sender first). */
export interface FoundService {
  name: string;
  port: number;
  addresses: string[];
}

function toUrl(address: string, port: number): string {
  return address.includes(':') ? `ws://[${address}]:${port}` : `ws://${address}:${port}`;
}

/**
 * Whether `url` is a Commonplace signalling server: it accepts a WebSocket and answers y-webrtc's
 * ping with a pong. Dialed without an Origin header, as another host (not a browser page).
 */
export function probeSignalingServer(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: 4096, perMessageDeflate: false });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'ping' })));
    ws.on('message', (data) => {
      try {
        finish((JSON.parse(data.toString()) as { type?: unknown }).type === 'pong');
      } catch {
        finish(false);
      }
    });
    ws.on('error', () => finish(false));
    ws.on('close', () => finish(false));
    ws.on('unexpected-response', () => finish(false));
  });
}

interface Followed {
  candidates: string[];
  confirmed: string | null;
  failedChecks: number;
  queued: boolean;
}

export interface LanServiceTrackerOptions {
  probe: (url: string) => Promise<boolean>;
  onChange: (peers: string[]) => void;
  /** A service was dropped for not answering; mDNS must be asked afresh to find it again. */
  onForget?: (name: string) => void;
  maxServices?: number;
  maxConcurrentDials?: number;
}

/** The services found over mDNS that this host follows, and the dials that confirm them. */
export class LanServiceTracker {
  private readonly services = new Map<string, Followed>();
  private readonly queue: string[] = [];
  private dialing = 0;
  private closed = false;
  private lastPeers = '[]';
  private warnedFull = false;

  constructor(private readonly options: LanServiceTrackerOptions) {}

  /** Confirmed URLs, one per service. */
  peers(): string[] {
    return [...this.services.values()].flatMap((s) => (s.confirmed ? [s.confirmed] : [])).sort();
  }

  /** How many services are followed (confirmed or being confirmed). */
  followed(): number {
    return this.services.size;
  }

  /** A service announced itself (again, or with new addresses). */
  up(found: FoundService): void {
    if (this.closed || !Number.isInteger(found.port) || found.port < 1 || found.port > 65535) return;
    const candidates = [...new Set(found.addresses.filter((a) => typeof a === 'string' && isPrivateOrLinkLocal(a)))].map((a) => toUrl(a, found.port));
    if (candidates.length === 0) return;
    const known = this.services.get(found.name);
    if (known) {
      if (JSON.stringify(known.candidates) === JSON.stringify(candidates)) return;
      known.candidates = candidates;
      if (known.confirmed && !candidates.includes(known.confirmed)) known.confirmed = null;
      this.enqueue(found.name);
      this.emit();
      return;
    }
    if (this.services.size >= (this.options.maxServices ?? MAX_SERVICES)) {
      if (!this.warnedFull) logger.warn(`mDNS: following ${this.services.size} Commonplace hosts already; ignoring more`);
      this.warnedFull = true;
      return;
    }
    this.services.set(found.name, { candidates, confirmed: null, failedChecks: 0, queued: false });
    this.enqueue(found.name);
  }

  /** A service said goodbye. */
  down(name: string): void {
    if (this.services.delete(name)) this.emit();
  }

  /** Dials every confirmed service again. */
  recheck(): void {
    for (const [name, service] of this.services) if (service.confirmed) this.enqueue(name);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private enqueue(name: string): void {
    const service = this.services.get(name);
    if (!service || service.queued) return;
    service.queued = true;
    this.queue.push(name);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.dialing < (this.options.maxConcurrentDials ?? MAX_CONCURRENT_DIALS) && this.queue.length > 0) {
      const name = this.queue.shift()!;
      this.dialing++;
      void this.confirm(name).finally(() => {
        this.dialing--;
        this.pump();
      });
    }
  }

  /** Dials the service's addresses one after another (the confirmed one first) until one answers. */
  private async confirm(name: string): Promise<void> {
    const service = this.services.get(name);
    if (!service) return;
    service.queued = false;
    const order = service.confirmed ? [service.confirmed, ...service.candidates.filter((c) => c !== service.confirmed)] : [...service.candidates];
    let answered: string | null = null;
    for (const url of order) {
      if (await this.options.probe(url).catch(() => false)) {
        answered = url;
        break;
      }
      if (this.closed || this.services.get(name) !== service) return;
    }
    if (this.closed || this.services.get(name) !== service) return;
    if (answered) {
      if (service.confirmed !== answered) logger.info(`mDNS: found a Commonplace host at ${answered}`);
      service.confirmed = answered;
      service.failedChecks = 0;
    } else if (!service.confirmed || ++service.failedChecks >= FAILED_CHECKS_TO_FORGET) {
      this.services.delete(name);
      this.options.onForget?.(name);
    }
    this.emit();
  }

  private emit(): void {
    if (this.closed) return;
    const peers = this.peers();
    const key = JSON.stringify(peers);
    if (key === this.lastPeers) return;
    this.lastPeers = key;
    this.options.onChange(peers);
  }
}

/** Advertises `port` and reports confirmed signalling servers through `onChange`. */
export function startLanDiscovery(port: number, onChange: (peers: string[]) => void): LanDiscovery {
  const instance = `commonplace-${randomBytes(6).toString('hex')}`;
  const bonjour = new Bonjour({}, (error: unknown) => logger.warn(`mDNS: ${errorMessage(error)}`));
  // The browser announces a service only once; after we drop one, a fresh browser finds it when it is back.
  let forgotSome = false;
  const tracker = new LanServiceTracker({
    probe: (url) => probeSignalingServer(url),
    onChange,
    onForget: () => {
      forgotSome = true;
    },
  });

  bonjour.publish({ name: instance, type: SERVICE_TYPE, port, host: `${instance}.local`, txt: { v: '1' }, disableIPv6: true });

  const onUp = (service: Bonjour.Service) => {
    if (service.name === instance) return;
    // The sender's own address is the one we know reaches it; advertised A records come next.
    const addresses = [service.referer?.address, ...(service.addresses ?? [])].filter((a): a is string => typeof a === 'string');
    tracker.up({ name: service.name, port: service.port, addresses });
  };
  const browse = () => {
    const browser = bonjour.find({ type: SERVICE_TYPE }, onUp);
    browser.on('srv-update', onUp);
    browser.on('down', (service) => tracker.down(service.name));
    return browser;
  };
  let browser: Bonjour.Browser | null = browse();
  const requery = setInterval(() => {
    try {
      if (forgotSome) {
        forgotSome = false;
        browser?.stop();
        browser = browse();
      } else {
        browser?.update();
      }
    } catch (error) {
      logger.warn(`mDNS query failed: ${errorMessage(error)}`);
    }
  }, REQUERY_MS);
  requery.unref();
  const recheck = setInterval(() => tracker.recheck(), RECHECK_MS);
  recheck.unref();

  return {
    peers: () => tracker.peers(),
    close: () =>
      new Promise<void>((resolve) => {
        tracker.close();
        clearInterval(requery);
        clearInterval(recheck);
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
