#!/usr/bin/env node
// `npm run bench`: measures Commonplace, writes bench/results.json (the previous one becomes
// bench/results.previous.json) and prints a Markdown table with the change against the previous run.
// Options: --only traces|browser|import|history|comments|headless|relay|extra (comma-separated), --quick (fewer repetitions).
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = (args[args.indexOf('--only') + 1] ?? '').split(',').filter((s) => args.includes('--only') && s);
const wants = (part) => only.length === 0 || only.includes(part);
const quick = args.includes('--quick');
const corpus = join(root, '..', 'shared', 'corpus');
const resultsPath = join(root, 'bench', 'results.json');
const previousPath = join(root, 'bench', 'results.previous.json');

/** Trace patches replayed through Lexical (measured: about 0.4 ms a patch, see docs/reliability.md). */
const LEXICAL_PREFIX = quick ? 5_000 : 40_000;
const RUNS = quick ? 2 : 5;
const NOTE_COUNT = 2000;
const LARGE_NOTE_COUNT = 10_000;

const results = [];
const skipped = [];
const record = (name, unit, samples, extra = {}) => {
  results.push({ name, unit, samples: samples.map((s) => Number(s.toFixed(3))), ...extra });
  console.error(`  ${name}: ${summary(samples).median.toFixed(2)} ${unit}`);
};

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1], p95: quantile(sorted, 0.95), n: sorted.length };
}

/** Bundles a TS module with one Yjs copy (as scripts/build.mjs does) and imports it. */
async function importTs(entry) {
  const outdir = mkdtempSync(join(tmpdir(), 'commonplace-bench-'));
  const outfile = join(outdir, 'module.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    alias: { yjs: join(root, 'node_modules', 'yjs', 'dist', 'yjs.mjs') },
    external: ['bufferutil', 'utf-8-validate', 'electron', 'playwright-core'],
    banner: { js: "import { createRequire as __cpRequire } from 'node:module'; const require = __cpRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}

async function benchTraces(node) {
  for (const name of ['automerge-paper', 'seph-blog1']) {
    const trace = node.loadTrace(join(corpus, 'traces', `${name}.json.gz`));
    const all = trace.patches.length;
    const rawFull = [];
    for (let r = 0; r < RUNS; r++) {
      const { ms, text } = node.replayRaw(trace, all);
      if (text !== trace.endContent) throw new Error(`BENCH FAILED: raw Y.Text replay of ${name} does not give endContent`);
      rawFull.push(ms);
    }
    record(`trace ${name}: raw Y.Text, all ${all} patches`, 'ms', rawFull);
    const prefix = Math.min(LEXICAL_PREFIX, all);
    const lexical = [];
    const rawPrefix = [];
    for (let r = 0; r < Math.max(2, Math.ceil(RUNS / 2)); r++) {
      const raw = node.replayRaw(trace, prefix);
      const lex = node.replayLexical(trace, prefix);
      const expected = prefix === all ? trace.endContent : raw.text;
      if (lex.text !== expected) {
        let at = 0;
        while (lex.text[at] === expected[at]) at++;
        throw new Error(`BENCH FAILED: Lexical replay of ${name} differs from ${prefix === all ? 'endContent' : 'the raw replay'} at char ${at}`);
      }
      lexical.push(lex.ms);
      rawPrefix.push(raw.ms);
    }
    const ratio = summary(lexical).median / summary(rawPrefix).median;
    record(`trace ${name}: Lexical + bindNoteBody, first ${prefix} patches`, 'ms', lexical, { ratioToRaw: Number(ratio.toFixed(1)) });
    record(`trace ${name}: raw Y.Text, first ${prefix} patches`, 'ms', rawPrefix);
    record(`trace ${name}: Lexical / raw Y.Text (same prefix)`, 'x', lexical.map((ms, i) => ms / rawPrefix[i]));
  }
}

async function startHost(dataDir) {
  const child = spawn(process.execPath, [join(root, 'dist', 'web', 'host.mjs'), '--port', '0', '--data-dir', dataDir, '--no-lan'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 30_000);
    const onData = (d) => {
      output += d.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`host exited with ${code}:\n${output}`)));
  });
  return { url, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))) };
}

