/**
 * Attachments between members, and Markdown that keeps them: Ana imports a vault (a folder, a table,
 * links with their own labels and anchors), pastes a photo and attaches a form; Ben, another member
 * with his own host and browser, sees the photo and can save the form; Ben's copy exports to a folder
 * whose Markdown shows the image from an attachments/ folder; and that folder imports into a new space
 * on a third device with the image, the table, the labels, the anchors and the folder intact. There, a
 * dropped file is attached, and hostile files are not harmful: an image bomb stays a chip (also when its
 * note claims it is small), an SVG's script never runs, and a file over the limit is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title } from './harness';
import { gradientPng } from '../support/png';
import { skipUnlessAvailable } from '../support/required';
import { netnsUnavailable, soloNamespace } from './netns';
import { joinWith, poll, shareCode, startMember, syncState, type Member } from './peers';

const skip = skipUnlessAvailable(netnsUnavailable(), 'attachments.e2e (needs root and `ip netns`)');

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

const PHOTO = gradientPng(640, 400);
const PUMP = gradientPng(320, 200);
const FORM = Buffer.from('%PDF-1.4\n% a scanned consent form\n');
const notes = (page: Page) => page.getByRole('navigation', { name: 'Notes' });
const note = (page: Page, name: string) => notes(page).getByRole('link', { name: new RegExp(`^${name}`) });
/** Whether the note shows an image that the browser decoded, with this many pixels across. */
const decodedWidth = (page: Page, nth = 1) => body(page).locator('.attachment-image img').nth(nth).evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)).catch(() => 0);

/** Pastes a file into the note body as a member's clipboard would hand it over. */
async function pasteFile(page: Page, name: string, type: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    ({ name, type, base64 }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type }));
      document.querySelector('[aria-label="Note body"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    { name, type, base64: bytes.toString('base64') },
  );
}

