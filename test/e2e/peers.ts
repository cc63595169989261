/**
 * Members on their own devices for end-to-end tests: each a web host and a Chromium process inside a
 * network namespace, joined through the invite flow of the real UI.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title, until, type Browser, type RunningHost } from './harness';
import { chromiumInNamespace } from './netns';

export const WEBRTC_ARGS = ['--disable-features=WebRtcHideLocalIpsWithMdns'];
export const poll = { timeout: 30_000, interval: 200 };

export const syncStatus = (page: Page) => page.getByRole('status', { name: 'Sync status' });
export const syncState = (page: Page) => syncStatus(page).getAttribute('data-state');

export interface Member {
  host: RunningHost;
  browser: Browser;
  dataDir: string;
}

/** A member with a host and a browser of their own in namespace `ns`, past the first run (`lan`: found over mDNS there). */
export async function startMember(
  ns: string,
  name: string,
  scratch: string,
  cleanups: Array<() => unknown>,
  options: { lan?: boolean; env?: Record<string, string>; browserArgs?: string[] } = {},
): Promise<Member> {
  const dataDir = await tempDir(`p2p-${name}`);
  cleanups.push(() => removeDir(dataDir));
  const host = await startHost(dataDir, 0, { netns: ns, lan: options.lan, args: ['--signaling-port', '0'], env: options.env });
  cleanups.push(() => host.stop('SIGKILL'));
  const browser = await openBrowser(host.url, undefined, { executablePath: chromiumInNamespace(scratch, ns), args: [...WEBRTC_ARGS, ...(options.browserArgs ?? [])] });
  cleanups.push(() => browser.close());
  if (process.env.P2P_DEBUG) browser.page.on('console', (m) => console.log(name, m.type(), m.text().slice(0, 300)));
  cleanups.push(() => removeDir(browser.profileDir));
  await passFirstRun(browser.page, name);
  await until(() => title(browser.page).inputValue(), (t) => t === 'Welcome to Commonplace', `${name}'s welcome note`);
  return { host, browser, dataDir };
}

/** A new invite to the open space, made in the Share dialog (optionally for one person, expiring sooner). */
export async function shareCode(page: Page, options: { singleUse?: boolean; expiresAfter?: '1 day' | '7 days' | '30 days' } = {}): Promise<string> {
  await page.getByRole('button', { name: 'Share space' }).click();
  if (options.expiresAfter) await page.getByRole('combobox', { name: 'Expires after' }).selectOption({ label: options.expiresAfter });
  if (options.singleUse) await page.getByRole('checkbox', { name: 'For one person only' }).check();
  await page.getByRole('button', { name: 'Create invite' }).click();
  const field = page.getByRole('textbox', { name: 'Invite code' });
  await expect.poll(() => field.inputValue(), poll).toMatch(/^cp2\./);
  expect(await field.getAttribute('readonly')).not.toBeNull();
  const code = await field.inputValue();
  await page.getByRole('button', { name: 'Close' }).click();
  return code;
}

export async function joinWith(page: Page, code: string): Promise<void> {
  await page.getByRole('button', { name: 'Join space' }).click();
  await page.getByRole('textbox', { name: 'Invite code' }).fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.getByRole('textbox', { name: 'Invite code' }).waitFor({ state: 'detached' });
}

export async function typeAtEnd(page: Page, text: string): Promise<void> {
  await body(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}