/** Page scripts installed before the app loads: long tasks, and the time each keystroke's handlers take. */
const PAGE_PROBES = () => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no Long Tasks API
  }
  // Event Timing, as Chromium measures interaction latency (entries of 16 ms and more only).
  window.__slowEvents = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.interactionId) window.__slowEvents.push({ id: entry.interactionId, name: entry.name, duration: entry.duration });
    }).observe({ type: 'event', durationThreshold: 16, buffered: false });
  } catch {
    // no Event Timing API
  }
  // JavaScript time of a keystroke: from the first (capturing) listener to the last (bubbling) one on
  // window, for every event a key press fires; Lexical reconciles and writes Yjs in microtasks in between.
  window.__keyJs = [];
  let open = null;
  for (const type of ['keydown', 'keypress', 'beforeinput', 'input', 'keyup']) {
    window.addEventListener(type, () => {
      if (type === 'keydown') open = { js: 0 };
      if (open) open.start = performance.now();
    }, true);
    window.addEventListener(type, () => {
      if (!open || open.start === undefined) return;
      open.js += performance.now() - open.start;
      open.start = undefined;
      if (type === 'keyup') window.__keyJs.push(open.js);
    }, false);
  }
};

/** Writes a space of `count` notes for the browser benchmarks. */
async function generate(node, count) {
  const dataDir = mkdtempSync(join(tmpdir(), `commonplace-bench-${count}-`));
  const space = await node.generateSpace(dataDir, join(corpus, 'til'), count);
  console.error(`  generated ${space.notes.length} notes + 2 long notes in ${(space.ms / 1000).toFixed(1)} s`);
  return { ...space, dataDir };
}

/** Debian's Chromium with a profile of its own, quiet (no background traffic), as every browser bench uses it. */
function launchChromium(chromium, profile, { width, args = [] }) {
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
    viewport: { width, height: 850 },
  });
}

