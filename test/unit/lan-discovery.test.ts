/**
 * What the host does with Commonplace services found over mDNS, where any device may announce
 * anything: it follows a bounded number, takes only private and link-local addresses, confirms each
 * by dialing it (never more than a few dials at once) before handing it to the renderer, and forgets
 * services that go away.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LanServiceTracker, probeSignalingServer, type FoundService } from '../../main/services/lan-discovery';
import { logger } from '../../main/services/logger';
import { startSignalingServer, type SignalingServer } from '../../main/services/signaling-server';

logger.setQuiet(true);

/** A probe the test answers by hand, counting the dials in flight. */
function manualProbe() {
  const pending: Array<{ url: string; answer: (ok: boolean) => void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const dialed: string[] = [];
  return {
    probe: (url: string) =>
      new Promise<boolean>((resolve) => {
        dialed.push(url);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        pending.push({
          url,
          answer: (ok) => {
            inFlight--;
            resolve(ok);
          },
        });
      }),
    pending,
    dialed,
    maxInFlight: () => maxInFlight,
    /** Answers every dial in flight (and those they lead to) until none is left. */
    async answerAll(ok: (url: string) => boolean): Promise<void> {
      for (let rounds = 0; rounds < 1000; rounds++) {
        await flush();
        const next = pending.shift();
        if (!next) return;
        next.answer(ok(next.url));
      }
      throw new Error('the dials never end');
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function service(name: string, addresses: string[], port = 4318): FoundService {
  return { name, port, addresses };
}

function tracker(options: Partial<ConstructorParameters<typeof LanServiceTracker>[0]> & { probe: (url: string) => Promise<boolean> }) {
  const changes: string[][] = [];
  const forgotten: string[] = [];
  const t = new LanServiceTracker({ maxServices: 32, maxConcurrentDials: 3, onChange: (peers) => changes.push(peers), onForget: (name) => forgotten.push(name), ...options });
  return { t, changes, forgotten };
}

describe('services found over mDNS', () => {
  it('are handed out only once a dial confirms them, one address each', async () => {
    const dials = manualProbe();
    const { t, changes } = tracker({ probe: dials.probe });
    t.up(service('a', ['10.0.0.2', '10.0.0.2', '192.168.1.2']));
    expect(t.peers()).toEqual([]);
    await dials.answerAll((url) => url === 'ws://192.168.1.2:4318');
    expect(dials.dialed).toEqual(['ws://10.0.0.2:4318', 'ws://192.168.1.2:4318']);
    expect(t.peers()).toEqual(['ws://192.168.1.2:4318']);
    expect(changes).toEqual([['ws://192.168.1.2:4318']]);
  });

  it('take only private and link-local addresses', async () => {
    const dials = manualProbe();
    const { t } = tracker({ probe: dials.probe });
    t.up(service('public', ['8.8.8.8', '100.64.0.1', '2001:db8::1']));
    t.up(service('loopback', ['127.0.0.1', '::1']));
    t.up(service('junk', ['not an address', '999.0.0.1', '', 'fe80::1%eth0']));
    t.up(service('link-local', ['169.254.10.20']));
    t.up(service('ula', ['fd12::7']));
    t.up(service('rfc1918', ['172.20.0.5']));
    await dials.answerAll(() => true);
    expect(dials.dialed.sort()).toEqual(['ws://169.254.10.20:4318', 'ws://172.20.0.5:4318', 'ws://[fd12::7]:4318']);
    expect(t.followed()).toBe(3);
  });

  it('are followed up to a cap; a spoofed flood of announcements cannot grow the list', async () => {
    const dials = manualProbe();
    const { t } = tracker({ probe: dials.probe, maxServices: 4 });
    for (let i = 1; i <= 50; i++) t.up(service(`s${i}`, [`10.0.1.${i}`]));
    expect(t.followed()).toBe(4);
    await dials.answerAll(() => true);
    expect(t.peers()).toHaveLength(4);
    expect(dials.dialed).toHaveLength(4);
  });

  it('are never dialed more than a few at once', async () => {
    const dials = manualProbe();
    const { t } = tracker({ probe: dials.probe, maxConcurrentDials: 3 });
    for (let i = 1; i <= 20; i++) t.up(service(`s${i}`, [`10.0.2.${i}`, `10.0.3.${i}`]));
    await flush();
    expect(dials.pending).toHaveLength(3);
    await dials.answerAll(() => false);
    expect(dials.maxInFlight()).toBe(3);
    expect(dials.dialed).toHaveLength(40);
  });

  it('are forgotten when they say goodbye, and when no address answers', async () => {
    const dials = manualProbe();
    const { t, changes, forgotten } = tracker({ probe: dials.probe });
    t.up(service('stays', ['10.0.0.2']));
    t.up(service('leaves', ['10.0.0.3']));
    t.up(service('spoofed', ['10.0.0.4']));
    await dials.answerAll((url) => !url.includes('10.0.0.4'));
    expect(t.peers()).toEqual(['ws://10.0.0.2:4318', 'ws://10.0.0.3:4318']);
    expect(forgotten).toEqual(['spoofed']);
    expect(t.followed()).toBe(2);
    t.down('leaves');
    expect(t.peers()).toEqual(['ws://10.0.0.2:4318']);
    expect(changes.at(-1)).toEqual(['ws://10.0.0.2:4318']);
    t.down('never-seen');
    expect(t.followed()).toBe(1);
  });

  it('are checked again, forgotten after failing twice, and followed again when they come back', async () => {
    const dials = manualProbe();
    const { t, forgotten } = tracker({ probe: dials.probe });
    t.up(service('cut', ['10.0.0.5']));
    await dials.answerAll(() => true);
    expect(t.peers()).toEqual(['ws://10.0.0.5:4318']);
    t.recheck();
    await dials.answerAll(() => false);
    expect(t.peers()).toEqual(['ws://10.0.0.5:4318']); // one failed check may be a blip
    t.recheck();
    await dials.answerAll(() => false);
    expect(t.peers()).toEqual([]);
    expect(forgotten).toEqual(['cut']);
    t.up(service('cut', ['10.0.0.5']));
    await dials.answerAll(() => true);
    expect(t.peers()).toEqual(['ws://10.0.0.5:4318']);
  });

  it('follow a service whose address changed to the new one', async () => {
    const dials = manualProbe();
    const { t } = tracker({ probe: dials.probe });
    t.up(service('moves', ['10.0.0.6']));
    await dials.answerAll(() => true);
    t.up(service('moves', ['10.0.0.7']));
    await dials.answerAll(() => true);
    expect(t.peers()).toEqual(['ws://10.0.0.7:4318']);
  });

  it('stop dialing once closed', async () => {
    const dials = manualProbe();
    const { t, changes } = tracker({ probe: dials.probe });
    t.up(service('late', ['10.0.0.8']));
    t.close();
    await dials.answerAll(() => true);
    t.up(service('later', ['10.0.0.9']));
    await flush();
    expect(dials.dialed).toEqual(['ws://10.0.0.8:4318']);
    expect(changes).toEqual([]);
  });
});

describe('the confirming dial', () => {
  let signaling: SignalingServer | null = null;
  let other: Server | null = null;
  afterEach(async () => {
    await signaling?.close();
    signaling = null;
    await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
    other = null;
  });

  it('succeeds on a Commonplace signalling server (ping, pong)', async () => {
    signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    expect(await probeSignalingServer(`ws://127.0.0.1:${signaling.port}`)).toBe(true);
  });

  it('fails on something else listening, and on nothing at all', async () => {
    other = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', resolve));
    const address = other.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(await probeSignalingServer(`ws://127.0.0.1:${port}`, 1000)).toBe(false);
    other.close();
    other = null;
    expect(await probeSignalingServer(`ws://127.0.0.1:${port}`, 1000)).toBe(false);
  });
});
