/**
 * Discussion in the margins, between two members with their own hosts and browsers: Ana comments on a
 * passage, Ben sees it, replies and resolves it, and Ana sees both; each comments while offline and
 * both threads are there once they meet; deleting a commented passage keeps its thread, detached; the
 * export carries the open threads in a Discussion section.
 */
import { strFromU8, unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, removeDir, tempDir, title } from './harness';
import { skipUnlessAvailable } from '../support/required';
import { netnsUnavailable, soloNamespace } from './netns';
import { joinWith, poll, shareCode, startMember, syncState, type Member } from './peers';

const skip = skipUnlessAvailable(netnsUnavailable(), 'comments.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

const FIRST = 'Flush the line with 10 ml saline.';
const SECOND = 'Change the dressing every seven days.';
const note = (page: Page, name: string) => page.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: new RegExp(`^${name}`) });
const panel = (page: Page) => page.getByRole('region', { name: 'Comments' });
const openThreads = (page: Page) => panel(page).getByRole('list', { name: 'Open threads' }).getByRole('listitem').filter({ has: page.locator('blockquote') });

/** How many characters the editor's own selection spans (it can lag the page's for an event). */
function lexicalSelectionLength(): number {
  type Point = { offset: number; key: string };
  const root = document.querySelector('[aria-label="Note body"]') as (Element & { __lexicalEditor?: { getEditorState(): { _selection: { anchor: Point; focus: Point } | null } } }) | null;
  const selection = root?.__lexicalEditor?.getEditorState()._selection;
  if (!selection || !('anchor' in selection) || selection.anchor.key !== selection.focus.key) return -1;
  return Math.abs(selection.focus.offset - selection.anchor.offset);
}

/** Selects the paragraph `text` in the note body and comments on it. */
async function commentOn(page: Page, text: string, comment: string, how: 'button' | 'keyboard' = 'button'): Promise<void> {
  const paragraph = body(page).locator('p', { hasText: text });
  await paragraph.click();
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await expect.poll(() => page.evaluate(lexicalSelectionLength), poll).toBe(text.length);
  if (how === 'keyboard') await page.keyboard.press('Control+Alt+m');
  else await page.getByRole('button', { name: 'Comment', exact: true }).click();
  await panel(page).getByRole('textbox', { name: 'Comment' }).fill(comment);
  await panel(page).getByRole('button', { name: 'Post' }).click();
  await expect.poll(() => panel(page).getByRole('region', { name: 'New comment' }).count(), poll).toBe(0);
}

