/**
 * Members, with three hosts and three browsers: Ana invites Ben and Cy, all three co-edit, Ana removes
 * Cy; Ana and Ben go on co-editing on the new key while Cy's new edits never reach them and theirs
 * never reach Cy, who is told and can still export his copy. An expired and a revoked invite are
 * each refused with a message that says which.
 */
import { strFromU8, unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAnyInvite, encodeTokenInvite } from '../../shared/invite';
import { body, removeDir, tempDir, title } from './harness';
import { skipUnlessAvailable } from '../support/required';
import { netnsUnavailable, soloNamespace } from './netns';
import { joinWith, poll, shareCode, startMember, syncState, syncStatus, typeAtEnd, type Member } from './peers';

const skip = skipUnlessAvailable(netnsUnavailable(), 'members.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

const note = (page: Page, name: string) => page.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: new RegExp(`^${name}`) });

async function tryJoin(page: Page, code: string): Promise<string> {
  await page.getByRole('button', { name: 'Join space' }).click();
  await page.getByRole('textbox', { name: 'Invite code' }).fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  const alert = page.getByRole('dialog', { name: 'Join space' }).getByRole('alert');
  await alert.waitFor({ timeout: 45_000 });
  const text = (await alert.textContent()) ?? '';
  await page.getByRole('dialog', { name: 'Join space' }).getByRole('button', { name: 'Close' }).click();
  return text;
}

describe.skipIf(skip)('members of a space', () => {
  let ana: Member;
  let ben: Member;
  let cy: Member;
  let dan: Member;
  let scratch: string;

  beforeAll(async () => {
    scratch = await tempDir('members-bin');
    cleanups.push(() => removeDir(scratch));
    const solo = soloNamespace('cpmemb');
    cleanups.push(solo.destroy);
    [ana, ben, cy, dan] = (await Promise.all(['Ana', 'Ben', 'Cy', 'Dan'].map((name) => startMember(solo.ns.name, name, scratch, cleanups)))) as [Member, Member, Member, Member];
  });

  it('invites with expiring codes, co-edits, removes a member onto a new key, and refuses expired and revoked invites', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    const c = cy.browser.page;
    const code = await shareCode(a);
    await joinWith(b, code);
    await joinWith(c, code);
    for (const page of [a, b, c]) await expect.poll(() => syncStatus(page).textContent(), poll).toContain('connected to 2 peers');

    // All three co-edit one note.
    await a.getByRole('button', { name: 'New note' }).first().click();
    await title(a).fill('Rota');
    await typeAtEnd(a, 'Ana writes.');
    for (const page of [b, c]) await note(page, 'Rota').click();
    await typeAtEnd(b, ' Ben writes.');
    await typeAtEnd(c, ' Cy writes.');
    for (const page of [a, b, c]) await expect.poll(() => body(page).textContent(), poll).toBe('Ana writes. Ben writes. Cy writes.');

    // The Members panel: Ana created the space and invited both.
    await a.getByRole('button', { name: 'Members' }).click();
    const panel = a.getByRole('region', { name: 'Members' });
    await expect.poll(() => panel.getByRole('list', { name: 'Current members' }).getByRole('listitem').count(), poll).toBe(3);
    expect(await panel.textContent()).toMatch(/Ana \(you\)owner/);
    expect(await panel.textContent()).toMatch(/Cy.*invited by Ana/);

    // Ana removes Cy.
    await panel.getByRole('button', { name: 'Remove Cy' }).click();
    await a.getByRole('alertdialog', { name: 'Remove Cy?' }).getByRole('button', { name: 'Remove Cy' }).click();
    await expect.poll(() => panel.getByRole('list', { name: 'Removed members' }).textContent(), poll).toContain('Cy · removed by Ana');
    await a.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Close' }).click();

    // Ana and Ben are on the new key, together; Cy is told.
    for (const page of [a, b]) await expect.poll(() => syncStatus(page).getAttribute('data-epoch'), poll).toBe('2');
    await expect.poll(() => syncStatus(b).textContent(), poll).toContain('The space key changed');
    await expect.poll(() => syncStatus(c).textContent(), poll).toContain('You were removed from this space');
    for (const page of [a, b]) await expect.poll(() => syncStatus(page).textContent(), poll).toContain('connected to 1 peer');

    // They go on co-editing; Cy's new edits reach neither, and theirs do not reach Cy.
    await typeAtEnd(a, ' Ana after.');
    await expect.poll(() => body(b).textContent(), poll).toContain('Ana after.');
    await typeAtEnd(b, ' Ben after.');
    await expect.poll(() => body(a).textContent(), poll).toContain('Ben after.');
    await typeAtEnd(c, ' Cy after.');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    for (const page of [a, b]) expect(await body(page).textContent()).not.toContain('Cy after.');
    expect(await body(c).textContent()).not.toContain('Ana after.');
    expect(await body(c).textContent()).not.toContain('Ben after.');

    // Cy can still export his copy.
    await c.getByRole('button', { name: 'Markdown' }).click();
    await c.getByRole('radio', { name: 'This space' }).check();
    const [download] = await Promise.all([c.waitForEvent('download'), c.getByRole('button', { name: 'Export .zip' }).click()]);
    const zipPath = join(scratch, 'cy.zip');
    await download.saveAs(zipPath);
    const files = unzipSync(new Uint8Array(await readFile(zipPath)));
    const rota = Object.entries(files).find(([name]) => name.endsWith('Rota.md'));
    expect(strFromU8(rota![1])).toContain('Ana writes. Ben writes. Cy writes.');
    await c.getByRole('dialog', { name: 'Markdown' }).getByRole('button', { name: 'Close' }).click();

    // An expired invite and a revoked one are refused, each saying which. The revoked one is for one
    // person, so only Ana answers it: a member who has not yet heard of a revocation still accepts a
    // shared invite (docs/sync.md).
    const d = dan.browser.page;
    const fresh = decodeAnyInvite(await shareCode(a, { singleUse: true }));
    if (fresh.kind !== 'token') throw new Error('expected a current invite');
    expect(await tryJoin(d, encodeTokenInvite({ ...fresh, expires: Date.now() - 60_000 }))).toContain('This invite has expired');
    await a.getByRole('button', { name: 'Share space' }).click();
    const open = a.getByRole('region', { name: 'Open invites' });
    const forOne = open.getByRole('listitem').filter({ hasText: 'For one person' });
    await forOne.getByRole('button', { name: /^Revoke invite/ }).click();
    await expect.poll(() => forOne.count(), poll).toBe(0);
    await a.getByRole('dialog', { name: 'Share space' }).getByRole('button', { name: 'Close' }).click();
    const revokedAnswer = await tryJoin(d, encodeTokenInvite(fresh));
    expect(revokedAnswer).toContain('This invite was revoked');
    expect(await syncState(d)).toBe('offline');
  });
});
