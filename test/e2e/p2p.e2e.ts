/**
 * Two members, each with their own web host (own data dir and port) and their own Chromium process,
 * joined through the invite flow in the UI; then live co-editing, presence, offline edits that merge,
 * and a third device with a forged invite that sees nothing. Everything runs inside one network
 * namespace of the test's own (WebRTC needs an interface besides loopback, and we use no address of
 * this machine's real network).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAnyInvite, encodeInvite, toBase64Url } from '../../shared/invite';
import { body, pasteText, removeDir, tempDir, title } from './harness';
import { skipUnlessAvailable } from '../support/required';
import { netnsUnavailable, soloNamespace } from './netns';
import { joinWith, poll, shareCode, startMember, syncState, syncStatus, typeAtEnd, type Member } from './peers';

const skip = skipUnlessAvailable(netnsUnavailable(), 'p2p.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

const member = (ns: string, name: string, scratch: string) => startMember(ns, name, scratch, cleanups);
const join = joinWith;

describe.skipIf(skip)('two members sync peer to peer', () => {
  let ana: Member;
  let ben: Member;
  let code: string;
  let ns: string;
  let scratch: string;

  beforeAll(async () => {
    scratch = await tempDir('p2p-bin');
    cleanups.push(() => removeDir(scratch));
    const solo = soloNamespace('cpp2p');
    cleanups.push(solo.destroy);
    ns = solo.ns.name;
    [ana, ben] = await Promise.all([member(ns, 'Ana', scratch), member(ns, 'Ben', scratch)]);
  });

  it('shows the status, rejects a garbage invite, and joins through a real invite', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    await expect.poll(() => syncStatus(a).textContent(), poll).toContain('Offline (saved on this device)');

    await b.getByRole('button', { name: 'Join space' }).click();
    await b.getByRole('textbox', { name: 'Invite code' }).fill('cp1.AAAAgarbage');
    await b.getByRole('button', { name: 'Join', exact: true }).click();
    await expect.poll(() => b.getByRole('alert').textContent(), poll).toMatch(/damaged or incomplete|not a Commonplace invite/);
    await b.getByRole('button', { name: 'Close' }).click();

    code = await shareCode(a);
    const invite = decodeAnyInvite(code);
    expect(invite.kind).toBe('token');
    expect(invite.addresses.some((address) => address.startsWith('127.0.0.1:'))).toBe(true);
    await join(b, code);
    await expect.poll(() => title(b).inputValue(), poll).toBe('Welcome to Commonplace');
    await expect.poll(() => syncState(a), poll).toBe('up-to-date');
    await expect.poll(() => syncState(b), poll).toBe('up-to-date');
    await expect.poll(() => syncStatus(b).textContent(), poll).toContain('connected to 1 peer');
    await expect.poll(() => body(b).textContent(), poll).toBe(await body(a).textContent());
  });

  it('co-edits live both ways and shows who is here, on which note, with cursors', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    await typeAtEnd(a, ' Ana was here.');
    await expect.poll(() => body(b).textContent(), poll).toContain('Ana was here.');
    await typeAtEnd(b, ' Ben too.');
    await expect.poll(() => body(a).textContent(), poll).toContain('Ben too.');
    const people = a.getByRole('list', { name: 'People here' });
    await expect.poll(() => people.textContent(), poll).toContain('Ben');
    await expect.poll(() => people.textContent(), poll).toContain('on Welcome to Commonplace');
    await expect.poll(() => b.getByRole('list', { name: 'People here' }).textContent(), poll).toContain('Ana');
    // Ben's caret, with his name, drawn in Ana's editor.
    await expect.poll(() => a.locator('.remote-cursors').textContent(), poll).toContain('Ben');
  });

  it('merges edits made apart, with nothing lost', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    for (const page of [a, b]) await page.getByRole('button', { name: 'Work offline' }).click();
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('offline');
    await typeAtEnd(a, ' Offline Ana.');
    await typeAtEnd(b, ' Offline Ben.');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await body(a).textContent()).not.toContain('Offline Ben.');
    expect(await body(b).textContent()).not.toContain('Offline Ana.');
    for (const page of [a, b]) await page.getByRole('button', { name: 'Work offline' }).click();
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('up-to-date');
    await expect.poll(() => body(a).textContent(), poll).toContain('Offline Ben.');
    await expect.poll(() => body(b).textContent(), poll).toContain('Offline Ana.');
    expect(await body(a).textContent()).toBe(await body(b).textContent());
  });

  it('syncs a 5 MB note (messages far over the 256 KiB data-channel limit)', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    await a.getByRole('button', { name: 'New note' }).first().click();
    await title(a).fill('Big note');
    await pasteText(a, 5 * 1024 * 1024);
    const expected = (await body(a).textContent())!.length;
    expect(expected).toBeGreaterThan(5_000_000);
    await b.getByRole('link', { name: 'Big note' }).click();
    await expect.poll(async () => (await body(b).textContent())?.length, { timeout: 60_000, interval: 500 }).toBe(expected);
  });

  it('a device with a forged invite (right id and addresses, a key of its own making) sees nothing', async () => {
    // An invite of the first kind, which carries a key: the forger guesses one.
    const { spaceId, name, addresses } = decodeAnyInvite(code);
    const forged = encodeInvite({ spaceId, name, addresses, secret: toBase64Url(randomBytes(32)) });
    const eve = await member(ns, 'Eve', scratch);
    const e = eve.browser.page;
    await join(e, forged);
    await expect.poll(() => e.getByText('No notes here yet.').first().isVisible(), poll).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await syncState(e)).toBe('offline');
    expect(await e.getByText('No notes here yet.').first().isVisible()).toBe(true);
    expect(await ana.browser.page.getByRole('list', { name: 'People here' }).textContent()).not.toContain('Eve');
    expect(await syncStatus(ana.browser.page).getAttribute('data-peers')).toBe('1');
  });
});