describe.skipIf(skip)('comments between two members', () => {
  let ana: Member;
  let ben: Member;
  let scratch: string;

  beforeAll(async () => {
    scratch = await tempDir('comments-bin');
    cleanups.push(() => removeDir(scratch));
    const solo = soloNamespace('cpcomm');
    cleanups.push(solo.destroy);
    [ana, ben] = await Promise.all([startMember(solo.ns.name, 'Ana', scratch, cleanups), startMember(solo.ns.name, 'Ben', scratch, cleanups)]);
  });

  it('comments, replies and resolves across members, merges comments made offline, and exports the discussion', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;
    await joinWith(b, await shareCode(a));
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('up-to-date');
    await a.getByRole('button', { name: 'New note' }).first().click();
    await title(a).fill('Line care');
    await body(a).click();
    await a.keyboard.type(FIRST);
    await a.keyboard.press('Enter');
    await a.keyboard.type(SECOND);
    await note(b, 'Line care').click();
    await expect.poll(() => body(b).textContent(), poll).toBe(FIRST + SECOND);

    // Ana comments on the first passage: it is marked, and the thread is in her panel.
    await commentOn(a, FIRST, 'Is 10 ml enough for a midline?');
    await expect.poll(() => body(a).locator('mark').textContent(), poll).toBe(FIRST);
    expect(await openThreads(a).count()).toBe(1);
    // The body's text is unchanged: the discussion is beside it, not in it.
    expect(await body(a).textContent()).toBe(FIRST + SECOND);

    // Ben sees it, replies and resolves it.
    await expect.poll(() => b.getByRole('button', { name: /^Comments/ }).textContent(), poll).toBe('Comments (1)');
    await b.getByRole('button', { name: /^Comments/ }).click();
    const thread = openThreads(b).first();
    await expect.poll(() => thread.textContent(), poll).toContain('Is 10 ml enough for a midline?');
    expect(await thread.textContent()).toContain('Ana');
    expect(await thread.locator('blockquote').textContent()).toBe(FIRST);
    await expect.poll(() => body(b).locator('mark').textContent(), poll).toBe(FIRST);
    // The thread shows its passage in the note, and the passage leads back to its thread.
    await thread.getByRole('button', { name: 'Show passage' }).click();
    await expect.poll(() => b.evaluate(() => String(window.getSelection())), poll).toBe(FIRST);
    await b.getByRole('button', { name: /^Comments/ }).click();
    await expect.poll(() => panel(b).count(), poll).toBe(0);
    await body(b).locator('mark').first().click();
    await expect.poll(() => panel(b).count(), poll).toBe(1);
    await expect.poll(() => openThreads(b).first().getAttribute('aria-current'), poll).toBe('true');
    await thread.getByRole('textbox', { name: 'Reply' }).fill('Yes, for a midline; 20 ml for a PICC.');
    await thread.getByRole('button', { name: 'Reply' }).click();
    await expect.poll(() => thread.textContent(), poll).toContain('20 ml for a PICC');
    await thread.getByRole('button', { name: 'Resolve' }).click();

    // Ana sees the reply and the resolution (resolved threads are folded away; they can be found again).
    await expect.poll(() => panel(a).getByText('Resolved (1)').count(), poll).toBe(1);
    await panel(a).getByText('Resolved (1)').click();
    const resolved = panel(a).getByRole('list', { name: 'Resolved threads' });
    await expect.poll(() => resolved.textContent(), poll).toContain('Yes, for a midline; 20 ml for a PICC.');
    expect(await resolved.textContent()).toContain('Resolved by Ben');
    expect(await openThreads(a).count()).toBe(0);

    // Apart, each comments; together again, both threads are there on both sides.
    for (const page of [a, b]) await page.getByRole('button', { name: 'Work offline' }).click();
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('offline');
    await commentOn(b, FIRST, 'Ben, offline: check the trust policy.', 'keyboard');
    await commentOn(a, SECOND, 'Ana, offline: we change it every five days.');
    for (const page of [a, b]) await page.getByRole('button', { name: 'Work offline' }).click();
    for (const page of [a, b]) {
      await expect.poll(() => openThreads(page).count(), poll).toBe(2);
      expect(await panel(page).textContent()).toContain('Ana, offline: we change it every five days.');
      expect(await panel(page).textContent()).toContain('Ben, offline: check the trust policy.');
    }
    // Ben answers Ana: for her, that thread comes first, marked as replies to her.
    expect(await openThreads(a).first().textContent()).toContain('Ben, offline');
    const anas = openThreads(b).filter({ hasText: 'Ana, offline' });
    await anas.getByRole('textbox', { name: 'Reply' }).fill('We do seven; worth asking the tissue viability nurse.');
    await anas.getByRole('button', { name: 'Reply' }).click();
    await expect.poll(() => openThreads(a).first().textContent(), poll).toContain('tissue viability nurse');
    expect(await openThreads(a).first().textContent()).toContain('Replies to you');

    // Deleting a commented passage keeps its thread, detached.
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('up-to-date');
    await body(a).locator('p', { hasText: SECOND }).click();
    await a.keyboard.press('Home');
    await a.keyboard.press('Shift+End');
    await expect.poll(() => a.evaluate(() => String(window.getSelection())), poll).toBe(SECOND);
    // The editor takes the selection from the page on its next event: wait until it holds it too.
    await expect.poll(() => a.evaluate(lexicalSelectionLength), poll).toBe(SECOND.length);
    await a.keyboard.press('Backspace');
    await expect.poll(() => body(b).textContent(), poll).toBe(FIRST);
    await expect.poll(() => panel(b).textContent(), poll).toContain('The passage was deleted: this thread is detached.');
    expect(await openThreads(b).count()).toBe(2);

    // The export carries the open threads after the note's body.
    await a.getByRole('button', { name: 'Markdown' }).click();
    await a.getByRole('radio', { name: 'This space' }).check();
    const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('button', { name: 'Export .zip' }).click()]);
    const zipPath = join(scratch, 'ana.zip');
    await download.saveAs(zipPath);
    const files = unzipSync(new Uint8Array(await readFile(zipPath)));
    const exported = strFromU8(Object.entries(files).find(([name]) => name.endsWith('Line care.md'))![1]);
    expect(exported).toContain('## Discussion');
    expect(exported).toContain('Ana, offline: we change it every five days.');
    expect(exported).toContain('Ben, offline: check the trust policy.');
    expect(exported).not.toContain('20 ml for a PICC');
    expect(exported.indexOf(FIRST)).toBeLessThan(exported.indexOf('## Discussion'));
  });
});
