/**
 * Crash safety end to end: a script types continuously into a note while both the web host and the
 * browser are killed with SIGKILL. Every edit the app had reported as saved must be in the host's
 * durable store (read directly from disk), and after restarting both (same data dir, same profile)
 * the note shows it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium, type Browser as PwBrowser, type Page } from 'playwright-core';
import { DocStore } from '../../main/services/doc-store';
import { logger } from '../../main/services/logger';
import { noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { listNotes } from '../../shared/catalog';
import { body, CHROMIUM, CHROMIUM_ARGS, passFirstRun, removeDir, startHost, tempDir, title, waitSaved, type RunningHost } from './harness';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

interface OwnBrowser {
  browser: PwBrowser;
  page: Page;
  process: ChildProcess;
  /** SIGKILL to the browser's whole process group (it was started detached, so the group is ours). */
  kill: () => void;
}

/** Starts Chromium ourselves (so we hold its pid and can kill -9 it) and connects over CDP. */
async function launchOwnBrowser(profileDir: string, url: string): Promise<OwnBrowser> {
  const child = spawn(CHROMIUM, ['--headless', ...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profileDir}`, '--window-size=1200,850', 'about:blank'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${log}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${log}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint);
  const context = browser.contexts()[0]!;
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(url);
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  cleanups.push(async () => kill());
  return { browser, page, process: child, kill };
}

const saveState = (page: Page) => page.evaluate(() => document.querySelector('[role="status"]')?.getAttribute('data-state') ?? null);

describe('kill -9 of host and browser while typing', () => {
  let host: RunningHost;

  it('keeps every edit reported as saved', async () => {
    const dataDir = await tempDir('crash-data');
    const profileDir = await tempDir('crash-profile');
    cleanups.push(() => removeDir(dataDir), () => removeDir(profileDir));
    host = await startHost(dataDir);
    cleanups.push(() => host.stop('SIGKILL'));
    const first = await launchOwnBrowser(profileDir, host.url);
    const { page } = first;
    await passFirstRun(page, 'Crash tester');
    await page.getByRole('button', { name: 'New note' }).first().click();
    await title(page).fill('Typed through a double crash');
    await title(page).press('Enter');
    await waitSaved(page);
    const noteUrl = page.url();

    // Type word by word; after each word, note whether the app says everything is saved.
    let typed = '';
    let attempted = ''; // typed plus the word being typed when the crash came
    let savedPrefix = '';
    let savedReports = 0;
    let stop = false;
    const typing = (async () => {
      for (let i = 0; !stop && i < 2000; i++) {
        const word = `${i === 0 ? '' : ' '}w${i}`;
        attempted = typed + word;
        try {
          await page.keyboard.type(word, { delay: 5 });
        } catch {
          return; // the browser died under us
        }
        typed += word;
        const state = await saveState(page).catch(() => null);
        if (state === 'saved') {
          savedPrefix = typed;
          savedReports++;
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    // Both die at once, mid-typing.
    const port = host.port;
    first.kill();
    await host.stop('SIGKILL');
    stop = true;
    await typing;
    expect(savedReports, 'the app reported saved while typing').toBeGreaterThan(0);
    expect(savedPrefix.length).toBeGreaterThan(0);

    // 1. The durable store loads from disk on its own and holds every saved edit.
    logger.setQuiet(true);
    const store = new DocStore(dataDir);
    const [spaceId] = await store.listSpaceIds();
    const space = await store.space(spaceId!);
    const note = listNotes(space.catalog).find((n) => n.title === 'Typed through a double crash');
    expect(note, 'the note is in the store').toBeDefined();
    const stored = noteBodyToMarkdown(await space.doc(note!.id), note!.id);
    await store.close();
    logger.setQuiet(false);
    expect(stored.startsWith(savedPrefix), `store holds ${JSON.stringify(stored.slice(0, 60))}…, saved prefix had ${savedPrefix.length} chars`).toBe(true);
    expect(attempted.startsWith(stored), 'the store holds nothing that was not typed').toBe(true);

    // 2. Restart both, same data dir, same port (same origin, so the same IndexedDB), same token and same profile.
    host = await startHost(dataDir, port, { token: host.token });
    const second = await launchOwnBrowser(profileDir, noteUrl);
    await expect.poll(() => title(second.page).inputValue(), { timeout: 20_000 }).toBe('Typed through a double crash');
    await expect.poll(async () => (await body(second.page).textContent())?.startsWith(savedPrefix), { timeout: 20_000 }).toBe(true);
    const shown = (await body(second.page).textContent()) ?? '';
    expect(attempted.startsWith(shown), 'the note shows nothing that was not typed').toBe(true);
    await waitSaved(second.page);
    console.log(`crash e2e: typed ${typed.length} chars, ${savedReports} saved reports, last saved prefix ${savedPrefix.length} chars, store had ${stored.length}, page shows ${shown.length}`);
    await second.browser.close().catch(() => {});
    second.kill();
    expect(await host.stop('SIGTERM')).toBe(0);
  });
});
