// Peer-to-peer sync benchmark: two (then more) real web hosts and Chromium processes inside a network
// namespace of its own, joined through the invite flow. Measures a keystroke's trip from one peer's
// editor to the other's, and how long a new member takes from "Join" to "Up to date" for a space of
// 1 MB and of 5 MB. Then, with a space of 10,000 real notes (bench/node-bench.ts `generateSpace`,
// written into the inviter's data dir before its host starts): a new member's join (first note
// readable, whole space local, throughput, the renderer's long tasks meanwhile), and a reconnect after
// time apart with 3 notes changed on each side (time to up to date, bytes sent over WebRTC).
// Needs root and `ip netns` (like the e2e tests), and a build (`npm run build`).
//   standalone: node bench/p2p.bench.mjs   (bundles bench/node-bench.ts for the generator, as bench/run.mjs does)
//   or:         npm run bench -- --only extra
//   env: P2P_10K_JOIN_SAMPLES (default 2), P2P_RECONNECT_SAMPLES (default 3), P2P_NOTE_COUNT (default 10000),
//        P2P_ONLY_10K=1 (only the 10,000-note figures: for working on that part),
//        P2P_ONLY_ATTACHMENTS=1 (stop after the keystroke, comment and photo figures), P2P_ATTACHMENT_SAMPLES (default 3)
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = joinPath(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns'];
const KEYSTROKES = 60;
const COMMENTS = 10;
const JOIN_SAMPLES = 3;
const BIG_NOTE_COUNT = Number(process.env.P2P_NOTE_COUNT ?? 10_000);
const BIG_JOIN_SAMPLES = Number(process.env.P2P_10K_JOIN_SAMPLES ?? 2);
const RECONNECT_SAMPLES = Number(process.env.P2P_RECONNECT_SAMPLES ?? 3);
/** A new member's join of the 10,000-note space may take minutes on a busy 2-core machine. */
const WHOLE_SPACE_TIMEOUT_MS = 15 * 60_000;
const epochNow = () => performance.timeOrigin + performance.now();

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

async function startHost(ns, scratch, dataDir = mkdtempSync(joinPath(scratch, 'data-'))) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, joinPath(ROOT, 'dist', 'web', 'host.mjs'), '--port', '0', '--data-dir', dataDir,
    '--no-lan', '--signaling-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = await until(async () => /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(output)?.[1], Boolean, 'the host to start', 20_000);
  // `ip netns exec` execs the command (no fork): child.pid is the host's Node process.
  return { url, dataDir, pid: child.pid, output: () => output, stop: () => child.kill('SIGKILL') };
}

async function launchBrowser(scratch, wrapper, initScripts = []) {
  const context = await chromium.launchPersistentContext(mkdtempSync(joinPath(scratch, 'profile-')), {
    executablePath: wrapper, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 850 },
  });
  for (const script of initScripts) await context.addInitScript(script);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