async function benchBrowser(node) {
  const { chromium } = await import('playwright-core');
  const profiles = [];
  const dataDirs = [];
  const launch = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'commonplace-bench-profile-'));
    profiles.push(dir);
    const context = await launchChromium(chromium, dir, { width: 1200, args: ['--enable-precise-memory-info'] });
    await context.addInitScript(PAGE_PROBES);
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page };
  };
  const bodyHas = (page, note, timeout = 60_000) =>
    page.waitForFunction(
      ({ title, firstWords }) => {
        const el = document.querySelector('[aria-label="Note body"]');
        const shown =
          document.querySelector('input[aria-label="Note title"]')?.value === title &&
          el?.getAttribute('contenteditable') === 'true' &&
          (el.textContent ?? '').length > 0 &&
          (el.textContent ?? '').includes(firstWords);
        if (shown) window.__shownAt = performance.now();
        return shown;
      },
      { title: note.title, firstWords: note.firstWords },
      { timeout, polling: 'raf' },
    );
  const medianOf = (samples) => summary(samples).median;
  try {
    // Open to editable, at 2,000 and 10,000 notes in the same run: cold (empty profile: everything from the
    // host) and warm (reload, IndexedDB cached), then the renderer's heap with the space open.
    const opened = {};
    let big = null;
    for (const count of [NOTE_COUNT, LARGE_NOTE_COUNT]) {
      const space = await generate(node, count);
      dataDirs.push(space.dataDir);
      const host = await startHost(space.dataDir);
      const noteUrl = (id) => `${host.url}#/space/${space.spaceId}/note/${id}`;
      const target = space.notes[Math.floor(space.notes.length / 2)];
      const cold = [];
      const warm = [];
      const heap = [];
      try {
        for (let r = 0; r < Math.max(2, RUNS); r++) {
          const { context, page } = await launch();
          let t0 = Date.now();
          await page.goto(noteUrl(target.id));
          await bodyHas(page, target);
          cold.push(Date.now() - t0);
          await page.locator('[role="status"][data-state="saved"]').waitFor({ timeout: 60_000 });
          // A settled page is reloaded (what reopening the app later is): the first open decodes and caches
          // the catalog after it has shown, and a reload in the middle of that would wait for it.
          await page.waitForFunction(() => performance.now() - Math.max(0, ...window.__longTasks.map((t) => t.start + t.duration)) > 1000, null, { timeout: 15_000, polling: 100 });
          t0 = Date.now();
          await page.reload();
          await bodyHas(page, target);
          warm.push(Date.now() - t0);
          const cdp = await context.newCDPSession(page);
          await cdp.send('HeapProfiler.collectGarbage');
          await cdp.send('Performance.enable');
          const { metrics } = await cdp.send('Performance.getMetrics');
          heap.push((metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 1024 / 1024);
          await context.close();
        }
        const label = count.toLocaleString('en');
        record(`open ${label}-note space to editable note, cold profile`, 'ms', cold, { goal: count >= 10_000 ? 500 : 300 });
        record(`open ${label}-note space to editable note, warm (reload)`, 'ms', warm, count >= 10_000 ? { goal: 300 } : {});
        record(`renderer JS heap with the ${label}-note space open (after GC)`, 'MiB', heap, count >= 10_000 ? { goal: 100 } : {});
        opened[count] = { cold, warm };
        if (count === LARGE_NOTE_COUNT) big = { space, host, noteUrl };
        else await host.stop();
      } catch (error) {
        await host.stop();
        throw error;
      }
    }
    const ratio = (kind) => opened[LARGE_NOTE_COUNT][kind].map((ms, i) => ms / (opened[NOTE_COUNT][kind][i] ?? medianOf(opened[NOTE_COUNT][kind])));
    record(`open ${LARGE_NOTE_COUNT.toLocaleString('en')} / open ${NOTE_COUNT.toLocaleString('en')} notes, cold (same run)`, 'x', ratio('cold'), { goal: 1.5 });
    record(`open ${LARGE_NOTE_COUNT.toLocaleString('en')} / open ${NOTE_COUNT.toLocaleString('en')} notes, warm (same run)`, 'x', ratio('warm'));

    // In the 10,000-note space: note switches, and keystrokes in long notes.
    const { space, host, noteUrl } = big;
    try {
      const { context, page } = await launch();
      const newest = [...space.notes].reverse();
      await page.goto(noteUrl(newest[0].id));
      await bodyHas(page, newest[0]);
      // Note switch: click a note near the top of the list (the list draws only the rows in view) until its
      // body shows its content, timed in the page from the click event to the frame that shows the note.
      await page.evaluate(() => {
        window.addEventListener('click', () => (window.__clickedAt = performance.now()), { capture: true });
      });
      const switches = [];
      for (let i = 0; i < (quick ? 5 : 15); i++) {
        const next = newest[1 + ((i * 5) % 10)];
        const link = page.getByRole('navigation', { name: 'Notes' }).locator(`a[href$="/note/${next.id}"]`);
        await link.scrollIntoViewIfNeeded();
        await link.click();
        await bodyHas(page, next, 20_000);
        switches.push(await page.evaluate(() => window.__shownAt - window.__clickedAt));
      }
      record(`note switch in a ${LARGE_NOTE_COUNT.toLocaleString('en')}-note space (click to body shown)`, 'ms', switches, { goal: 50 });

      // Keystroke to paint: real key events through CDP into the middle of the long notes.
      const cdp = await context.newCDPSession(page);
      for (const [key, label, goal] of [
        ['words10k', '10,000 words', 20],
        ['words100k', '100,000 words', 24],
      ]) {
        const note = space.big[key];
        await page.goto(noteUrl(note.id));
        await page.waitForFunction(
          (title) => document.querySelector('input[aria-label="Note title"]')?.value === title && (document.querySelector('[aria-label="Note body"]')?.textContent?.length ?? 0) > 1000,
          note.title,
          { timeout: 120_000 },
        );
        await page.evaluate(() => {
          const body = document.querySelector('[aria-label="Note body"]');
          body.focus();
          const range = document.createRange();
          const middle = body.children[Math.floor(body.children.length / 2)] ?? body;
          range.selectNodeContents(middle);
          range.collapse(false);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          window.__latencies = [];
          window.__keyJs.length = 0;
          window.__slowEvents.length = 0;
          window.__typingFrom = performance.now();
          if (window.__probeInstalled) return;
          window.__probeInstalled = true;
          document.addEventListener(
            'keydown',
            (event) => {
              const t0 = event.timeStamp;
              requestAnimationFrame(() => {
                const channel = new MessageChannel();
                channel.port1.onmessage = () => window.__latencies.push(performance.now() - t0);
                channel.port2.postMessage(null);
              });
            },
            true,
          );
        });
        const keys = quick ? 20 : 80;
        for (let i = 0; i < keys; i++) {
          const ch = 'commonplace '[i % 12];
          const code = ch === ' ' ? 'Space' : `Key${ch.toUpperCase()}`;
          const vk = ch === ' ' ? 32 : ch.toUpperCase().charCodeAt(0);
          await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: ch, code, text: ch, unmodifiedText: ch, windowsVirtualKeyCode: vk });
          await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: ch, code, windowsVirtualKeyCode: vk });
          await page.waitForTimeout(40);
        }
        await page.waitForTimeout(300);
        const probe = await page.evaluate(() => ({
          latencies: window.__latencies,
          js: window.__keyJs,
          slow: window.__slowEvents,
          longTasks: window.__longTasks.filter((t) => t.start >= window.__typingFrom),
        }));
        // Event Timing reports only interactions of 16 ms and more: each keystroke's latency is the longest
        // of its events, and a keystroke it did not report counts as 16 ms (an upper bound).
        const byInteraction = new Map();
        for (const e of probe.slow) byInteraction.set(e.id, Math.max(byInteraction.get(e.id) ?? 0, e.duration));
        const interactions = [...byInteraction.values(), ...Array(Math.max(0, keys - byInteraction.size)).fill(16)];
        const p95 = summary(interactions).p95;
        record(`keystroke interaction latency (Event Timing), ${label}`, 'ms', interactions, { goalP95: goal, p95Met: p95 <= goal });
        record(`keystroke to next paint (rAF probe), ${label}`, 'ms', probe.latencies);
        record(`JavaScript time per keystroke, ${label}`, 'ms', probe.js);
        record(`renderer long tasks over 50 ms while typing, ${label}`, 'count', [probe.longTasks.length]);
      }
      await context.close();
    } finally {
      await host.stop();
    }
  } finally {
    for (const dir of [...dataDirs, ...profiles]) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * History: its storage on the editing traces (through the host's store and recorder), and in the browser,
 * opening History on a note with 1,000 versions and showing a version of a 10,000-word note.
 */
async function benchHistory() {
  const history = await importTs(join(root, 'bench', 'history-bench.ts'));
  for (const [name, sessions, how] of [
    ['automerge-paper', { patchesPerSession: 300 }, 'one-minute sessions of 300 edits'],
    ['seph-blog1', 'by-time', 'versions cut by the recorder\'s rules on the trace\'s own times'],
  ]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'commonplace-bench-history-'));
    try {
      const r = await history.historyStorage(join(corpus, 'traces', `${name}.json.gz`), dataDir, sessions);
      if (!r.textMatches) throw new Error(`BENCH FAILED: the ${name} replay does not give endContent`);
      record(`history storage / final document, ${name} (${how}, ${r.versions} versions)`, 'x', [r.historyBytes / r.stateBytes], { goal: 3, historyBytes: r.historyBytes, stateBytes: r.stateBytes });
      record(`history recording time, ${name} (${r.versions} versions, store writes included)`, 'ms', [r.ms]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const { chromium } = await import('playwright-core');
  const dataDir = mkdtempSync(join(tmpdir(), 'commonplace-bench-history-'));
  const profile = mkdtempSync(join(tmpdir(), 'commonplace-bench-profile-'));
  const started = performance.now();
  const space = await history.generateHistorySpace(dataDir, history.corpusWords(join(corpus, 'til'), 20_000), 1000);
  console.error(`  generated notes with ${space.many.versions} and ${space.long.versions} versions in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const host = await startHost(dataDir);
  const context = await launchChromium(chromium, profile, { width: 1280 });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(() => window.addEventListener('click', () => (window.__clickedAt = performance.now()), { capture: true }));
    const open = async (note) => {
      await page.goto(`${host.url}#/space/${space.spaceId}/note/${note.id}`);
      await page.waitForFunction((title) => document.querySelector('input[aria-label="Note title"]')?.value === title, note.title, { timeout: 60_000 });
    };
    /** From the click to the frame where `ready` holds, measured in the page. */
    const timed = async (click, ready, arg) => {
      await click();
      return page.evaluate(
        ({ ready, arg }) =>
          new Promise((resolve, reject) => {
            const check = new Function('arg', `return (${ready})(arg)`);
            const until = performance.now() + 60_000;
            const poll = () => {
              if (check(arg)) resolve(performance.now() - window.__clickedAt);
              else if (performance.now() > until) reject(new Error('timed out'));
              else requestAnimationFrame(poll);
            };
            poll();
          }),
        { ready: ready.toString(), arg },
      );
    };
    await open(space.many);
    const listed = [];
    for (let r = 0; r < RUNS + 1; r++) {
      const ms = await timed(() => page.getByRole('button', { name: 'History', exact: true }).click(), (count) => document.querySelectorAll('[aria-label="Versions"] button').length >= count, space.many.versions);
      listed.push(ms);
      await page.getByRole('region', { name: 'History' }).getByRole('button', { name: 'Close' }).click();
      await page.waitForFunction(() => !document.querySelector('[aria-label="History"]'));
    }
    record(`open History of a note with ${space.many.versions} versions (click to every version listed)`, 'ms', listed, { goal: 200 });

    await open(space.long);
    await page.getByRole('button', { name: 'History', exact: true }).click();
    await page.waitForFunction((count) => document.querySelectorAll('[aria-label="Versions"] button').length >= count, space.long.versions, { timeout: 60_000 });
    const shown = [];
    for (let r = 0; r < RUNS + 1; r++) {
      const index = 1 + (r % (space.long.versions - 2));
      const ms = await timed(
        () => page.getByRole('list', { name: 'Versions' }).getByRole('button').nth(index).click(),
        (words) => {
          const content = document.querySelector('[role="document"][aria-label^="Version"]');
          return !!content && (content.textContent ?? '').split(/\s+/).length >= words && !!content.querySelector('ins');
        },
        9_000,
      );
      shown.push(ms);
      await page.getByRole('button', { name: 'Back to the current note' }).click();
    }
    // The first showing replays the note's history on the host; the next ones read the replay it keeps.
    record('show a version of a 10,000-word note with its changes highlighted, first (history replayed)', 'ms', shown.slice(0, 1), { goal: 100 });
    record('show a version of a 10,000-word note with its changes highlighted, next ones', 'ms', shown.slice(1), { goal: 100 });
  } finally {
    await context.close();
    await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Imports 10,000 Markdown notes through the CLI, timing it and reading its peak resident memory. */
async function benchCliImport() {
  const folder = mkdtempSync(join(tmpdir(), 'commonplace-bench-md-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'commonplace-bench-import-'));
  try {
    const til = join(corpus, 'til');
    const files = [];
    for (const topic of readdirSync(til, { withFileTypes: true })) {
      if (!topic.isDirectory()) continue;
      for (const file of readdirSync(join(til, topic.name))) if (file.endsWith('.md')) files.push(join(til, topic.name, file));
    }
    files.sort();
    for (let i = 0; i < LARGE_NOTE_COUNT; i++) {
      const source = files[i % files.length];
      const copy = Math.floor(i / files.length);
      const dir = join(folder, copy === 0 ? '' : `copy-${copy}`, source.split(/[\\/]/).at(-2));
      mkdirSync(dir, { recursive: true });
      const text = readFileSync(source, 'utf8');
      // Copies get titles of their own, as a community's notes have.
      writeFileSync(join(dir, source.split(/[\\/]/).at(-1)), copy === 0 ? text : text.replace(/^#\s+(.+)$/m, (_m, t) => `# ${t} (${copy + 1})`));
    }
    const cli = join(root, 'dist', 'cli', 'commonplace.mjs');
    const times = [];
    const peaks = [];
    for (let r = 0; r < (quick ? 1 : 2); r++) {
      rmSync(dataDir, { recursive: true, force: true });
      const started = performance.now();
      const child = spawn(process.execPath, [cli, 'import', '--data-dir', dataDir, '--space', 'Bench import', '--from', folder], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      // The kernel keeps the peak resident size (VmHWM); read it until the process ends.
      let peak = 0;
      const timer = setInterval(() => {
        try {
          const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
        } catch {
          // the process ended
        }
      }, 50);
      const code = await new Promise((resolve) => child.once('exit', resolve));
      clearInterval(timer);
      if (code !== 0 || !/imported 10000,/.test(output)) throw new Error(`BENCH FAILED: the CLI import exited ${code}:\n${output.slice(-2000)}`);
      times.push(performance.now() - started);
      peaks.push(peak);
    }
    record(`CLI import of ${LARGE_NOTE_COUNT.toLocaleString('en')} Markdown notes`, 'ms', times, { goal: 15_000 });
    record(`CLI import of ${LARGE_NOTE_COUNT.toLocaleString('en')} Markdown notes: peak resident memory`, 'MiB', peaks, { goal: 500 });
  } finally {
    rmSync(folder, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The always-on host (`commonplace serve`) holding a 10,000-note shared space, in its room with no
 * member online: resident memory once it has settled (goal 150 MB), and its peak while starting.
 */
async function benchHeadless(node) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cp-bench-headless-'));
  try {
    const space = await node.generateSpace(dataDir, join(corpus, 'til'), LARGE_NOTE_COUNT);
    await node.shareSpace(dataDir, space.spaceId);
    // The web host on the same space (it syncs nothing by itself), measured alike: what `serve` adds to a host.
    const measure = async (command, ready) => {
      const child = spawn(process.execPath, [...command, '--data-dir', dataDir, '--port', '0', '--signaling-port', '0', '--no-lan'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
      try {
        const deadline = Date.now() + 120_000;
        while (!output.includes(ready)) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`BENCH FAILED: the host did not get ready:\n${output.slice(-2000)}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const readyAt = Date.now();
        // The median of 5 s of readings from `from` seconds after the host said it was ready.
        const residentAt = async (from) => {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, readyAt + from * 1000 - Date.now())));
          const readings = [];
          for (let i = 0; i < 20; i++) {
            readings.push(kib('VmRSS') / 1024);
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          readings.sort((a, b) => a - b);
          return readings[Math.floor(readings.length / 2)];
        };
        // Settled (the room joined, the link graph and history opened), and then once idle: V8 gives back
        // memory it no longer needs some 20-30 s after a busy start, which is what a host that runs for days holds.
        const settled = await residentAt(15);
        const idle = await residentAt(45);
        return { resident: settled, idle, peak: kib('VmHWM') / 1024 };
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    };
    // The first start reads every note (the link graph); both hosts are measured after it.
    await measure([join(root, 'dist', 'web', 'host.mjs')], 'Commonplace is running');
    const resident = [];
    const idle = [];
    const peaks = [];
    const webResident = [];
    for (let r = 0; r < (quick ? 1 : 2); r++) {
      const serve = await measure([join(root, 'bin', 'commonplace.js'), 'serve'], `space ${space.spaceId}: looking for members`);
      resident.push(serve.resident);
      idle.push(serve.idle);
      peaks.push(serve.peak);
      webResident.push((await measure([join(root, 'dist', 'web', 'host.mjs')], 'Commonplace is running')).idle);
    }
    const notes = LARGE_NOTE_COUNT.toLocaleString('en');
    record(`always-on host (serve) with a ${notes}-note space, no member online: resident memory 15 s after start`, 'MiB', resident);
    record(`always-on host (serve) with a ${notes}-note space, no member online: resident memory once idle (45 s after start)`, 'MiB', idle, { goal: 150 });
    record(`always-on host (serve) with a ${notes}-note space: peak resident memory while starting`, 'MiB', peaks);
    record(`the web host with the same space (no sync of its own; its search index loaded ahead of a window): resident memory once idle`, 'MiB', webResident);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchExtra() {
  for (const [file, fn] of [
    ['search.bench', 'runSearchBench'],
    ['markdown.bench', 'runMarkdownBench'],
    ['p2p.bench', 'runP2pBench'],
  ]) {
    const found = readdirSync(join(root, 'bench')).find((f) => f.startsWith(`${file}.`) && /\.(ts|mts|mjs|js)$/.test(f));
    if (!found) {
      skipped.push(`${fn} (bench/${file}.* not present)`);
      continue;
    }
    const path = join(root, 'bench', found);
    const module = /\.m?ts$/.test(found) ? await importTs(path) : await import(pathToFileURL(path).href);
    const options = fn === 'runP2pBench' ? { generateSpace: node.generateSpace, tilDir: join(corpus, 'til') } : undefined;
    for (const { name, unit, samples } of await module[fn](options)) record(name, unit, samples);
  }
}

function table(previous) {
  const before = new Map((previous?.results ?? []).map((r) => [r.name, summary(r.samples).median]));
  const lines = [
    '| benchmark | unit | median | spread (min–max) | p95 | n | previous median | change |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  for (const r of results) {
    const s = summary(r.samples);
    const prev = before.get(r.name);
    const change = prev === undefined ? '—' : `${((s.median / prev - 1) * 100).toFixed(1)} %`;
    const goal =
      r.goalP95 !== undefined
        ? ` (goal p95 ≤ ${r.goalP95} ${r.p95Met ? 'met' : 'MISSED'})`
        : r.goal !== undefined
          ? ` (goal median ≤ ${r.goal} ${s.median <= r.goal ? 'met' : 'MISSED'})`
          : '';
    lines.push(`| ${r.name}${goal} | ${r.unit} | ${fmt(s.median)} | ${fmt(s.min)}–${fmt(s.max)} | ${fmt(s.p95)} | ${s.n} | ${prev === undefined ? '—' : fmt(prev)} | ${change} |`);
  }
  for (const s of skipped) lines.push(`| skipped: ${s} | | | | | | | |`);
  return lines.join('\n');
}

/** A note with 200 threads and 2,000 comments against the same note without them: click to body and marks shown. */
async function benchComments() {
  const comments = await importTs(join(root, 'bench', 'comments-bench.ts'));
  const history = await importTs(join(root, 'bench', 'history-bench.ts'));
  const { chromium } = await import('playwright-core');
  const dataDir = mkdtempSync(join(tmpdir(), 'commonplace-bench-comments-'));
  const profile = mkdtempSync(join(tmpdir(), 'commonplace-bench-profile-'));
  const space = await comments.generateCommentsSpace(dataDir, history.corpusWords(join(corpus, 'til'), 20_000));
  const host = await startHost(dataDir);
  const context = await launchChromium(chromium, profile, { width: 1280 });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(() => window.addEventListener('click', () => (window.__clickedAt = performance.now()), { capture: true }));
    await page.goto(`${host.url}#/space/${space.spaceId}/note/${space.plain.id}`);
    await page.waitForFunction((title) => document.querySelector('input[aria-label="Note title"]')?.value === title, space.plain.title, { timeout: 60_000 });
    const nav = page.getByRole('navigation', { name: 'Notes' });
    const open = async (note, marks) => {
      await nav.getByRole('link', { name: note.title }).click();
      return page.evaluate(
        ({ title, marks }) =>
          new Promise((resolve, reject) => {
            const until = performance.now() + 60_000;
            const poll = () => {
              const body = document.querySelector('[aria-label="Note body"]');
              const shown = document.querySelector('input[aria-label="Note title"]')?.value === title && body?.querySelectorAll('p').length === 200 && body.querySelectorAll('mark').length === marks;
              const counted = marks === 0 || /Comments \(200\)/.test(document.querySelector('.note-actions')?.textContent ?? '');
              if (shown && counted) resolve(performance.now() - window.__clickedAt);
              else if (performance.now() > until) reject(new Error('timed out'));
              else requestAnimationFrame(poll);
            };
            poll();
          }),
        { title: note.title, marks },
      );
    };
    const plain = [];
    const discussed = [];
    for (let r = 0; r < RUNS + 2; r++) {
      discussed.push(await open(space.discussed, space.discussed.threads));
      plain.push(await open(space.plain, 0));
    }
    // The first opening of each note loads its document from the host; later ones from the window's cache.
    record(`open a note with ${space.discussed.threads} threads and ${space.discussed.comments.toLocaleString('en')} comments (click to body and marks shown)`, 'ms', discussed.slice(1));
    record('open the same note without comments', 'ms', plain.slice(1));
    const extra = summary(discussed.slice(1)).median - summary(plain.slice(1)).median;
    record('what the comments add to opening the note (median difference)', 'ms', [extra], { goal: 100 });
  } finally {
    await context.close();
    await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

const started = Date.now();
if (wants('browser') || wants('history') || wants('comments')) {
  const { buildAll, isBuildCurrent } = await import(pathToFileURL(join(root, 'scripts', 'build.mjs')).href);
  if (!isBuildCurrent()) await buildAll({ quiet: true });
}
const node = await importTs(join(root, 'bench', 'node-bench.ts'));
if (wants('traces')) {
  console.error('traces…');
  await benchTraces(node);
}
if (wants('browser')) {
  console.error('browser…');
  await benchBrowser(node);
}
if (wants('import')) {
  console.error('CLI import…');
  await benchCliImport();
}
if (wants('history')) {
  console.error('history…');
  await benchHistory();
}
if (wants('comments')) {
  console.error('comments…');
  await benchComments();
}
if (wants('headless')) {
  console.error('always-on host…');
  await benchHeadless(node);
}
if (wants('relay')) {
  console.error('through a TURN relay…');
  await benchRelay();
}
if (wants('extra')) await benchExtra();

/** bench/relay.vitest.ts (browsers in network namespaces behind NAT, through coturn): vitest runs it, and hands its figures back in a file. */
async function benchRelay() {
  const out = join(mkdtempSync(join(tmpdir(), 'cp-bench-relay-')), 'figures.json');
  const code = await new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', '--project', 'bench', 'bench/relay.vitest.ts'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, RELAY_BENCH_OUT: out } });
    child.on('exit', resolve);
  });
  if (code !== 0 || !existsSync(out)) {
    skipped.push(`relay keystroke through TURN (bench/relay.vitest.ts exited with ${code}: it needs root, ip netns, iptables, openssl, coturn and a build)`);
    return;
  }
  for (const figure of JSON.parse(readFileSync(out, 'utf8'))) {
    // The goal (issue 14): p95 at most 80 ms with 40 ms round trip between the homes.
    const p95 = summary(figure.samples).p95;
    record(figure.name, figure.unit, figure.samples, figure.name.endsWith(', 40 ms RTT') ? { goalP95: 80, p95Met: p95 <= 80 } : {});
  }
}

const previous = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : existsSync(previousPath) ? JSON.parse(readFileSync(previousPath, 'utf8')) : null;
if (existsSync(resultsPath)) copyFileSync(resultsPath, previousPath);
// A partial run (--only) keeps the figures of the parts it did not measure.
const measured = new Set(results.map((r) => r.name));
const kept = only.length > 0 && previous ? previous.results.filter((r) => !measured.has(r.name)).map(({ name, unit, samples, ...extra }) => ({ name, unit, samples, ...extra })) : [];
results.unshift(...kept);
const output = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  options: { lexicalPrefix: LEXICAL_PREFIX, runs: RUNS, notes: NOTE_COUNT, only, quick },
  seconds: Math.round((Date.now() - started) / 1000),
  results: results.map((r) => ({ ...r, ...Object.fromEntries(Object.entries(summary(r.samples)).map(([k, v]) => [k, Number(v.toFixed(3))])) })),
  skipped,
};
writeFileSync(resultsPath, JSON.stringify(output, null, 2) + '\n');
console.log(table(previous));
console.log(`\n(${output.seconds} s; results in bench/results.json, previous in bench/results.previous.json)`);
