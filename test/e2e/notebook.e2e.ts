/**
 * The foundation, as a member uses it: write a formatted note in a real browser against a real web
 * host, then reload, wipe the browser profile, restart the host and kill it mid-typing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title, waitSaved, type RunningHost } from './harness';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('a note survives reloads, wiped profiles and host restarts', () => {
  let dataDir: string;
  let host: RunningHost;

  beforeAll(async () => {
    dataDir = await tempDir('data');
    cleanups.push(() => removeDir(dataDir));
    host = await startHost(dataDir);
    cleanups.push(() => host.stop('SIGKILL'));
  });

  it('creates a welcome note on first run', async () => {
    const browser = await openBrowser(host.url);
    cleanups.push(browser.close);
    await passFirstRun(browser.page, 'Ada');
    await expect.poll(() => title(browser.page).inputValue()).toBe('Welcome to Commonplace');
    await expect.poll(() => body(browser.page).textContent()).toContain('community');
    await browser.close();
  });

  it('keeps a formatted note through a reload, a wiped profile and a host restart', async () => {
    const browser = await openBrowser(host.url);
    cleanups.push(browser.close);
    const { page } = browser;
    await page.getByRole('button', { name: 'New note' }).first().click();
    await title(page).fill('Wound care checklist');
    await title(page).press('Enter');
    // Markdown shortcuts while typing.
    await page.keyboard.type('# Before you start');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Wash hands and check the ');
    await page.keyboard.type('**allergies**');
    await page.keyboard.type(' first.');
    await page.keyboard.press('Enter');
    await page.keyboard.type('[ ] gloves');
    await page.keyboard.press('Enter');
    await page.keyboard.type('saline');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('> Ask before you touch.');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    // Toolbar: italic.
    await page.getByRole('button', { name: 'Italic' }).click();
    await page.keyboard.type('Gently');
    await waitSaved(page);

    const check = async () => {
      const b = body(page);
      await expect.poll(() => title(page).inputValue()).toBe('Wound care checklist');
      await expect(b.locator('h1').textContent()).resolves.toBe('Before you start');
      await expect(b.locator('strong, b, .ed-bold').first().textContent()).resolves.toBe('allergies');
      await expect(b.locator('li[role="checkbox"]').count()).resolves.toBe(2);
      await expect(b.locator('blockquote').textContent()).resolves.toBe('Ask before you touch.');
      await expect(b.locator('em, i, .ed-italic').first().textContent()).resolves.toBe('Gently');
    };
    await check();
    const noteUrl = page.url();
    expect(noteUrl).toMatch(/#\/space\/[\w-]+\/note\/[\w-]+$/);

    // 1. Reload: the note is back, and the URL still points at it.
    await page.reload();
    await check();
    expect(page.url()).toBe(noteUrl);
    await browser.close();

    // 2. Wipe the browser profile: every note comes back from the host's durable copy.
    await removeDir(browser.profileDir);
    const fresh = await openBrowser(noteUrl);
    cleanups.push(fresh.close);
    await expect.poll(() => title(fresh.page).inputValue(), { timeout: 15_000 }).toBe('Wound care checklist');
    await fresh.page.getByRole('navigation', { name: 'Notes' }).getByText('Welcome to Commonplace').waitFor();
    await fresh.close();

    // 3. Restart the host (SIGTERM flushes and exits 0), then open with yet another empty profile.
    expect(await host.stop('SIGTERM')).toBe(0);
    host = await startHost(dataDir);
    // A new launch has a new token: open its address at the same note.
    const afterRestart = await openBrowser(`${host.url}${new URL(noteUrl).hash}`);
    cleanups.push(afterRestart.close);
    const p = afterRestart.page;
    await expect.poll(() => title(p).inputValue(), { timeout: 15_000 }).toBe('Wound care checklist');
    await expect(body(p).locator('h1').textContent()).resolves.toBe('Before you start');
    await expect(body(p).locator('li[role="checkbox"]').count()).resolves.toBe(2);
    await afterRestart.close();
  });

  it('loses nothing when the host is killed with SIGKILL mid-typing', async () => {
    const browser = await openBrowser(host.url);
    cleanups.push(browser.close);
    const { page } = browser;
    await page.getByRole('button', { name: 'New note' }).first().click();
    await title(page).fill('Typed through a crash');
    await title(page).press('Enter');
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`);
    const typing = page.keyboard.type(words.join(' '), { delay: 15 });
    await page.waitForTimeout(1500);
    const port = host.port;
    await host.stop('SIGKILL');
    await typing;
    // The app says the edits are not on disk yet, and keeps them.
    await page.locator('[role="status"][data-state="unsaved"]').waitFor();

    // The store loads after the crash, and the page hands over what the host missed (the host is
    // restarted with the token the open page has).
    host = await startHost(dataDir, port, { token: host.token });
    await waitSaved(page);
    await browser.close();

    const check = await openBrowser(page.url());
    cleanups.push(check.close);
    await expect.poll(() => title(check.page).inputValue(), { timeout: 15_000 }).toBe('Typed through a crash');
    await expect.poll(() => body(check.page).textContent()).toBe(words.join(' '));
    await check.close();
  });
});
