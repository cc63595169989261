// Peer-to-peer sync benchmark: two (then more) real web hosts and Chromium processes inside a network
// namespace of its own, joined through the invite flow. Measures a keystroke's trip from one peer's
// editor to the other's, and how long a new member takes from "Join" to "Up to date" for a space of
// 1 MB and of 5 MB. Needs root and `ip netns` (like the e2e tests), and a build (`npm run build`).
//   standalone: node bench/p2p.bench.mjs
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = joinPath(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'];
const KEYSTROKES = 60;
const JOIN_SAMPLES = 3;

const ip = (...args) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(read, ok, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

function namespace() {
  if (process.getuid?.() !== 0) throw new Error('the p2p benchmark needs root (it runs its peers in a network namespace)');
  const name = `cpbench-${process.pid % 10000}`;
  ip('netns', 'add', name);
  const destroy = () => {
    try {
      ip('netns', 'del', name);
    } catch {
      // already gone
    }
  };
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
    ip('-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', name, 'addr', 'add', '10.231.11.1/24', 'dev', 'eth0');
    ip('-n', name, 'link', 'set', 'eth0', 'up');
    ip('-n', name, 'link', 'set', 'eth1', 'up');
    ip('-n', name, 'route', 'add', 'default', 'dev', 'eth0');
  } catch (error) {
    destroy();
    throw error;
  }
  return { name, destroy };
}

async function startHost(ns, scratch) {
  const dataDir = mkdtempSync(joinPath(scratch, 'data-'));
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, joinPath(ROOT, 'dist', 'web', 'host.mjs'), '--port', '0', '--data-dir', dataDir,
    '--no-lan', '--signaling-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = await until(async () => /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(output)?.[1], Boolean, 'the host to start', 20_000);
  return { url, stop: () => child.kill('SIGKILL') };
}

async function startMember(ns, scratch, wrapper, name) {
  const host = await startHost(ns, scratch);
  const context = await chromium.launchPersistentContext(mkdtempSync(joinPath(scratch, 'profile-')), {
    executablePath: wrapper, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 850 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(host.url);
  // A new data directory: the app first asks the member's name.
  await page.getByRole('textbox', { name: 'Display name' }).fill(name);
  await page.getByRole('button', { name: 'Save' }).click();
  await until(() => page.getByRole('textbox', { name: 'Note title' }).inputValue(), (t) => t === 'Welcome to Commonplace', `${name}'s notebook`);
  return { host, context, page, close: async () => { await context.close(); host.stop(); } };
}

const syncState = (page) => page.getByRole('status', { name: 'Sync status' }).getAttribute('data-state');

async function joinWithCode(page, code) {
  await page.getByRole('button', { name: 'Join space' }).click();
  await page.getByRole('textbox', { name: 'Invite code' }).fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
      await page.getByRole('textbox', { name: 'Invite code' }).waitFor({ state: 'detached' });
}

async function pasteNote(page, title, size) {
  await page.getByRole('button', { name: 'New note' }).first().click();
  await page.getByRole('textbox', { name: 'Note title' }).fill(title);
  await page.getByRole('textbox', { name: 'Note body' }).click();
  await page.evaluate((total) => {
    const line = 'Practice note line with enough words to look like real writing. '.repeat(16);
    const text = Array.from({ length: Math.ceil(total / 1000) }, (_, i) => `${i} ${line}`.slice(0, 999)).join('\n');
    const data = new DataTransfer();
    data.setData('text/plain', text);
    document.querySelector('[aria-label="Note body"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, size);
  await until(async () => (await page.getByRole('textbox', { name: 'Note body' }).textContent())?.length ?? 0, (n) => n >= size * 0.99, 'the paste');
}

async function keystrokeLatencies(a, b) {
  await b.page.evaluate(() => {
    const el = document.querySelector('[aria-label="Note body"]');
    window.__arrivals = [];
    new MutationObserver(() => window.__arrivals.push([el.textContent.length, performance.timeOrigin + performance.now()])).observe(el, {
      subtree: true, childList: true, characterData: true,
    });
  });
  await a.page.getByRole('textbox', { name: 'Note body' }).click();
  await a.page.keyboard.press('Control+End');
  const base = (await b.page.getByRole('textbox', { name: 'Note body' }).textContent()).length;
  await a.page.evaluate(() => {
    window.__keys = [];
    document.addEventListener('keydown', () => window.__keys.push(performance.timeOrigin + performance.now()), true);
  });
  for (let i = 0; i < KEYSTROKES; i++) {
    await a.page.keyboard.type(String.fromCharCode(97 + (i % 26)));
    await sleep(60);
  }
  await until(async () => (await b.page.getByRole('textbox', { name: 'Note body' }).textContent()).length, (n) => n >= base + KEYSTROKES, 'the last keystroke');
  const keys = await a.page.evaluate(() => window.__keys);
  const arrivals = await b.page.evaluate(() => window.__arrivals);
  return keys.map((sent, i) => {
    const arrival = arrivals.find(([length]) => length >= base + i + 1);
    return arrival ? arrival[1] - sent : NaN;
  }).filter(Number.isFinite);
}

async function joinTimes(ns, scratch, wrapper, code, label) {
  const samples = [];
  for (let i = 0; i < JOIN_SAMPLES; i++) {
    const c = await startMember(ns, scratch, wrapper, `${label}-${i}`);
    try {
      const started = performance.now();
      await joinWithCode(c.page, code);
      await until(() => syncState(c.page), (s) => s === 'up-to-date', 'up to date');
      samples.push(performance.now() - started);
      await until(() => c.page.getByRole('link', { name: 'Big 1' }).count(), (n) => n > 0, 'the big note');
    } finally {
      await c.close();
    }
  }
  return samples;
}

const percentile = (values, p) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** Runs the benchmark; each result is one measurement's samples (milliseconds). */
export async function runP2pBench() {
  if (!existsSync(joinPath(ROOT, 'dist', 'web', 'host.mjs'))) throw new Error('dist/web/host.mjs is missing: run `npm run build` first');
  const scratch = mkdtempSync(joinPath(tmpdir(), 'commonplace-bench-'));
  const ns = namespace();
  const wrapper = joinPath(scratch, 'chromium.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns.name}' '${CHROMIUM}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const open = [];
  try {
    const a = await startMember(ns.name, scratch, wrapper, 'A');
    open.push(a);
    const b = await startMember(ns.name, scratch, wrapper, 'B');
    open.push(b);
    await a.page.getByRole('button', { name: 'Share space' }).click();
    const code = await until(() => a.page.getByRole('textbox', { name: 'Invite code' }).inputValue(), (v) => v.startsWith('cp1.'), 'the invite');
    await a.page.getByRole('button', { name: 'Close' }).click();
    await joinWithCode(b.page, code);
    await until(() => syncState(b.page), (s) => s === 'up-to-date', 'B up to date');
    await until(() => syncState(a.page), (s) => s === 'up-to-date', 'A up to date');
    const keystroke = await keystrokeLatencies(a, b);
    await pasteNote(a.page, 'Big 1', 1024 * 1024);
    await sleep(1000);
    const oneMb = await joinTimes(ns.name, scratch, wrapper, code, 'C1');
    await pasteNote(a.page, 'Big 2', 4 * 1024 * 1024);
    await sleep(2000);
    const fiveMb = await joinTimes(ns.name, scratch, wrapper, code, 'C5');
    return [
      { name: 'p2p keystroke to remote editor', unit: 'ms', samples: keystroke },
      { name: 'p2p keystroke to remote editor p50', unit: 'ms', samples: [percentile(keystroke, 50)] },
      { name: 'p2p keystroke to remote editor p95', unit: 'ms', samples: [percentile(keystroke, 95)] },
      { name: 'p2p join to up to date, 1 MB space', unit: 'ms', samples: oneMb },
      { name: 'p2p join to up to date, 5 MB space', unit: 'ms', samples: fiveMb },
    ];
  } finally {
    for (const member of open.reverse()) await member.close().catch(() => {});
    ns.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await runP2pBench();
  for (const { name, unit, samples } of results) {
    const shown = samples.length > 1 ? `p50 ${percentile(samples, 50).toFixed(1)} p95 ${percentile(samples, 95).toFixed(1)} (n=${samples.length})` : samples[0].toFixed(1);
    console.log(`${name}: ${shown} ${unit}`);
  }
}
