/**
 * Organising a notebook as a member does: three notes, tags, a link and its backlink, search, the trash,
 * and everything still in place after a reload.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title, type Browser, type RunningHost } from './harness';

let host: RunningHost;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = await tempDir('spaces');
  host = await startHost(dataDir);
  browser = await openBrowser(host.url);
  await passFirstRun(browser.page, 'Grace');
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await host?.stop('SIGKILL');
  await removeDir(dataDir);
});

describe('spaces and notes', () => {
  it('creates, tags, links, searches, trashes and restores notes, and keeps it all through a reload', async () => {
    const { page } = browser;
    const notesNav = page.getByRole('navigation', { name: 'Notes' });
    const tagsNav = page.getByRole('navigation', { name: 'Tags' });

    const newNote = async (noteTitle: string, text: string, tags: string[]) => {
      await page.getByRole('button', { name: 'New note' }).first().click();
      await title(page).fill(noteTitle);
      for (const tag of tags) {
        await page.getByRole('textbox', { name: 'Add tag' }).fill(tag);
        await page.getByRole('textbox', { name: 'Add tag' }).press('Enter');
      }
      await body(page).click();
      await page.keyboard.type(text);
    };

    await newNote('Flushing a PICC line', 'Use a 10 ml syringe and push-pause technique.', ['iv-care', 'procedures']);
    await newNote('Dressing changes', 'Change transparent dressings every seven days.', ['iv-care']);
    await newNote('Handover checklist', 'Before handover, read ', ['handover']);
    // Link to another note with [[.
    await page.keyboard.type('[[Flush');
    await page.getByRole('option', { name: 'Flushing a PICC line' }).click();
    await page.keyboard.type('first.');
    await expect.poll(() => body(page).locator('.note-link').textContent()).toBe('Flushing a PICC line');

    // Tags with counts, and filtering by tag.
    await expect.poll(() => tagsNav.getByRole('button', { name: /iv-care/ }).textContent()).toContain('2');
    await tagsNav.getByRole('button', { name: /procedures/ }).click();
    await expect.poll(() => notesNav.getByRole('link').allTextContents()).toEqual(['Flushing a PICC line']);
    await tagsNav.getByRole('button', { name: /procedures/ }).click();
    await expect.poll(() => notesNav.getByRole('link').count()).toBe(4); // with the welcome note

    // Follow the link; the target shows the backlink.
    await body(page).locator('.note-link').click();
    await expect.poll(() => title(page).inputValue()).toBe('Flushing a PICC line');
    const backlinks = page.getByRole('region', { name: 'Backlinks' });
    await expect.poll(() => backlinks.getByRole('link').allTextContents()).toEqual(['Handover checklist']);

    // The link follows a rename of its target.
    await title(page).fill('Flushing a PICC or midline');
    await backlinks.getByRole('link', { name: 'Handover checklist' }).click();
    await expect.poll(() => body(page).locator('.note-link').textContent()).toBe('Flushing a PICC or midline');

    // Search: ranked, prefix and typo tolerant, with a highlighted snippet.
    const search = page.getByRole('searchbox', { name: 'Search notes' });
    await search.fill('dresing');
    await expect.poll(() => notesNav.getByRole('link').allTextContents()).toEqual(['Dressing changes']);
    await expect.poll(() => notesNav.locator('mark').first().textContent()).toMatch(/dressing/i);
    await search.fill('syring');
    await expect.poll(() => notesNav.getByRole('link').first().textContent()).toBe('Flushing a PICC or midline');
    await search.fill('');

    // Alone in the space, no caret but the browser's own is drawn over the editor (not even one's own name).
    await body(page).click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.waitForTimeout(300);
    expect(await page.locator('.remote-cursors').textContent()).toBe('');

    // Trash and restore.
    await notesNav.getByRole('link', { name: 'Dressing changes' }).click();
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => notesNav.getByRole('link', { name: 'Dressing changes' }).count()).toBe(0);
    await notesNav.getByRole('button', { name: /Trash \(1\)/ }).click();
    await notesNav.getByRole('link', { name: 'Dressing changes' }).click();
    // A note in the trash is read-only: typing into it changes nothing until it is restored.
    await expect.poll(() => title(page).inputValue()).toBe('Dressing changes');
    const trashedText = await body(page).textContent();
    expect(await body(page).getAttribute('contenteditable')).toBe('false');
    expect(await title(page).getAttribute('readonly')).not.toBeNull();
    await body(page).click();
    await page.keyboard.type('typed in the trash');
    expect(await body(page).textContent()).toBe(trashedText);
    await page.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => body(page).getAttribute('contenteditable')).toBe('true');
    await body(page).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' Restored.');
    await expect.poll(() => body(page).textContent()).toContain('Restored.');
    await notesNav.getByRole('button', { name: '← Notes' }).click();
    await expect.poll(() => notesNav.getByRole('link', { name: 'Dressing changes' }).count()).toBe(1);

    // Everything is where it was after a reload, and the URL opens the same note.
    await notesNav.getByRole('link', { name: 'Handover checklist' }).click();
    const url = page.url();
    await page.waitForTimeout(300);
    await page.reload();
    await expect.poll(() => title(page).inputValue(), { timeout: 15_000 }).toBe('Handover checklist');
    expect(page.url()).toBe(url);
    await expect.poll(() => body(page).locator('.note-link').textContent()).toBe('Flushing a PICC or midline');
    await expect.poll(() => tagsNav.getByRole('button', { name: /iv-care/ }).textContent()).toContain('2');
    await expect.poll(() => notesNav.getByRole('link').count()).toBe(4);

    // Back and forward land on the notes visited.
    await notesNav.getByRole('link', { name: 'Dressing changes' }).click();
    await expect.poll(() => title(page).inputValue()).toBe('Dressing changes');
    await page.goBack();
    await expect.poll(() => title(page).inputValue()).toBe('Handover checklist');
    await page.goForward();
    await expect.poll(() => title(page).inputValue()).toBe('Dressing changes');
    await page.screenshot({ path: 'test-results/spaces-and-notes.png' });
  });

  it('keeps several spaces apart and opens any note with the quick switcher', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'New space' }).click();
    await page.getByRole('textbox', { name: 'Name of the space' }).fill('District teachers');
    await page.getByRole('button', { name: 'Create space' }).click();
    const spacesNav = page.getByRole('navigation', { name: 'Spaces' });
    await expect.poll(() => spacesNav.getByRole('button').allTextContents()).toContain('District teachers');
    await expect.poll(() => page.getByRole('navigation', { name: 'Notes' }).getByRole('link').count()).toBe(0);
    await page.getByRole('button', { name: 'New note' }).first().click();
    await title(page).fill('Reading groups that work');

    await spacesNav.getByRole('button', { name: 'My notebook' }).click();
    await expect.poll(() => page.getByRole('navigation', { name: 'Notes' }).getByRole('link').count()).toBe(4);
    await page.keyboard.press('Control+k');
    await page.getByRole('textbox', { name: 'Go to note' }).fill('hand');
    await page.keyboard.press('Enter');
    await expect.poll(() => title(page).inputValue()).toBe('Handover checklist');
  });

  it('creates a note from a link to a title that does not exist, and shows a link to a deleted note as broken', async () => {
    const { page } = browser;
    const notesNav = page.getByRole('navigation', { name: 'Notes' });
    await page.getByRole('button', { name: 'New note' }).first().click();
    await title(page).fill('Night shift');
    await body(page).click();
    await page.keyboard.type('See [[Sleep hygiene');
    await page.getByRole('option', { name: 'Create note “Sleep hygiene”' }).click();
    const link = body(page).locator('a.note-link');
    await expect.poll(() => link.textContent()).toBe('Sleep hygiene');
    await link.click();
    await expect.poll(() => title(page).inputValue()).toBe('Sleep hygiene');
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await notesNav.getByRole('button', { name: /Trash/ }).click();
    await notesNav.getByRole('link', { name: 'Sleep hygiene' }).click();
    await page.getByRole('button', { name: 'Delete forever' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete forever' }).click();
    await notesNav.getByRole('button', { name: '← Notes' }).click();
    await notesNav.getByRole('link', { name: 'Night shift' }).click();
    await expect.poll(() => body(page).locator('a.note-link.broken').textContent()).toBe('Sleep hygiene');
  });

  it('renames a space, empties the trash, recovers a note deleted forever, and removes a space from this device after saying what is lost', async () => {
    const { page } = browser;
    const spacesNav = page.getByRole('navigation', { name: 'Spaces' });
    const notesNav = page.getByRole('navigation', { name: 'Notes' });
    await spacesNav.getByRole('button', { name: 'District teachers' }).click();
    await page.getByRole('button', { name: 'Rename space' }).click();
    await page.getByRole('textbox', { name: 'Name of the space' }).fill('Teachers of the north district');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await expect.poll(() => spacesNav.getByRole('button').allTextContents()).toContain('Teachers of the north district');

    // Empty the trash: the confirmation says how many notes go, and that they can still be recovered here.
    const trashedTitle = await page.getByRole('textbox', { name: 'Note title' }).inputValue();
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await notesNav.getByRole('button', { name: /Trash \(1\)/ }).click();
    await notesNav.getByRole('button', { name: 'Empty trash' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain('The note in the trash will be deleted forever');
    expect(await page.getByRole('dialog').textContent()).toContain('Recently deleted');
    await page.getByRole('dialog').getByRole('button', { name: 'Empty trash' }).click();
    await expect.poll(() => notesNav.getByText('The trash is empty.').isVisible()).toBe(true);
    // Deleted forever, and listed under "Recently deleted" on this device: recovering brings it back.
    const recent = notesNav.getByRole('region', { name: 'Recently deleted' });
    await expect.poll(() => recent.textContent()).toContain(trashedTitle || 'Untitled note');
    await recent.getByRole('button', { name: `Recover ${trashedTitle || 'Untitled note'}` }).click();
    await expect.poll(() => page.getByRole('textbox', { name: 'Note title' }).inputValue()).toBe(trashedTitle);
    await expect.poll(() => page.getByRole('button', { name: 'Move to trash' }).isVisible()).toBe(true);
    await notesNav.getByRole('button', { name: '← Notes' }).click();
    await expect.poll(() => notesNav.getByRole('link', { name: trashedTitle || 'Untitled note' }).count()).toBe(1);

    // Remove the space from this device.
    const spaceId = /#\/space\/([\w-]+)/.exec(page.url())![1]!;
    await page.getByRole('button', { name: 'Remove from this device' }).click();
    await expect.poll(() => page.getByRole('dialog').textContent()).toContain('will be deleted from this device');
    await page.getByRole('dialog').getByRole('button', { name: 'Remove from this device' }).click();
    await expect.poll(() => spacesNav.getByRole('button').allTextContents()).not.toContain('Teachers of the north district');
    await page.reload();
    const spaceNames = () => spacesNav.getByRole('listitem').allTextContents();
    await expect.poll(spaceNames, { timeout: 15_000 }).toEqual(['My notebook']);
    expect(existsSync(join(dataDir, 'spaces', spaceId))).toBe(false);
  });
});
