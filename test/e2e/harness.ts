/** End-to-end harness: real web hosts (child processes) and real Chromium processes driven by playwright-core. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep Debian's Chromium quiet and self-contained on a machine with no outside network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `commonplace-${prefix}-`));
}

export interface RunningHost {
  /** The address the host printed: its page with this launch's token. */
  url: string;
  port: number;
  token: string;
  process: ChildProcess;
  output: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface HostOptions {
  /** Run the host inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** More command-line arguments (e.g. --signaling-port). */
  args?: string[];
  /**
   * LAN sync (mDNS and signalling on every interface). Off unless asked for: outside a network
   * namespace of the test's own it would reach this machine's real network.
   */
  lan?: boolean;
  /**
   * The token the host requires (COMMONPLACE_TOKEN), e.g. an earlier launch's, so pages left open
   * reconnect to a restarted host; a new random one when not given.
   */
  token?: string;
  /** `serve`: the always-on host (`commonplace serve`), which syncs its spaces itself. */
  serve?: boolean;
  /** More environment (e.g. NODE_EXTRA_CA_CERTS for a test's own rendezvous certificate). */
  env?: Record<string, string>;
}

/** Starts `dist/web/host.mjs` (what `npm run web` runs after building) and waits for its ready line. */
export async function startHost(dataDir: string, port = 0, options: HostOptions = {}): Promise<RunningHost> {
  const entry = join(ROOT, 'dist', 'web', 'host.mjs');
  if (!existsSync(entry)) throw new Error('dist/web/host.mjs is missing: run `npm run build` first');
  const command = options.serve ? [join(ROOT, 'bin', 'commonplace.js'), 'serve'] : [entry];
  const argv = [...command, '--port', String(port), '--data-dir', dataDir, ...(options.lan ? [] : ['--no-lan']), ...(options.args ?? [])];
  const env = { ...process.env, ...options.env, COMMONPLACE_TOKEN: options.token ?? '' };
  const child = options.netns
    ? spawn('ip', ['netns', 'exec', options.netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 20_000);
    const onData = () => {
      // `serve` leaves the token out of its log (it is in the lock).
      const match = /(http:\/\/127\.0\.0\.1:\d+\/(?:\?token=[A-Za-z0-9_-]+)?)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    token: new URL(url).searchParams.get('token') ?? '',
    process: child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  profileDir: string;
  close: () => Promise<void>;
}

export interface BrowserOptions {
  /** Another Chromium executable, e.g. a script running it inside a network namespace. */
  executablePath?: string;
  args?: string[];
}

/** A Chromium process of its own with a persistent profile (so IndexedDB survives reloads, and can be wiped). */
export async function openBrowser(url: string, profileDir?: string, options: BrowserOptions = {}): Promise<Browser> {
  const dir = profileDir ?? (await tempDir('profile'));
  const launch = () =>
    chromium.launchPersistentContext(dir, {
      executablePath: options.executablePath ?? CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
      viewport: { width: 1200, height: 850 },
    });
  // Several browsers starting at once on a busy machine: one may exit before its first page. Start it again once.
  const context = await launch().catch(async (error: unknown) => {
    if (!String(error).includes('has been closed')) throw error;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return launch();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error.message));
  // A namespace's interfaces may still be settling as the browser starts (see netns.ts): load again.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      break;
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('ERR_NETWORK_CHANGED')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return {
    context,
    page,
    profileDir: dir,
    close: async () => {
      await context.close();
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export const body = (page: Page) => page.getByRole('textbox', { name: 'Note body' });
export const title = (page: Page) => page.getByRole('textbox', { name: 'Note title' });

/** Answers the first-run profile question if the app asks it (a new data directory), then waits for the notebook. */
export async function passFirstRun(page: Page, name = 'Test member'): Promise<void> {
  const nameField = page.getByRole('textbox', { name: 'Display name' });
  const noteTitle = title(page);
  await Promise.race([nameField.waitFor({ timeout: 20_000 }), noteTitle.waitFor({ timeout: 20_000 })]);
  if (await nameField.isVisible()) {
    await nameField.fill(name);
    await page.getByRole('button', { name: 'Save' }).click();
  }
  await noteTitle.waitFor({ timeout: 20_000 });
}

/** Waits until the app reports that the host has every edit on disk. */
export async function waitSaved(page: Page): Promise<void> {
  await page.locator('[role="status"][data-state="saved"]').waitFor({ timeout: 15_000 });
}

/** Polls until `ok(read())` (usable in hooks, where expect.poll is not); throws with the last value. */
export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

/** Pastes about `size` bytes of text (lines of 1000 characters) into the note body. */
export async function pasteText(page: Page, size: number): Promise<void> {
  await body(page).click();
  await page.evaluate((total) => {
    const line = 'Practice note line with enough words to look like real writing. '.repeat(16).slice(0, 999);
    const text = Array.from({ length: Math.ceil(total / 1000) }, (_, i) => `${i} ${line}`.slice(0, 999)).join('\n');
    const data = new DataTransfer();
    data.setData('text/plain', text);
    document.querySelector('[aria-label="Note body"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, size);
}
