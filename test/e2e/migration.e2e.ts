/**
 * A data directory written by schema-1 Commonplace (one document per space; test/fixtures/schema1),
 * opened by today's web host in a real browser: every note shows as it was, a note whose stored copy
 * is damaged shows an error on that note alone, and the rest of the space works.
 */
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { body, openBrowser, removeDir, startHost, tempDir, title, waitSaved } from './harness';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'schema1');
const SPACE = 'space-ward4-practice';
const expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')).dataDir[SPACE] as {
  notes: Record<string, { title: string; tags: string[]; state: string }>;
};

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('a notebook written by the previous version', () => {
  it('opens with every note as it was, and keeps working after the migration', async () => {
    const dataDir = await tempDir('schema1');
    cleanups.push(() => removeDir(dataDir));
    await cp(join(FIXTURE, 'data-dir'), dataDir, { recursive: true });
    const host = await startHost(dataDir);
    cleanups.push(() => host.stop('SIGKILL'));
    const browser = await openBrowser(`${host.url}#/space/${SPACE}/note/note-hand-hygiene-01`);
    cleanups.push(browser.close);
    const { page } = browser;
    // The member's profile came along: no first-run question.
    await expect.poll(() => title(page).inputValue(), { timeout: 20_000 }).toBe('Hand hygiene');
    await expect.poll(() => body(page).textContent()).toContain('Wash for 20 seconds');
    expect(await page.locator('.editor-body strong').allTextContents()).toContain('20 seconds');
    // Every active note is listed, the trashed one is in the trash, the deleted one nowhere.
    const notes = page.getByRole('navigation', { name: 'Notes' });
    for (const note of Object.values(expected.notes).filter((n) => n.state === 'active')) await expect.poll(() => notes.textContent()).toContain(note.title);
    expect(await notes.textContent()).not.toContain('Duplicate draft');
    // The link between notes still leads to its note, and backlinks are found.
    await page.goto(`${host.url}#/space/${SPACE}/note/note-night-handover1`);
    await expect.poll(() => title(page).inputValue()).toBe('Night shift handover');
    await page.locator('.editor-body a.note-link', { hasText: 'Hand hygiene' }).click();
    await expect.poll(() => title(page).inputValue()).toBe('Hand hygiene');
    await expect.poll(() => page.getByRole('region', { name: 'Backlinks' }).textContent()).toContain('Night shift handover');
    // A migrated note takes edits like any other, and they last.
    await body(page).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' Edited after the upgrade.');
    await waitSaved(page);
    await page.reload();
    await expect.poll(() => body(page).textContent(), { timeout: 20_000 }).toContain('Edited after the upgrade.');
    expect((await body(page).textContent())!.match(/Wash for 20 seconds/g)).toHaveLength(1);
    expect((await readdir(join(dataDir, 'spaces', SPACE, 'schema1-backup'))).sort()).toEqual(['log.bin', 'snapshot.bin']);
    await browser.close();
    expect(await host.stop('SIGTERM')).toBe(0);

    // A note whose stored copy is damaged shows an error on that note alone.
    const pack = join(dataDir, 'spaces', SPACE, 'docs.pack');
    const bytes = await readFile(pack);
    const at = bytes.indexOf(Buffer.from('Count controlled drugs'));
    expect(at).toBeGreaterThan(0);
    bytes[at]! ^= 0xff;
    await writeFile(pack, bytes);
    const again = await startHost(dataDir);
    cleanups.push(() => again.stop('SIGKILL'));
    const second = await openBrowser(`${again.url}#/space/${SPACE}/note/note-night-handover1`);
    cleanups.push(second.close);
    await expect.poll(() => second.page.getByRole('alert').textContent(), { timeout: 20_000 }).toContain('This note could not be opened');
    await second.page.goto(`${again.url}#/space/${SPACE}/note/note-hand-hygiene-01`);
    await expect.poll(() => body(second.page).textContent(), { timeout: 20_000 }).toContain('Edited after the upgrade.');
  });
});
