/**
 * Keystroke to the other member's screen through TURN, with 40 ms round trip between the homes:
 * Ana and Ben in homes behind NAT (relay-lab.ts), the relay reached through a UDP proxy that holds
 * each datagram 10 ms each way (this kernel has no netem), and the homes' routers let through to the
 * public network only the proxy and the rendezvous, so every packet between Ana and Ben goes
 * Ana → proxy → relay → proxy → Ben (20 ms one way). Run by `npm run bench -- --only relay`, which reads
 * the figures from RELAY_BENCH_OUT. Needs what relay.e2e.ts needs.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { inNs } from '../test/e2e/netns';
import { joinWith, poll, shareCode, startMember, syncStatus, syncState } from '../test/e2e/peers';
import { body, title } from '../test/e2e/harness';
import { RENDEZVOUS, SERVICE, setRelays, startRelayLab, TURN_PASSWORD, TURN_PORT, TURN_USER } from '../test/e2e/relay-lab';
// @ts-expect-error: a plain ES module of the benchmarks, without types
import { keystrokeLatencies, percentile } from './p2p.bench.mjs';

const PROXY_PORT = 3479;
/** Each way through the proxy (RELAY_DELAY_MS changes it): 10 ms makes 40 ms round trip between the homes. */
const DELAY_MS = Number(process.env.RELAY_DELAY_MS ?? 10);
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

it('keystroke through TURN with 40 ms round trip', { timeout: 300_000 }, async () => {
  const lab = await startRelayLab('cpbench');
  cleanups.push(() => lab.destroy());
  const proxy = spawn('ip', ['netns', 'exec', lab.lab.publicNs, process.execPath, join(import.meta.dirname, 'support', 'udp-delay-proxy.mjs'), SERVICE, String(PROXY_PORT), SERVICE, String(TURN_PORT), String(DELAY_MS)], { stdio: 'ignore' });
  cleanups.push(() => proxy.kill('SIGKILL'));
  // From the homes, the public network's service address answers only on the proxy and the rendezvous.
  for (const home of lab.homes) {
    inNs(home.router, `iptables -I FORWARD -o wan -d ${SERVICE} -p udp ! --dport ${PROXY_PORT} -j DROP && iptables -I FORWARD -o wan -d ${SERVICE} -p tcp ! --dport 4443 -j DROP`);
  }
  const alwaysOnDir = join(lab.scratch, 'rendezvous');
  const rendezvous = await lab.startAlwaysOn(alwaysOnDir);
  cleanups.push(() => rendezvous.stop('SIGKILL'));
  const ana = await startMember(lab.homes[0].name, 'Ana', lab.scratch, cleanups, { env: lab.env, browserArgs: lab.browserArgs });
  const a = ana.browser.page;
  await setRelays(a, { rendezvous: RENDEZVOUS, turn: `turn:${SERVICE}:${PROXY_PORT}`, username: TURN_USER, password: TURN_PASSWORD });
  const code = await shareCode(a);
  const ben = await startMember(lab.homes[1].name, 'Ben', lab.scratch, cleanups, { env: lab.env, browserArgs: lab.browserArgs });
  const b = ben.browser.page;
  await joinWith(b, code);
  for (const page of [a, b]) await expect.poll(() => syncState(page), { timeout: 60_000, interval: 200 }).toBe('up-to-date');
  expect(await syncStatus(b).getAttribute('data-peers')).toBe('1');
  await expect.poll(() => title(b).inputValue(), poll).toBe('Welcome to Commonplace');
  await expect.poll(() => body(b).textContent(), poll).toBe(await body(a).textContent());
  const samples = (await keystrokeLatencies({ page: a }, { page: b })) as number[];
  expect(samples.length).toBeGreaterThan(40);
  const figures = [
    { name: `relay keystroke to remote editor through TURN, ${4 * DELAY_MS} ms RTT`, unit: 'ms', samples },
    { name: `relay keystroke to remote editor through TURN, ${4 * DELAY_MS} ms RTT p50`, unit: 'ms', samples: [percentile(samples, 50)] },
    { name: `relay keystroke to remote editor through TURN, ${4 * DELAY_MS} ms RTT p95`, unit: 'ms', samples: [percentile(samples, 95)] },
  ];
  console.log(figures.slice(1).map((f) => `${f.name}: ${f.samples[0]!.toFixed(1)} ms`).join('\n'));
  if (process.env.RELAY_BENCH_OUT) writeFileSync(process.env.RELAY_BENCH_OUT, JSON.stringify(figures));
});