describe.skipIf(skip)('attachments between two members, exported and imported again', () => {
  let ana: Member;
  let ben: Member;
  let scratch: string;
  let nsName: string;

  beforeAll(async () => {
    scratch = await tempDir('attach-bin');
    cleanups.push(() => removeDir(scratch));
    const solo = soloNamespace('cpattach', '10.231.11');
    nsName = solo.ns.name;
    cleanups.push(solo.destroy);
    [ana, ben] = await Promise.all([startMember(nsName, 'Ana', scratch, cleanups), startMember(nsName, 'Ben', scratch, cleanups)]);
  });

  it('a pasted image reaches the other member, exports with its file, and imports into a new space intact', async () => {
    const a = ana.browser.page;
    const b = ben.browser.page;

    // A vault with a folder, a table, and links with their own labels and anchors.
    const vault = join(scratch, 'Ward vault');
    await mkdir(join(vault, 'Procedures', 'images'), { recursive: true });
    await writeFile(
      join(vault, 'Procedures', 'Line care.md'),
      'Check the site daily. See [[Sepsis screen#Signs|the warning signs]] and [[Sepsis screen#^first-hour]].\n\n| Step | When |\n| --- | --- |\n| Flush | Every shift |\n| Dressing | Every 7 days |\n\n![[pump.png]]\n',
    );
    await writeFile(join(vault, 'Procedures', 'images', 'pump.png'), PUMP);
    await writeFile(join(vault, 'Procedures', 'images', 'unused.png'), PUMP.subarray(0, 100));
    await writeFile(join(vault, 'Sepsis screen.md'), '## Signs\n\nFever, fast breathing, confusion.\n\nAct within the hour. ^first-hour\n');
    await a.getByRole('button', { name: 'Markdown' }).click();
    const [chooser] = await Promise.all([a.waitForEvent('filechooser'), a.getByRole('button', { name: 'Import a folder…' }).click()]);
    await chooser.setFiles(vault);
    // The vault's image came with its note (the unused file did not).
    await expect.poll(() => a.getByRole('group', { name: 'Markdown export and import' }).getByRole('status').textContent(), poll).toMatch(/Imported 3, skipped 1\b/);
    await a.getByRole('dialog', { name: 'Markdown' }).getByRole('button', { name: 'Close' }).click();

    await joinWith(b, await shareCode(a));
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('up-to-date');

    // Ana pastes a photo and attaches a form with the toolbar's button.
    await note(a, 'Line care').click();
    await expect.poll(() => title(a).inputValue(), poll).toBe('Line care');
    await body(a).click();
    await a.keyboard.press('Control+End');
    await a.keyboard.press('Enter');
    await pasteFile(a, 'setup.png', 'image/png', PHOTO);
    await expect.poll(() => decodedWidth(a, 1), poll).toBe(640);
    await body(a).locator('.attachment-image').nth(1).getByRole('button', { name: 'Add alt text' }).click();
    await a.getByRole('textbox', { name: 'Alt text' }).fill('The line, dressed');
    await a.getByRole('textbox', { name: 'Alt text' }).press('Enter');
    await expect.poll(() => body(a).locator('.attachment-image img').nth(1).getAttribute('alt'), poll).toBe('The line, dressed');
    expect(await decodedWidth(a, 0)).toBe(320);
    await body(a).click();
    await a.keyboard.press('Control+End');
    await a.getByLabel('Files to attach').setInputFiles({ name: 'consent form.pdf', mimeType: 'application/pdf', buffer: FORM });
    await expect.poll(() => body(a).getByRole('button', { name: 'Save consent form.pdf' }).count(), poll).toBe(1);

    // Ben sees the photo (decoded from bytes his own host now holds) and can save the form.
    await note(b, 'Line care').click();
    await expect.poll(() => decodedWidth(b, 1), poll).toBe(640);
    await expect.poll(() => decodedWidth(b, 0), poll).toBe(320);
    expect(await body(b).locator('.attachment-image img').nth(1).getAttribute('alt')).toBe('The line, dressed');
    await expect.poll(() => body(b).getByRole('button', { name: 'Save consent form.pdf' }).count(), poll).toBe(1);
    const [download] = await Promise.all([b.waitForEvent('download'), body(b).getByRole('button', { name: 'Save consent form.pdf' }).click()]);
    expect(download.suggestedFilename()).toBe('consent form.pdf');
    expect(await readFile((await download.path())!)).toEqual(FORM);

    // Ben's copy exports to a folder (through his running host) whose Markdown shows the image.
    const out = join(scratch, 'export');
    const cli = (args: string[], ns?: string) =>
      execFileSync(ns ? 'ip' : process.execPath, ns ? ['netns', 'exec', ns, process.execPath, 'bin/commonplace.js', ...args] : ['bin/commonplace.js', ...args], { encoding: 'utf8' });
    // Ben holds two spaces called "My notebook": his own (the welcome note) and Ana's (three notes).
    const listed = cli(['spaces', '--data-dir', ben.dataDir], nsName);
    const spaceId = listed.split('\n').find((line) => line.includes('\t3 notes\t'))?.split('\t')[0];
    expect(spaceId, listed).toBeTruthy();
    cli(['export', '--data-dir', ben.dataDir, '--space', spaceId!, '--out', out], nsName);
    const markdown = await readFile(join(out, 'Procedures', 'Line care.md'), 'utf8');
    expect(markdown).toContain('![The line, dressed](../attachments/setup.png)');
    expect(markdown).toContain('[consent form.pdf](../attachments/consent%20form.pdf)');
    expect(markdown).toContain('| Flush | Every shift |');
    expect(markdown).toContain('![](../attachments/pump.png)');
    expect(await readFile(join(out, 'attachments', 'pump.png'))).toEqual(PUMP);
    expect(await readFile(join(out, 'attachments', 'setup.png'))).toEqual(PHOTO);
    expect(await readFile(join(out, 'attachments', 'consent form.pdf'))).toEqual(FORM);

    // A third device imports that folder into a new space: everything is there.
    const carlDir = await tempDir('attach-carl');
    cleanups.push(() => removeDir(carlDir));
    cli(['import', '--data-dir', carlDir, '--space', 'Ward copy', '--from', out]);
    // Carl's host keeps files of at most 1 MB.
    const carlHost = await startHost(carlDir, 0, { args: ['--attachment-limit-mb', '1'] });
    cleanups.push(() => carlHost.stop('SIGKILL'));
    const carl = await openBrowser(carlHost.url);
    cleanups.push(() => carl.close());
    cleanups.push(() => removeDir(carl.profileDir));
    const c = carl.page;
    await passFirstRun(c, 'Carl');
    await c.getByRole('navigation', { name: 'Spaces' }).getByRole('button', { name: 'Ward copy' }).click();
    await note(c, 'Line care').click();
    await expect.poll(() => title(c).inputValue(), poll).toBe('Line care');
    await expect.poll(() => decodedWidth(c, 1), poll).toBe(640);
    await expect.poll(() => decodedWidth(c, 0), poll).toBe(320);
    expect(await body(c).locator('.attachment-image img').nth(1).getAttribute('alt')).toBe('The line, dressed');
    await expect.poll(() => body(c).getByRole('button', { name: 'Save consent form.pdf' }).count(), poll).toBe(1);
    expect(await body(c).locator('th').allTextContents()).toEqual(['Step', 'When']);
    expect(await body(c).locator('td').allTextContents()).toEqual(['Flush', 'Every shift', 'Dressing', 'Every 7 days']);
    const links = body(c).locator('a.note-link');
    await expect.poll(() => links.allTextContents(), poll).toEqual(['the warning signs', 'Sepsis screen']);
    expect(await links.nth(0).getAttribute('title')).toBe('Sepsis screen › Signs');
    expect(await links.nth(1).getAttribute('title')).toBe('Sepsis screen › ^first-hour');
    await notes(c).getByRole('combobox', { name: 'Sort notes' }).selectOption('folder');
    await expect.poll(() => note(c, 'Procedures/Line care').count(), poll).toBe(1);

    // Hostile files: a PNG whose header claims 60,000 × 60,000 pixels is a chip, never decoded; an SVG
    // with a script shows as an image and its script never runs; a file over the limit is refused.
    await body(c).click();
    await c.keyboard.press('Control+End');
    await c.keyboard.press('Enter');
    const bomb = Buffer.from(gradientPng(2, 2));
    bomb.writeUInt32BE(60_000, 16);
    bomb.writeUInt32BE(60_000, 20);
    await pasteFile(c, 'bomb.png', 'image/png', bomb);
    await expect.poll(() => body(c).locator('.attachment-chip', { hasText: 'bomb.png' }).textContent(), poll).toContain('60000×60000: too large to show here');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><script>window.top.__svgRan = true</script><rect width="40" height="30" fill="teal" onload="window.top.__svgRan = true"/></svg>');
    await pasteFile(c, 'diagram.svg', 'image/svg+xml', svg);
    await expect.poll(() => body(c).locator('.attachment-image img[src^="blob:"]').count(), poll).toBe(3);
    expect(await c.evaluate(() => (window as unknown as { __svgRan?: boolean }).__svgRan ?? false)).toBe(false);
    // A member's note may claim anything: the bomb's node, made to say 10 x 10, is still never decoded (its own header decides).
    await c.evaluate(() => {
      type Node = { __type: string; __name?: string; getWritable(): { __width: number; __height: number } };
      const editor = (document.querySelector('[aria-label="Note body"]') as unknown as { __lexicalEditor: { update(fn: () => void): void; getEditorState(): { _nodeMap: Map<string, Node> } } }).__lexicalEditor;
      editor.update(() => {
        for (const node of editor.getEditorState()._nodeMap.values()) {
          if (node.__type !== 'attachment' || node.__name !== 'bomb.png') continue;
          const writable = node.getWritable();
          writable.__width = 10;
          writable.__height = 10;
        }
      });
    });
    await expect.poll(() => body(c).locator('.attachment-chip', { hasText: 'bomb.png' }).textContent(), poll).toContain('an image of 60000×60000 pixels, too large to show here');
    expect(await body(c).locator('.attachment-image img[src^="blob:"]').count()).toBe(3);
    // A file dropped on the note is attached where it lands.
    await c.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['Ward phone list'], 'phones.txt', { type: 'text/plain' }));
      const target = document.querySelector('[aria-label="Note body"] p')!;
      const box = target.getBoundingClientRect();
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true, clientX: box.right - 2, clientY: box.top + 5 }));
      }
    });
    await expect.poll(() => body(c).getByRole('button', { name: 'Save phones.txt' }).count(), poll).toBe(1);
    await pasteFile(c, 'scan.tiff', 'image/tiff', Buffer.alloc(2 * 1024 * 1024, 7));
    await expect.poll(() => c.getByRole('alert').textContent(), poll).toContain('scan.tiff is 2 MB: attachments are limited to 1 MB.');
    expect(await body(c).locator('.attachment-chip', { hasText: 'scan.tiff' }).count()).toBe(0);
    await expect.poll(() => body(c).textContent(), poll).toContain('Check the site daily.');
  });
});
