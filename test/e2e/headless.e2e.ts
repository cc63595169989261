/**
 * The always-on host: `commonplace serve` syncs the spaces it holds by itself, with no window. Ana
 * writes a note with a photo and invites the always-on host (`commonplace join`); once it has the
 * space, it is killed with SIGKILL and started again, and has lost nothing. Ana goes away, and Ben, a
 * new member, joins and gets the whole space, photo included, from the always-on host alone. It is
 * also killed the moment it has joined and again while the photo is half fetched, and carries on. Runs in a
 * network namespace of its own (root, `ip netns`), where the hosts find each other over mDNS.
 * HEADLESS_DEBUG=1 prints the hosts' logs when a step fails.
 */
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, removeDir, startHost, tempDir, title, type RunningHost } from './harness';
import { noisePng } from '../support/png';
import { skipUnlessAvailable } from '../support/required';
import { netnsUnavailable, soloNamespace } from './netns';
import { joinWith, poll, shareCode, startMember, syncState, type Member } from './peers';

const skip = skipUnlessAvailable(netnsUnavailable(), 'headless.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

// About 4 MB: large enough that the data channel's send queue fills and must drain (the Node binding never says it did).
const PHOTO = noisePng(1000, 7);
const TEXT = 'Night shift: bed 4 needs a line check at 02:00.';
const decodedWidth = (page: Page) => body(page).locator('.attachment-image img').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)).catch(() => 0);

describe.skipIf(skip)('the always-on host', () => {
  let ana: Member;
  let scratch: string;
  let nsName: string;
  let alwaysOn: RunningHost;
  let alwaysOnDir: string;

  beforeAll(async () => {
    scratch = await tempDir('headless-bin');
    cleanups.push(() => removeDir(scratch));
    const solo = soloNamespace('cphead', '10.231.12');
    nsName = solo.ns.name;
    cleanups.push(solo.destroy);
    // Members and the always-on host find each other over mDNS, as on a ward's network.
    ana = await startMember(nsName, 'Ana', scratch, cleanups, { lan: true });
    alwaysOnDir = await tempDir('headless-host');
    cleanups.push(() => removeDir(alwaysOnDir));
    alwaysOn = await startHost(alwaysOnDir, 0, { netns: nsName, serve: true, lan: true, args: ['--signaling-port', '0'] });
    cleanups.push(() => alwaysOn.stop('SIGKILL'));
  });

  it('keeps a space for a member who joins while everyone else is away', async () => {
    const a = ana.browser.page;
    await expect.poll(() => alwaysOn.output(), poll).toContain('syncs its spaces itself');
    await a.getByRole('button', { name: 'New note' }).first().click();
    await title(a).fill('Handover');
    await body(a).click();
    await a.keyboard.type(TEXT);
    await a.keyboard.press('Enter');
    await a.evaluate((base64) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'bed 4.png', { type: 'image/png' }));
      document.querySelector('[aria-label="Note body"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, PHOTO.toString('base64'));
    await expect.poll(() => decodedWidth(a), poll).toBe(1000);

    // The always-on host joins with an invite, on the command line.
    const code = await shareCode(a);
    const cli = (...args: string[]) => execFileSync('ip', ['netns', 'exec', nsName, process.execPath, 'bin/commonplace.js', ...args], { encoding: 'utf8' });
    try {
      expect(cli('join', '--data-dir', alwaysOnDir, '--code', code)).toContain('joined space');
    } catch (error) {
      if (process.env.HEADLESS_DEBUG) console.log(`always-on:\n${alwaysOn.output()}\nana:\n${ana.host.output()}`);
      throw error;
    }
    // Killed (kill -9) the moment it has joined, while it fetches the space and the photo, and started again: it carries on.
    await alwaysOn.stop('SIGKILL');
    alwaysOn = await startHost(alwaysOnDir, 0, { netns: nsName, serve: true, lan: true, args: ['--signaling-port', '0'] });
    // It gets the space (two notes: Ana's welcome note and the handover) and the photo, by itself.
    const spaceLine = () => cli('spaces', '--data-dir', alwaysOnDir).split('\n').find((line) => /\t2 notes\t/.test(line));
    await expect
      .poll(spaceLine, { timeout: 60_000, interval: 500 })
      .toBeTruthy()
      .catch((error: unknown) => {
        if (process.env.HEADLESS_DEBUG) console.log(`always-on:\n${alwaysOn.output()}\nspaces:\n${cli('spaces', '--data-dir', alwaysOnDir)}`);
        throw error;
      });
    const spaceId = spaceLine()!.split('\t')[0]!;
    const attachmentNames = () => readdir(join(alwaysOnDir, 'spaces', spaceId, 'attachments')).catch(() => [] as string[]);
    const attachments = async () => (await attachmentNames()).filter((n) => /^[0-9a-f]{64}$/.test(n)).length;
    // Killed again while the photo is half fetched (its .part file written, the photo not yet whole), when the run catches that moment.
    for (let waited = 0; waited < 30_000 && (await attachments()) === 0; waited += 10) {
      if ((await attachmentNames()).some((n) => n.endsWith('.part'))) {
        await alwaysOn.stop('SIGKILL');
        alwaysOn = await startHost(alwaysOnDir, 0, { netns: nsName, serve: true, lan: true, args: ['--signaling-port', '0'] });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await expect.poll(attachments, { timeout: 60_000, interval: 500 }).toBe(1);

    // The always-on host is killed (kill -9) and started again: it lost nothing, and syncs the space again by itself.
    await alwaysOn.stop('SIGKILL');
    alwaysOn = await startHost(alwaysOnDir, 0, { netns: nsName, serve: true, lan: true, args: ['--signaling-port', '0'] });
    await expect.poll(() => alwaysOn.output(), poll).toContain(`space ${spaceId}: looking for members`);
    expect(spaceLine()).toBeTruthy();
    expect(await attachments()).toBe(1);

    // Ana makes Ben an invite and goes away; Ben joins and gets everything from the always-on host, whose host also answers the invite.
    const forBen = await shareCode(a);
    // Both invites (its own and Ben's) reached the always-on host, which now answers them.
    await expect.poll(() => alwaysOn.output(), poll).toContain('invites: answering 2 ');
    await ana.browser.close();
    await ana.host.stop('SIGKILL');
    const ben = await startMember(nsName, 'Ben', scratch, cleanups, { lan: true });
    const b = ben.browser.page;
    await joinWith(b, forBen).catch(async (error: unknown) => {
      if (process.env.HEADLESS_DEBUG) console.log(`join dialog: ${await b.getByRole('dialog').textContent().catch(() => '?')}\nalways-on:\n${alwaysOn.output()}\nben:\n${ben.host.output()}`);
      throw error;
    });
    await expect.poll(() => syncState(b), { timeout: 60_000, interval: 200 }).toBe('up-to-date');
    await b.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: /^Handover/ }).click();
    await expect.poll(() => body(b).textContent(), poll).toContain(TEXT);
    await expect.poll(() => decodedWidth(b), { timeout: 60_000, interval: 200 }).toBe(1000);
  });
});
