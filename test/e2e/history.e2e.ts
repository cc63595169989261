/**
 * History between two members, each with their own host and browser: Ben deletes half of a note,
 * rewrites a paragraph and trashes another note; Ana sees it in "What's new", opens History,
 * restores the old version and undoes Ben's changes; both end with the restored text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, removeDir, tempDir, title } from './harness';
import { skipUnlessAvailable } from '../support/required';
import { netnsUnavailable, soloNamespace } from './netns';
import { joinWith, poll, shareCode, startMember, syncState, type Member } from './peers';
import type { Page } from 'playwright-core';

const skip = skipUnlessAvailable(netnsUnavailable(), 'history.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

const PARAGRAPHS = ['Before the shift, read the handover sheet.', 'Check the drug fridge temperature.', 'Count the controlled drugs with a colleague.', 'Escalate any early warning score above five.'];
const ORIGINAL = PARAGRAPHS.join('');

async function writeNote(page: Page, noteTitle: string, paragraphs: string[]): Promise<void> {
  await page.getByRole('button', { name: 'New note' }).first().click();
  await title(page).fill(noteTitle);
  await body(page).click();
  for (const [i, text] of paragraphs.entries()) {
    if (i > 0) await page.keyboard.press('Enter');
    await page.keyboard.type(text);
  }
}

const note = (page: Page, name: string) => page.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: new RegExp(`^${name}`) });

describe.skipIf(skip)('history between two members', () => {
  let ana: Member;
  let ben: Member;

  beforeAll(async () => {
    const scratch = await tempDir('history-bin');
    cleanups.push(() => removeDir(scratch));
    const solo = soloNamespace('cphist');
    cleanups.push(solo.destroy);
    [ana, ben] = await Promise.all([startMember(solo.ns.name, 'Ana', scratch, cleanups), startMember(solo.ns.name, 'Ben', scratch, cleanups)]);
  });

  it("shows Ben's changes to Ana, who restores the old version and undoes them", async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    await joinWith(b, await shareCode(a));
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('up-to-date');
    await writeNote(a, 'Shift routine', PARAGRAPHS);
    await writeNote(a, 'Escalation contacts', ['Call the registrar on 2040.']);
    await expect.poll(() => note(b, 'Shift routine').count(), poll).toBe(1);
    await expect.poll(() => note(b, 'Escalation contacts').count(), poll).toBe(1);

    // Ben, on his own device: deletes the second half, rewrites a paragraph, trashes the other note.
    await note(b, 'Shift routine').click();
    await expect.poll(() => body(b).textContent(), poll).toBe(ORIGINAL);
    // From the end: the last two paragraphs go key by key, then the second is typed again.
    await body(b).click();
    await b.keyboard.press('Control+End');
    const backspaces = async (count: number) => {
      for (let i = 0; i < count; i++) await b.keyboard.press('Backspace');
    };
    await backspaces(PARAGRAPHS[3]!.length + 1 + PARAGRAPHS[2]!.length + 1);
    await expect.poll(() => body(b).textContent(), poll).toBe(PARAGRAPHS[0]! + PARAGRAPHS[1]!);
    await backspaces(PARAGRAPHS[1]!.length);
    await b.keyboard.type('Skip the fridge check when busy.');
    const bensText = `${PARAGRAPHS[0]}Skip the fridge check when busy.`;
    await expect.poll(() => body(b).textContent(), poll).toBe(bensText);
    await note(b, 'Escalation contacts').click();
    await b.getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => note(a, 'Escalation contacts').count(), poll).toBe(0);

    // Ana sees both in "What's new", by note, and the changed note is marked in her list.
    await expect.poll(() => note(a, 'Shift routine').getAttribute('aria-label'), poll).toContain('changed by others since you last looked');
    await a.getByRole('button', { name: /^What's new/ }).click();
    const news = a.getByRole('region', { name: "What's new" });
    await expect.poll(() => news.textContent(), poll).toMatch(/Shift routine\s*edited by Ben/);
    await expect.poll(() => news.textContent(), poll).toMatch(/Escalation contacts\s*moved to the trash by Ben/);
    await news.getByRole('button', { name: /^Shift routine/ }).click();

    // Opening the note shows what Ben changed since Ana last looked, with who did it.
    const since = a.getByRole('region', { name: 'Changes since you last looked' });
    await expect.poll(() => since.textContent(), poll).toContain('Ben changed this note since you last looked');
    await expect.poll(() => since.locator('del').count(), poll).toBeGreaterThan(0);
    expect(await since.locator('del').first().getAttribute('title')).toBe('removed by Ben');
    expect(await since.locator('ins').first().getAttribute('title')).toBe('added by Ben');
    await expect.poll(() => body(a).textContent(), poll).toBe(bensText);

    // History: Ben's version first, then Ana's; the older one shown, then restored.
    await a.getByRole('button', { name: 'History' }).click();
    const history = a.getByRole('region', { name: 'History' });
    const versions = history.getByRole('list', { name: 'Versions' }).getByRole('button');
    await expect.poll(() => versions.count(), poll).toBeGreaterThanOrEqual(2);
    expect(await versions.first().textContent()).toContain('Edited by Ben');
    const anas = versions.filter({ hasText: 'Edited by you' }).first();
    await anas.click();
    const shown = a.getByRole('document', { name: /^Version \d+ of the note/ });
    await expect.poll(() => shown.textContent(), poll).toContain(PARAGRAPHS[3]!);
    await a.getByRole('button', { name: 'Restore this version' }).click();
    await expect.poll(() => body(a).textContent(), poll).toBe(ORIGINAL);
    await note(b, 'Shift routine').click();
    await expect.poll(() => body(b).textContent(), poll).toBe(ORIGINAL);
    await expect.poll(() => versions.first().textContent(), poll).toContain('you restored version');

    // Undo Ben's changes since his edit: the trashed note comes back; the note keeps the restored text.
    await versions.filter({ hasText: 'Edited by Ben' }).first().click();
    await a.getByRole('button', { name: 'Undo changes by Ben…' }).click();
    const dialog = a.getByRole('dialog', { name: 'Undo changes by Ben' });
    await expect.poll(() => dialog.getByRole('status').textContent(), poll).toContain('in 1 note');
    expect(await dialog.getByRole('status').textContent()).toContain('list of notes');
    await dialog.getByRole('button', { name: 'Undo changes' }).click();
    await expect.poll(() => a.getByRole('alert').first().textContent(), poll).toContain("Undid Ben's changes");
    await expect.poll(() => note(a, 'Escalation contacts').count(), poll).toBe(1);
    await expect.poll(() => note(b, 'Escalation contacts').count(), poll).toBe(1);
    await a.getByRole('button', { name: 'Back to the current note' }).click();
    await expect.poll(() => body(a).textContent(), poll).toBe(ORIGINAL);
    await expect.poll(() => body(b).textContent(), poll).toBe(ORIGINAL);
    // Ana's history kept every step: nothing was rewritten (the undo changed nothing more in this note).
    const steps = (await history.textContent()) ?? '';
    expect(steps).toContain('you restored version');
    expect(steps).toContain('Edited by Ben');
    expect(steps).toContain('Created by you');
  });
});
