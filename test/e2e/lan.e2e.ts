/**
 * Three members on a LAN of their own: each host and its Chromium in a separate network namespace,
 * the namespaces on one virtual bridge. They find each other over mDNS with no address given, sync,
 * keep editing while one link is cut, and converge when it is back.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAnyInvite, encodeTokenInvite } from '../../shared/invite';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title, until, type Browser, type RunningHost } from './harness';
import { skipUnlessAvailable } from '../support/required';
import { chromiumInNamespace, netnsUnavailable, NetLab, type Namespace } from './netns';

const skip = skipUnlessAvailable(netnsUnavailable(), 'lan.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

const syncState = (page: Page) => page.getByRole('status', { name: 'Sync status' }).getAttribute('data-state');
const peerCount = (page: Page) => page.getByRole('status', { name: 'Sync status' }).getAttribute('data-peers');
const poll = { timeout: 60_000, interval: 250 };

interface Member {
  ns: Namespace;
  host: RunningHost;
  browser: Browser;
  page: Page;
}

async function typeAtEnd(page: Page, text: string): Promise<void> {
  await body(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

describe.skipIf(skip)('three members on a LAN find each other over mDNS', () => {
  const lab = new NetLab('cplan');
  let members: Member[] = [];

  beforeAll(async () => {
    cleanups.push(() => lab.destroy());
    lab.start();
    const scratch = await tempDir('lan-bin');
    cleanups.push(() => removeDir(scratch));
    members = await Promise.all(
      ['Ana', 'Ben', 'Cy'].map(async (name) => {
        const ns = lab.addMember();
        const dataDir = await tempDir(`lan-${name}`);
        cleanups.push(() => removeDir(dataDir));
        const host = await startHost(dataDir, 0, { netns: ns.name, lan: true });
        cleanups.push(() => host.stop('SIGKILL'));
        const browser = await openBrowser(host.url, undefined, {
          executablePath: chromiumInNamespace(scratch, ns.name),
          args: ['--disable-features=WebRtcHideLocalIpsWithMdns'],
        });
        cleanups.push(() => browser.close());
        cleanups.push(() => removeDir(browser.profileDir));
        await passFirstRun(browser.page, name);
        await until(() => title(browser.page).inputValue(), (t) => t === 'Welcome to Commonplace', `${name}'s notebook`);
        return { ns, host, browser, page: browser.page };
      }),
    );
  });

  it('joins with an invite that carries no address and syncs an edit to all', async () => {
    const [ana, ben, cy] = members as [Member, Member, Member];
    await ana.page.getByRole('button', { name: 'Share space' }).click();
    await ana.page.getByRole('button', { name: 'Create invite' }).click();
    const field = ana.page.getByRole('textbox', { name: 'Invite code' });
    await expect.poll(() => field.inputValue(), poll).toMatch(/^cp2\./);
    // Strip the address hints: discovery alone must bring the members together.
    const invite = decodeAnyInvite(await field.inputValue());
    if (invite.kind !== 'token') throw new Error('expected a current invite');
    const code = encodeTokenInvite({ ...invite, addresses: [] });
    await ana.page.getByRole('button', { name: 'Close' }).click();
    for (const m of [ben, cy]) {
      await m.page.getByRole('button', { name: 'Join space' }).click();
      await m.page.getByRole('textbox', { name: 'Invite code' }).fill(code);
      await m.page.getByRole('button', { name: 'Join', exact: true }).click();
      await m.page.getByRole('textbox', { name: 'Invite code' }).waitFor({ state: 'detached' });
    }
    for (const m of members) {
      await expect.poll(() => peerCount(m.page), poll).toBe('2');
      await expect.poll(() => syncState(m.page), poll).toBe('up-to-date');
    }
    await typeAtEnd(ana.page, ' Heard on the LAN.');
    for (const m of [ben, cy]) await expect.poll(() => body(m.page).textContent(), poll).toContain('Heard on the LAN.');
  });

  it('edits on both sides of a cut link converge when it is back', async () => {
    const [ana, ben, cy] = members as [Member, Member, Member];
    lab.setLink(cy.ns, false);
    await typeAtEnd(ana.page, ' Ana during the cut.');
    await typeAtEnd(cy.page, ' Cy during the cut.');
    await expect.poll(() => body(ben.page).textContent(), poll).toContain('Ana during the cut.');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await body(cy.page).textContent()).not.toContain('Ana during the cut.');
    expect(await body(ana.page).textContent()).not.toContain('Cy during the cut.');
    lab.setLink(cy.ns, true);
    for (const m of members) {
      await expect.poll(() => body(m.page).textContent(), { timeout: 90_000, interval: 500 }).toContain('Cy during the cut.');
      await expect.poll(() => body(m.page).textContent(), { timeout: 90_000, interval: 500 }).toContain('Ana during the cut.');
    }
    const texts = await Promise.all(members.map((m) => body(m.page).textContent()));
    expect(new Set(texts).size).toBe(1);
  });
});