async function startMember(ns, scratch, wrapper, name, { initScripts = [] } = {}) {
  const host = await startHost(ns, scratch);
  const { context, page } = await launchBrowser(scratch, wrapper, initScripts);
  if (process.env.P2P_DEBUG) page.on('console', (m) => console.error(`  ${name} console.${m.type()}: ${m.text().slice(0, 300)}`));
  await page.goto(host.url);
  // A new data directory: the app first asks the member's name.
  await page.getByRole('textbox', { name: 'Display name' }).fill(name);
  await page.getByRole('button', { name: 'Save' }).click();
  await until(() => page.getByRole('textbox', { name: 'Note title' }).inputValue(), (t) => t === 'Welcome to Commonplace', `${name}'s notebook`);
  return { name, host, context, page, close: async () => { await context.close(); host.stop(); } };
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

export async function keystrokeLatencies(a, b) {
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

/** From A's click on "Post" to the comment shown in B's Comments panel, on the note both have open. */
async function commentLatencies(a, b) {
  await b.page.getByRole('button', { name: /^Comments/ }).click();
  await b.page.evaluate(() => {
    window.__comments = [];
    const seen = new Set();
    new MutationObserver(() => {
      const text = document.querySelector('[aria-label="Comments"]')?.textContent ?? '';
      for (const match of text.matchAll(/Bench comment (\d+)\./g)) {
        if (seen.has(match[1])) continue;
        seen.add(match[1]);
        window.__comments.push([Number(match[1]), performance.timeOrigin + performance.now()]);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await a.page.evaluate(() => {
    window.__posts = [];
    document.addEventListener('click', (e) => e.target?.closest?.('button')?.textContent === 'Post' && window.__posts.push(performance.timeOrigin + performance.now()), true);
  });
  const samples = [];
  for (let i = 0; i < COMMENTS; i++) {
    await a.page.getByRole('textbox', { name: 'Note body' }).click();
    await a.page.keyboard.press('Control+Home');
    await a.page.keyboard.press('Shift+End');
    await a.page.getByRole('button', { name: 'Comment', exact: true }).click();
    await a.page.getByRole('region', { name: 'Comments' }).getByRole('textbox', { name: 'Comment' }).fill(`Bench comment ${i}.`);
    await a.page.getByRole('region', { name: 'Comments' }).getByRole('button', { name: 'Post' }).click();
    await until(() => b.page.evaluate(() => window.__comments.length), (n) => n > i, `comment ${i} on the other member's screen`);
    const [posted, shown] = await Promise.all([a.page.evaluate((n) => window.__posts[n], i), b.page.evaluate((n) => window.__comments.find(([k]) => k === n)?.[1], i)]);
    samples.push(shown - posted);
    await sleep(100);
  }
  return samples;
}

const ATTACHMENT_SAMPLES = Number(process.env.P2P_ATTACHMENT_SAMPLES ?? 3);

/**
 * A 5 MB photo pasted into A's note: from the paste to the image decoded on A's screen, and to the
 * image decoded on B's (B has the note open; the bytes travel in verified chunks over WebRTC).
 */
async function attachmentLatencies(a, b) {
  const watch = () => {
    window.__images = [];
    const seen = new WeakSet();
    new MutationObserver(() => {
      for (const img of document.querySelectorAll('.attachment-image img')) {
        if (seen.has(img)) continue;
        seen.add(img);
        const done = () => window.__images.push([img.alt, performance.timeOrigin + performance.now()]);
        if (img.complete && img.naturalWidth > 0) done();
        else img.addEventListener('load', done, { once: true });
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  };
  await a.page.evaluate(watch);
  await b.page.evaluate(watch);
  const shown = [];
  const peer = [];
  for (let i = 0; i < ATTACHMENT_SAMPLES; i++) {
    // A PNG of random pixels drawn in A's page (it hardly compresses): a 5 MB photo's weight without a camera.
    const bytes = await a.page.evaluate(async (seed) => {
      const side = 1322;
      const canvas = new OffscreenCanvas(side, side);
      const context = canvas.getContext('2d');
      const image = context.createImageData(side, side);
      let x = seed;
      for (let p = 0; p < image.data.length; p++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        image.data[p] = (p & 3) === 3 ? 255 : x & 0xff;
      }
      context.putImageData(image, 0, 0);
      window.__photo = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      return window.__photo.byteLength;
    }, 1000 + i);
    if (bytes < 5 * 1000 * 1000) throw new Error(`the bench photo has ${bytes} bytes, not 5 MB`);
    await a.page.getByRole('textbox', { name: 'Note body' }).click();
    await a.page.keyboard.press('Control+End');
    await a.page.keyboard.press('Enter');
    const pastedAt = await a.page.evaluate((n) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([window.__photo], `photo-${n}.png`, { type: 'image/png' }));
      const at = performance.timeOrigin + performance.now();
      document.querySelector('[aria-label="Note body"]').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
      return at;
    }, i);
    const count = i + 1;
    await until(() => a.page.evaluate(() => window.__images.length), (n) => n >= count, `photo ${i} on A's screen`);
    await until(() => b.page.evaluate(() => window.__images.length), (n) => n >= count, `photo ${i} on B's screen`).catch(async (error) => {
      if (process.env.P2P_DEBUG) {
        await b.page.screenshot({ path: joinPath(tmpdir(), 'p2p-attachment-b.png') });
        console.error(await b.page.evaluate(() => document.querySelector('[aria-label="Note body"]')?.innerHTML.slice(0, 2000)));
      }
      throw error;
    });
    const [onA, onB] = await Promise.all([a.page.evaluate((n) => window.__images[n][1], i), b.page.evaluate((n) => window.__images[n][1], i)]);
    shown.push(onA - pastedAt);
    peer.push(onB - pastedAt);
    await sleep(300);
  }
  return { shown, peer };
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

// ---------------------------------------------------------------------------------------------------
// The 10,000-note space.

/**
 * Page instrumentation, installed with context.addInitScript before the app loads:
 * - every RTCPeerConnection the page makes is recorded (window.RTCPeerConnection is wrapped in a Proxy;
 *   the app's chunked wrapper reads globalThis.RTCPeerConnection when it starts a provider, so it gets
 *   this one), with its creation time, so the bytes of connections made after a moment can be summed;
 * - long tasks (PerformanceObserver 'longtask', buffered), with epoch start times;
 * - transitions of the "Sync status" region's data-state, with epoch times (an attribute-only observer);
 * - clicks on "Join" and "Work offline", with epoch times.
 * Every time kept is epoch milliseconds (performance.timeOrigin + performance.now()), so the two pages
 * and this script share one clock.
 */
function pageProbe() {
  const now = () => performance.timeOrigin + performance.now();
  window.__bench = { pcs: [], longTasks: [], syncStates: [], clicks: [], channelBytes: 0 };
  const bench = window.__bench;
  const Native = window.RTCPeerConnection;
  if (Native) {
    window.RTCPeerConnection = new Proxy(Native, {
      construct(target, args, newTarget) {
        const pc = Reflect.construct(target, args, newTarget === window.RTCPeerConnection ? target : newTarget);
        bench.pcs.push({ pc, createdAt: now(), sent: 0 });
        return pc;
      },
    });
  }
  // Payload handed to data channels (a cross-check of the transport figure; not what is reported).
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    bench.channelBytes += typeof data === 'string' ? data.length : (data.byteLength ?? data.size ?? 0);
    return send.call(this, data);
  };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push([performance.timeOrigin + e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    bench.longTasks = null; // no Long Tasks API: reported as an error, not as zero
  }
  const recordState = () => {
    const state = document.querySelector('[role="status"][aria-label="Sync status"]')?.getAttribute('data-state') ?? null;
    const last = bench.syncStates[bench.syncStates.length - 1];
    if (!last || last[1] !== state) bench.syncStates.push([now(), state]);
  };
  new MutationObserver(recordState).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  document.addEventListener(
    'click',
    (event) => {
      const button = event.target instanceof Element ? event.target.closest('button') : null;
      const label = button?.textContent?.trim();
      if (label === 'Join' || label === 'Work offline') bench.clicks.push([label, now()]);
    },
    true,
  );
  /**
   * Bytes sent by the page's WebRTC connections made at or after `since`: for each, the 'transport'
   * stats' bytesSent (the DTLS records carrying the SCTP data channels, DTLS handshake included; no
   * UDP/IP headers), or, if there is no transport entry, the selected candidate pair's. A connection's
   * figure is the largest ever read, so one closed meanwhile (getStats no longer answers) still counts.
   */
  bench.rtcSent = async (since) => {
    let total = 0;
    let counted = 0;
    for (const record of bench.pcs) {
      if (record.createdAt < since) continue;
      counted++;
      try {
        const stats = await record.pc.getStats();
        let transport = 0;
        let pair = 0;
        let selected = null;
        stats.forEach((s) => {
          if (s.type === 'transport') {
            transport += s.bytesSent ?? 0;
            selected = s.selectedCandidatePairId ?? selected;
          }
        });
        stats.forEach((s) => {
          if (s.type === 'candidate-pair' && (s.id === selected || (!selected && s.nominated))) pair += s.bytesSent ?? 0;
        });
        record.sent = Math.max(record.sent, transport || pair);
      } catch {
        // closed: keep the last reading
      }
      total += record.sent;
    }
    return { bytes: total, connections: counted };
  };
  // Readings while a measurement runs, so a connection closed before the end keeps its bytes.
  bench.watchRtc = (since) => {
    clearInterval(bench.rtcTimer);
    bench.rtcTimer = setInterval(() => void bench.rtcSent(since), 100);
  };
  bench.stopRtc = () => clearInterval(bench.rtcTimer);
}

/**
 * Calls the page's own host directly over a second WebSocket of the page's origin, with the page's
 * token (JSON frames: bytes come back as {"$bytes": base64}). Used to compare two hosts' document
 * manifests; it reads, never writes.
 */
async function hostCall(page, method, input, reduce = 'json') {
  return page.evaluate(
    async ({ method, input, reduce }) => {
      if (!window.__benchHost) {
        window.__benchHost = new Promise((resolve, reject) => {
          const token = new URLSearchParams(location.search).get('token') ?? '';
          const ws = new WebSocket(`ws://${location.host}/api?token=${encodeURIComponent(token)}`);
          const pending = new Map();
          let next = 1;
          ws.onmessage = (m) => {
            const data = JSON.parse(m.data);
            const waiter = pending.get(data.id);
            if (!waiter) return;
            pending.delete(data.id);
            if (data.ok) waiter.resolve(data.result);
            else waiter.reject(new Error(`${data.error.code}: ${data.error.message}`));
          };
          ws.onopen = () =>
            resolve({
              call: (m, i) =>
                new Promise((res, rej) => {
                  const id = next++;
                  pending.set(id, { resolve: res, reject: rej });
                  ws.send(JSON.stringify({ id, method: m, input: i }));
                }),
            });
          ws.onerror = () => reject(new Error('the probe socket to the host failed'));
          ws.onclose = () => {
            window.__benchHost = null;
            for (const waiter of pending.values()) waiter.reject(new Error('the probe socket to the host closed'));
          };
        });
      }
      const result = await (await window.__benchHost).call(method, input);
      return reduce === 'count' ? result.docs.length : JSON.stringify(result);
    },
    { method, input, reduce },
  );
}

const manifestOf = (member, spaceId) => hostCall(member.page, 'notes.manifest', { spaceId });
const docCountOf = (member, spaceId) => hostCall(member.page, 'notes.bucketDocs', { spaceId, buckets: Array.from({ length: 256 }, (_, i) => i) }, 'count');

/** Sum of the "Tags" list's counts: each generated note has exactly one tag (its topic, or "bench"). */
const taggedNotes = (page) =>
  page.evaluate(() => [...document.querySelectorAll('nav[aria-label="Tags"] .count')].reduce((sum, el) => sum + Number(el.textContent), 0));

/** CPU time (ms) a process has used so far. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** Waits until the hosts are idle (start-up indexing, compaction), so one measurement does not pay for the last. */
async function hostsQuiet(hosts, what, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last = NaN;
  while (Date.now() < deadline) {
    const before = hosts.map((h) => cpuMs(h.pid));
    await sleep(1000);
    last = hosts.reduce((sum, h, i) => sum + cpuMs(h.pid) - before[i], 0);
    if (last <= 50) return;
  }
  console.error(`  (the hosts were still busy before ${what}: ${last} ms of CPU in the last second; measuring anyway)`);
}

const noteHash = (spaceId, noteId) => `#/space/${spaceId}/note/${noteId}`;

/** Opens a note by its URL hash and waits until its body shows it, editable; returns the first block's text. */
async function openNote(page, spaceId, noteId, title, firstWords = null) {
  await page.evaluate((hash) => (location.hash = hash), noteHash(spaceId, noteId));
  return until(
    () =>
      page.evaluate(
        ({ title, firstWords }) => {
          const body = document.querySelector('[aria-label="Note body"]');
          const shown = document.querySelector('input[aria-label="Note title"]')?.value;
          const first = body?.firstElementChild?.textContent ?? '';
          const ok = shown === title && body?.getAttribute('contenteditable') === 'true' && (body.textContent ?? '').length > 0 && (firstWords === null || first.includes(firstWords) || body.textContent.includes(firstWords));
          return { ok, shown, first: first.slice(0, 80) };
        },
        { title, firstWords },
      ),
    (r) => r.ok,
    `note ${JSON.stringify(title)} to show`,
    120_000,
  ).then((r) => r.first);
}

const saveState = (page) => page.getByRole('status', { name: 'Save status' }).getAttribute('data-state');

/** Types at the end of a note's body and waits until the host has it. */
async function editNote(page, spaceId, note, words) {
  await openNote(page, spaceId, note.id, note.title, note.firstWords);
  await page.getByRole('textbox', { name: 'Note body' }).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(words, { delay: 20 });
  await until(() => page.getByRole('textbox', { name: 'Note body' }).textContent(), (t) => t.includes(words.trim()), `the words typed into ${JSON.stringify(note.title)}`);
  await sleep(100);
  await until(() => saveState(page), (s) => s === 'saved', `${JSON.stringify(note.title)} saved`);
}

/** Clicks "Work offline" (a toggle) and waits for the state it leads to. */
async function toggleOffline(member, wantOffline) {
  await member.page.getByRole('button', { name: 'Work offline' }).click();
  if (wantOffline) await until(() => syncState(member.page), (s) => s === 'offline', `${member.name} offline`);
}

/**
 * In C's page: watches, every frame from before the Join click, for a note of the space shown with its
 * body: the "Note title" value is one of the generated titles, the "Note body" is contenteditable and
 * has text, and that text includes the note's firstWords (the first block's text as the editor renders
 * it). Records the epoch time of the first frame where that holds (window.__bench.firstNote).
 */
function watchFirstNote(page, firstWordsByTitle) {
  return page.evaluate((byTitle) => {
    const bench = window.__bench;
    bench.firstNote = null;
    bench.titleShownAt = null;
    const check = () => {
      const input = document.querySelector('input[aria-label="Note title"]');
      const body = document.querySelector('[aria-label="Note body"]');
      const title = input?.value ?? null;
      const words = title !== null ? byTitle[title] : undefined;
      const editable = body?.getAttribute('contenteditable') === 'true';
      let ok = false;
      if (words && editable) {
        const first = body.firstElementChild?.textContent ?? '';
        ok = words.some((w) => first.includes(w)) || (body.textContent.length > 0 && words.some((w) => body.textContent.includes(w)));
        ok &&= body.textContent.length > 0;
      }
      bench.firstNoteLast = { title, known: Boolean(words), editable, start: (body?.textContent ?? '').slice(0, 60) };
      if (words && !bench.titleShownAt) bench.titleShownAt = performance.timeOrigin + performance.now();
      if (ok) bench.firstNote = { at: performance.timeOrigin + performance.now(), title };
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, firstWordsByTitle);
}

/**
 * Waits until the `watch` members (all of `members` unless given) show "Up to date" and the hosts of
 * `members` hold the same documents (equal manifests: for each of 256 buckets the XOR of the documents'
 * digests, a digest covering state vector and deletions). The time returned is the latest of the
 * watched members' last switches to "Up to date" since `since` (recorded in the pages), or, when the
 * hosts still differed at the first check after that, the time this script saw them equal.
 */
async function untilConverged(members, spaceId, what, timeoutMs, { since = 0, watch = members, extra = async () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  let firstCheck = true;
  let progressAt = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(watch.map((m) => syncState(m.page).catch(() => null)));
    last = { states };
    if (states.every((s) => s === 'up-to-date') && (await extra(last))) {
      const manifests = await Promise.all(members.map((m) => manifestOf(m, spaceId)));
      const seenAt = epochNow();
      const same = manifests.every((m) => m === manifests[0]);
      last.sameDocuments = same;
      // Still up to date after the check: no round started while the manifests were read.
      const after = await Promise.all(watch.map((m) => syncState(m.page).catch(() => null)));
      if (same && after.every((s) => s === 'up-to-date')) {
        if (!firstCheck) return { at: seenAt, how: 'seen by the script' };
        const switches = await Promise.all(
          watch.map((m) => m.page.evaluate((since) => window.__bench.syncStates.filter(([at, s]) => s === 'up-to-date' && at >= since).map(([at]) => at).pop() ?? null, since)),
        );
        return switches.every((t) => t !== null) ? { at: Math.max(...switches), how: 'last switch to up to date' } : { at: seenAt, how: 'seen by the script' };
      }
      firstCheck = false;
    }
    if (Date.now() > progressAt) {
      console.error(`  …waiting for ${what}: ${JSON.stringify(last)}`);
      progressAt = Date.now() + 15_000;
    }
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

function attachConsole(member, problems) {
  // P2P_DEBUG=1 prints them as they come, besides the summary at the end.
  const note = (line) => (problems.push(line), process.env.P2P_DEBUG && console.error(`  [${new Date().toISOString().slice(11, 23)}] ${line}`));
  member.page.on('pageerror', (error) => note(`${member.name} pageerror: ${error.message}`));
  member.page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning' || process.env.P2P_DEBUG) note(`${member.name} console.${message.type()}: ${message.text().slice(0, 300)}`);
  });
}

/** The first block of every note of the generated space, by title, to recognise any of its notes on screen. */
async function firstWordsByTitle(a, space) {
  const byTitle = {};
  for (const note of space.notes) (byTitle[note.title] ??= []).push(note.firstWords);
  // The two long notes: their first block as A's editor renders it (the list sorts by last update,
  // so the 100,000-word note is the one a new member's window shows first).
  for (const big of Object.values(space.big)) {
    const first = await openNote(a.page, space.spaceId, big.id, big.title);
    (byTitle[big.title] ??= []).push(first.slice(0, 24));
  }
  return byTitle;
}

/**
 * The 10,000-note figures. The inviter A here is a member of its own (host and browser), whose data dir
 * gets the generated space before its host starts: the first part's A opens to its "My notebook" space
 * and shares that one, and a host holding 10,000 notes (indexing them at start) would change what the
 * keystroke and 1 MB / 5 MB figures measure. What each figure is:
 * - join to first note readable: from the "Join" click (in C's page) to the first frame where C's window
 *   shows a note of the space: "Note title" holds a generated title, "Note body" is contenteditable and
 *   includes that note's firstWords. C opens the most recently updated note, which in the generated
 *   space is the 100,000-word one.
 * - join to whole space local: from the same click to C's last switch to "Up to date" before C's and
 *   A's hosts were seen holding the same documents (equal manifests), the "Tags" list counting every
 *   note (each generated note has one tag); then both hosts are asked for every document and must
 *   list the same number (the notes and the catalog).
 * - join throughput: A's docs.pack + docs.log (the space as stored, read before C joins), in 10^6
 *   bytes, divided by the whole-space time.
 * - long tasks: the 'longtask' entries of C's page that overlap the join (click to whole space local):
 *   their count, and the longest.
 * - reconnect: A and C up to date, both "Work offline", A edits 3 notes and C 3 others (each saved on
 *   its host), both back online at once; from the first of the two clicks to the later of the two
 *   pages' last switch to "Up to date", with both hosts holding the same documents (so each has the
 *   other's 3 edits; one of them is then opened on each side and looked at).
 * - reconnect bytes: what both browsers sent over the WebRTC connections made by the reconnect
 *   (bench.rtcSent in pageProbe: transport-level bytesSent, DTLS handshake included, UDP/IP headers
 *   and the signalling WebSocket not), read as soon as the reconnect is over; KB = 1000 bytes.
 */
async function bigSpace(ns, scratch, wrapper, { generateSpace, tilDir }) {
  const results = [];
  const open = [];
  const problems = [];
  try {
    // A: a data dir holding the generated space (and a profile, so the app opens straight to it).
    const dataDir = mkdtempSync(joinPath(scratch, 'data-a10k-'));
    const space = await generateSpace(dataDir, tilDir, BIG_NOTE_COUNT);
    const total = space.notes.length + Object.keys(space.big).length;
    console.error(`  generated ${space.notes.length} notes + ${total - space.notes.length} long notes in ${(space.ms / 1000).toFixed(1)} s`);
    const host = await startHost(ns, scratch, dataDir);
    const browser = await launchBrowser(scratch, wrapper, [pageProbe]);
    const a = { name: 'A', host, ...browser, close: async () => { await browser.context.close(); host.stop(); } };
    open.push(a);
    attachConsole(a, problems);
    const target = space.notes[0];
    await a.page.goto(host.url + noteHash(space.spaceId, target.id));
    await openNote(a.page, space.spaceId, target.id, target.title, target.firstWords);
    const byTitle = await firstWordsByTitle(a, space);
    await openNote(a.page, space.spaceId, target.id, target.title, target.firstWords);
    await a.page.getByRole('button', { name: 'Share space' }).click();
    await a.page.getByRole('button', { name: 'Create invite' }).click();
    const code = await until(() => a.page.getByRole('textbox', { name: 'Invite code' }).inputValue(), (v) => v.startsWith('cp2.'), 'the invite');
    await a.page.getByRole('button', { name: 'Close' }).click();

    // 1 and 3: a new member joins; first note readable, whole space local, long tasks meanwhile.
    const firstNote = [];
    const wholeSpace = [];
    const throughput = [];
    const longCount = [];
    const longest = [];
    let c;
    for (let i = 0; i < BIG_JOIN_SAMPLES; i++) {
      await hostsQuiet([a.host], `join sample ${i + 1}`);
      const dir = joinPath(dataDir, 'spaces', space.spaceId);
      // The space as A stores it, when C joins.
      const bytes = ['docs.pack', 'docs.log'].reduce((sum, f) => sum + (existsSync(joinPath(dir, f)) ? statSync(joinPath(dir, f)).size : 0), 0);
      c = await startMember(ns, scratch, wrapper, `C10k-${i}`, { initScripts: [pageProbe] });
      open.push(c);
      attachConsole(c, problems);
      await hostsQuiet([a.host, c.host], `join sample ${i + 1}`);
      await watchFirstNote(c.page, byTitle);
      await joinWithCode(c.page, code);
      const clicked = await c.page.evaluate(() => window.__bench.clicks.filter(([label]) => label === 'Join').map(([, at]) => at).pop());
      const shown = await until(() => c.page.evaluate(() => window.__bench.firstNote), Boolean, 'C to show a note of the space with its body', 120_000).catch(async (error) => {
        throw new Error(`${error.message}; C shows ${JSON.stringify(await c.page.evaluate(() => window.__bench.firstNoteLast).catch(() => '?'))}, sync ${await syncState(c.page).catch(() => '?')}`);
      });
      firstNote.push(shown.at - clicked);
      const { at: localAt, how } = await untilConverged([c, a], space.spaceId, `C to hold the whole space (sample ${i + 1})`, WHOLE_SPACE_TIMEOUT_MS, {
        since: clicked,
        watch: [c], // C's own status: A's periodic rounds are not C's join
        extra: async (last) => {
          last.taggedNotes = await taggedNotes(c.page);
          return last.taggedNotes === total;
        },
      });
      const [docsC, docsA] = [await docCountOf(c, space.spaceId), await docCountOf(a, space.spaceId)];
      if (docsC !== docsA || docsC < total + 1) throw new Error(`C's host holds ${docsC} documents, A's ${docsA} (expected ${total} notes + the catalog)`);
      const seconds = (localAt - clicked) / 1000;
      const titleAt = await c.page.evaluate(() => window.__bench.titleShownAt);
      wholeSpace.push(localAt - clicked);
      throughput.push(bytes / 1e6 / seconds);
      const tasks = await c.page.evaluate(() => window.__bench.longTasks);
      if (tasks === null) throw new Error("C's page has no Long Tasks API");
      const during = tasks.filter(([start, duration]) => start + duration >= clicked && start <= localAt);
      longCount.push(during.filter(([, d]) => d > 50).length);
      longest.push(during.reduce((max, [, d]) => Math.max(max, d), 0));
      console.error(
        `  ${BIG_NOTE_COUNT}-note join ${i + 1}: first note ${JSON.stringify(shown.title)} readable after ${(shown.at - clicked).toFixed(0)} ms (its title showed after ${(titleAt - clicked).toFixed(0)} ms); ` +
          `whole space local after ${(seconds * 1000).toFixed(0)} ms (${how}; ${(bytes / 1e6).toFixed(1)} MB stored by A, ${docsC} documents on each host); ` +
          `${longCount.at(-1)} long tasks, longest ${longest.at(-1).toFixed(0)} ms: ${during.map(([start, d]) => `${d.toFixed(0)} ms at +${(start - clicked).toFixed(0)}`).join(', ')}`,
      );
      if (i < BIG_JOIN_SAMPLES - 1) {
        open.splice(open.indexOf(c), 1);
        await c.close();
      }
    }
    results.push(
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: join to first note readable`, unit: 'ms', samples: firstNote },
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: join to whole space local`, unit: 'ms', samples: wholeSpace },
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: join throughput`, unit: 'MB/s', samples: throughput },
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: renderer long tasks over 50 ms during join`, unit: 'count', samples: longCount },
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: renderer longest task during join`, unit: 'ms', samples: longest },
    );

    // 2: time apart, 3 notes changed on each side, back online.
    const reconnectMs = [];
    const reconnectKb = [];
    for (let r = 0; r < RECONNECT_SAMPLES; r++) {
      await untilConverged([a, c], space.spaceId, 'A and C up to date before going offline', 120_000);
      await toggleOffline(a, true);
      await toggleOffline(c, true);
      const pick = (k) => space.notes[((r * 6 + k) * 97 + 11) % space.notes.length];
      const tag = `${Date.now().toString(36)}`;
      const aNotes = [0, 1, 2].map(pick);
      const cNotes = [3, 4, 5].map(pick);
      for (const [k, note] of aNotes.entries()) await editNote(a.page, space.spaceId, note, ` apart A${k} ${tag}`);
      for (const [k, note] of cNotes.entries()) await editNote(c.page, space.spaceId, note, ` apart C${k} ${tag}`);
      await hostsQuiet([a.host, c.host], `reconnect ${r + 1}`);
      // Back online, both at once; connections made from here on are the reconnect's.
      const marks = await Promise.all([a, c].map((m) => m.page.evaluate(() => performance.timeOrigin + performance.now())));
      await Promise.all([a, c].map((m, i) => m.page.evaluate((since) => window.__bench.watchRtc(since), marks[i])));
      const payloadBefore = await Promise.all([a, c].map((m) => m.page.evaluate(() => window.__bench.channelBytes)));
      await Promise.all([a, c].map((m) => m.page.getByRole('button', { name: 'Work offline' }).click()));
      const clicks = await Promise.all([a, c].map((m) => m.page.evaluate(() => window.__bench.clicks.filter(([label]) => label === 'Work offline').map(([, at]) => at).pop())));
      const { at: doneAt, how } = await untilConverged([a, c], space.spaceId, `reconnect ${r + 1}: both up to date with the same documents`, 120_000, { since: Math.min(...clicks) });
      const sent = await Promise.all([a, c].map((m, i) => m.page.evaluate((since) => window.__bench.rtcSent(since), marks[i])));
      const payload = await Promise.all([a, c].map((m, i) => m.page.evaluate(() => window.__bench.channelBytes).then((n) => n - payloadBefore[i])));
      const steps = await Promise.all(
        [a, c].map((m) => m.page.evaluate((since) => window.__bench.syncStates.filter(([at]) => at >= since).map(([at, s]) => `${s}@${(at - since).toFixed(0)}`).join(' '), Math.min(...clicks))),
      );
      await Promise.all([a, c].map((m) => m.page.evaluate(() => window.__bench.stopRtc())));
      const ms = doneAt - Math.min(...clicks);
      const kb = (sent[0].bytes + sent[1].bytes) / 1000;
      reconnectMs.push(ms);
      reconnectKb.push(kb);
      console.error(
        `  reconnect ${r + 1}: up to date after ${ms.toFixed(0)} ms (${how}; A: ${steps[0]}; C: ${steps[1]}); ${kb.toFixed(1)} KB sent (A ${sent[0].bytes} B over ${sent[0].connections} connection(s), ` +
          `C ${sent[1].bytes} B over ${sent[1].connections}; data-channel payload handed to send() A ${payload[0]} B, C ${payload[1]} B)`,
      );
      // Each side has the other's edits: open one of them and look.
      await openNote(a.page, space.spaceId, cNotes[0].id, cNotes[0].title, `apart C0 ${tag}`);
      await openNote(c.page, space.spaceId, aNotes[0].id, aNotes[0].title, `apart A0 ${tag}`);
    }
    results.push(
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: reconnect, 3 notes changed each side, to up to date`, unit: 'ms', samples: reconnectMs },
      { name: `p2p ${BIG_NOTE_COUNT.toLocaleString('en')}-note space: reconnect bytes sent`, unit: 'KB', samples: reconnectKb },
    );
    console.error(problems.length > 0 ? `  page console (${BIG_NOTE_COUNT}-note space):\n    ${[...new Set(problems)].slice(0, 40).join('\n    ')}` : `  page console (${BIG_NOTE_COUNT}-note space): no errors or warnings`);
    return results;
  } catch (error) {
    if (problems.length > 0) console.error(`  page console (${BIG_NOTE_COUNT}-note space):\n    ${[...new Set(problems)].slice(0, 40).join('\n    ')}`);
    throw error;
  } finally {
    for (const member of open.reverse()) if (member) await member.close().catch(() => {});
  }
}

export const percentile = (values, p) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/**
 * Runs the benchmark; each result is one measurement's samples ({ name, unit, samples }).
 * `generateSpace` is bench/node-bench.ts's (bundled by bench/run.mjs, or by the standalone entry below)
 * and `tilDir` the til corpus it reads (../shared/corpus/til from the repository's root).
 */
export async function runP2pBench({ generateSpace, tilDir = joinPath(ROOT, '..', 'shared', 'corpus', 'til') } = {}) {
  if (!existsSync(joinPath(ROOT, 'dist', 'web', 'host.mjs'))) throw new Error('dist/web/host.mjs is missing: run `npm run build` first');
  if (typeof generateSpace !== 'function') throw new Error('runP2pBench needs { generateSpace } (bench/node-bench.ts) for the 10,000-note space');
  if (!existsSync(tilDir)) throw new Error(`the til corpus is missing: ${tilDir}`);
  const scratch = mkdtempSync(joinPath(tmpdir(), 'commonplace-bench-'));
  const ns = namespace();
  const wrapper = joinPath(scratch, 'chromium.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns.name}' '${CHROMIUM}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const open = [];
  try {
    if (process.env.P2P_ONLY_10K === '1') return await bigSpace(ns.name, scratch, wrapper, { generateSpace, tilDir });
    const a = await startMember(ns.name, scratch, wrapper, 'A');
    open.push(a);
    const b = await startMember(ns.name, scratch, wrapper, 'B');
    open.push(b);
    await a.page.getByRole('button', { name: 'Share space' }).click();
    await a.page.getByRole('button', { name: 'Create invite' }).click();
    const code = await until(() => a.page.getByRole('textbox', { name: 'Invite code' }).inputValue(), (v) => v.startsWith('cp2.'), 'the invite');
    await a.page.getByRole('button', { name: 'Close' }).click();
    await joinWithCode(b.page, code);
    await until(() => syncState(b.page), (s) => s === 'up-to-date', 'B up to date');
    await until(() => syncState(a.page), (s) => s === 'up-to-date', 'A up to date');
    const keystroke = await keystrokeLatencies(a, b);
    const comment = await commentLatencies(a, b);
    const attachment = await attachmentLatencies(a, b);
    const attachmentResults = [
      { name: 'paste a 5 MB photo: shown in the note', unit: 'ms', samples: attachment.shown, goal: 200 },
      { name: 'paste a 5 MB photo: shown on the other member\'s screen (LAN)', unit: 'ms', samples: attachment.peer, goal: 2000 },
    ];
    if (process.env.P2P_ONLY_ATTACHMENTS === '1') return attachmentResults;
    await pasteNote(a.page, 'Big 1', 1024 * 1024);
    await sleep(1000);
    const oneMb = await joinTimes(ns.name, scratch, wrapper, code, 'C1');
    await pasteNote(a.page, 'Big 2', 4 * 1024 * 1024);
    await sleep(2000);
    const fiveMb = await joinTimes(ns.name, scratch, wrapper, code, 'C5');
    // The 10,000-note space has an inviter of its own (see bigSpace): A and B go, so they cost nothing there.
    for (const member of open.splice(0).reverse()) await member.close();
    const big = await bigSpace(ns.name, scratch, wrapper, { generateSpace, tilDir });
    return [
      { name: 'p2p keystroke to remote editor', unit: 'ms', samples: keystroke },
      { name: 'p2p keystroke to remote editor p50', unit: 'ms', samples: [percentile(keystroke, 50)] },
      { name: 'p2p keystroke to remote editor p95', unit: 'ms', samples: [percentile(keystroke, 95)] },
      { name: 'p2p comment posted to shown in the other member\'s Comments panel', unit: 'ms', samples: comment, goal: 100 },
      ...attachmentResults,
      { name: 'p2p join to up to date, 1 MB space', unit: 'ms', samples: oneMb },
      { name: 'p2p join to up to date, 5 MB space', unit: 'ms', samples: fiveMb },
      ...big,
    ];
  } finally {
    for (const member of open.reverse()) await member.close().catch(() => {});
    ns.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** bench/node-bench.ts bundled with one Yjs copy and imported, as bench/run.mjs's importTs does. */
async function importNodeBench() {
  const { build } = await import('esbuild');
  const outdir = mkdtempSync(joinPath(tmpdir(), 'commonplace-bench-'));
  const outfile = joinPath(outdir, 'module.mjs');
  await build({
    entryPoints: [joinPath(ROOT, 'bench', 'node-bench.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    alias: { yjs: joinPath(ROOT, 'node_modules', 'yjs', 'dist', 'yjs.mjs') },
    external: ['bufferutil', 'utf-8-validate', 'electron', 'playwright-core'],
    banner: { js: "import { createRequire as __cpRequire } from 'node:module'; const require = __cpRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const node = await importNodeBench();
  const results = await runP2pBench({ generateSpace: node.generateSpace });
  for (const { name, unit, samples } of results) {
    const shown = samples.length > 1 ? `p50 ${percentile(samples, 50).toFixed(1)} p95 ${percentile(samples, 95).toFixed(1)} (n=${samples.length})` : samples[0].toFixed(1);
    console.log(`${name}: ${shown} ${unit}`);
  }
}
