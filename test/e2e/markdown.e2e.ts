/**
 * Markdown from the app, as a member uses it: export the space as a zip (front matter, links, index) and
 * import an Obsidian-style vault folder with its links and tags.
 */
import { unzipSync, strFromU8 } from 'fflate';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title, type Browser, type RunningHost } from './harness';

let host: RunningHost;
let browser: Browser;
let dataDir: string;
let scratch: string;

beforeAll(async () => {
  dataDir = await tempDir('md-data');
  scratch = await tempDir('md-files');
  host = await startHost(dataDir);
  browser = await openBrowser(host.url);
  await passFirstRun(browser.page, 'Mary');
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await host?.stop('SIGKILL');
  await removeDir(dataDir);
  await removeDir(scratch);
  await removeDir(browser?.profileDir ?? '');
});

describe('Markdown in the app', () => {
  it('exports the space as a zip of Markdown files with front matter, links and an index', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'New note' }).first().click();
    await title(page).fill('Hand hygiene');
    await page.getByRole('textbox', { name: 'Add tag' }).fill('infection control');
    await page.getByRole('textbox', { name: 'Add tag' }).press('Enter');
    await body(page).click();
    await page.keyboard.type('Use **alcohol rub** first. See [[Welc');
    await page.getByRole('option', { name: 'Welcome to Commonplace' }).click();
    // A table, typed cell by cell (Tab moves on), with a row added from the table's own buttons.
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Insert table' }).click();
    await expect.poll(() => body(page).locator('table').count()).toBe(1);
    for (const cell of ['Product', 'Contact time', 'Where']) {
      await page.keyboard.type(cell);
      await page.keyboard.press('Tab');
    }
    await page.keyboard.type('Alcohol rub');
    await page.keyboard.press('Tab');
    await page.keyboard.type('20 s');
    await page.getByRole('toolbar', { name: 'Table' }).getByRole('button', { name: 'Add row' }).click();
    await expect.poll(() => body(page).locator('tr').count()).toBe(4);
    expect(await body(page).locator('th').allTextContents()).toEqual(['Product', 'Contact time', 'Where']);

    await page.getByRole('button', { name: 'Markdown' }).click();
    await page.getByRole('radio', { name: 'This space' }).check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export .zip' }).click()]);
    const zipPath = join(scratch, 'export.zip');
    await download.saveAs(zipPath);
    const files = unzipSync(new Uint8Array(await readFile(zipPath)));
    const names = Object.keys(files);
    const note = names.find((n) => n.endsWith('Hand hygiene.md'));
    expect(note).toBeDefined();
    expect(names.some((n) => n.endsWith('index.md'))).toBe(true);
    const text = strFromU8(files[note!]!);
    expect(text).toMatch(/^---\n/);
    expect(text).toContain('title: Hand hygiene');
    expect(text).toContain('infection control');
    expect(text).toContain('**alcohol rub**');
    expect(text).toContain('| Product | Contact time | Where |\n| --- | --- | --- |\n| Alcohol rub | 20 s |  |\n|  |  |  |\n|  |  |  |');
    // A link between notes becomes a relative Markdown link to the other file.
    expect(text).toMatch(/\[Welcome to Commonplace\]\(<?Welcome(%20| )to(%20| )Commonplace\.md>?\)/);
    await page.getByRole('dialog', { name: 'Markdown' }).getByRole('button', { name: 'Close' }).click();
  });

  it('imports an Obsidian-style vault folder with its links and tags', async () => {
    const { page } = browser;
    const vault = join(scratch, 'Ward vault');
    await mkdir(join(vault, '.obsidian'), { recursive: true });
    await mkdir(join(vault, 'Procedures'), { recursive: true });
    await writeFile(join(vault, '.obsidian', 'app.json'), '{}');
    await writeFile(join(vault, 'Procedures', 'Blood cultures.md'), '---\ntags: [sepsis]\n---\nTake two sets before antibiotics. See [[Sepsis screen|the screen]]. #lab\n');
    await writeFile(join(vault, 'Sepsis screen.md'), '# Sepsis screen\n\n- [ ] lactate\n- [x] cultures\n');

    await page.getByRole('button', { name: 'Markdown' }).click();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import a folder…' }).click()]);
    await chooser.setFiles(vault);
    await expect.poll(() => page.getByRole('group', { name: 'Markdown export and import' }).getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/Imported 2\b/);
    await page.getByRole('dialog', { name: 'Markdown' }).getByRole('button', { name: 'Close' }).click();

    const notes = page.getByRole('navigation', { name: 'Notes' });
    await notes.getByRole('link', { name: 'Blood cultures' }).click();
    await expect.poll(() => title(page).inputValue()).toBe('Blood cultures');
    // The link keeps its own words; it says where it goes, and goes there.
    await expect.poll(() => body(page).locator('a.note-link').textContent()).toBe('the screen');
    expect(await body(page).locator('a.note-link').getAttribute('title')).toBe('Sepsis screen');
    const tags = page.getByRole('navigation', { name: 'Tags' });
    await expect.poll(() => tags.getByRole('button').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('sepsis'), expect.stringContaining('lab')]));
    await body(page).locator('a.note-link').click();
    await expect.poll(() => title(page).inputValue()).toBe('Sepsis screen');
    await expect.poll(() => body(page).locator('li[role="checkbox"]').count()).toBe(2);
    // The notes remember their folders: the list sorted by folder shows them.
    await notes.getByRole('combobox', { name: 'Sort notes' }).selectOption('folder');
    await expect.poll(() => notes.getByRole('link', { name: /Blood cultures/ }).textContent()).toBe('Procedures/Blood cultures');
    await notes.getByRole('combobox', { name: 'Sort notes' }).selectOption('updated');
  });
});
