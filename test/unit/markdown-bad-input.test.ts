/** Hostile and broken input: each file gets a clear message and the rest of the import carries on. */
import { mkdtemp, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderNames, safeBaseName, safeRelativePath } from '../../shared/markdown/file-names';
import { MAX_FILE_BYTES } from '../../shared/markdown/limits';
import { type ImportFile } from '../../shared/markdown/markdown-import';
import { noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { unzipForImport } from '../../shared/markdown/zip';
import { listNotes } from '../../shared/catalog';
import { readImportSource } from '../../main/services/markdown-files';
import { MemorySpace } from './support/memory-space';

const author = { id: 'a1', name: 'Ada' };
const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cp-md-bad-'));
  temps.push(dir);
  return dir;
}

function space(): MemorySpace {
  return new MemorySpace('Bad input');
}

/** A note's body as Markdown, read from its own document. */
function bodyMarkdown(doc: MemorySpace, noteId: string): string {
  return noteBodyToMarkdown(doc.body(noteId), noteId);
}

const text = (path: string, body: string): ImportFile => ({ path, bytes: new TextEncoder().encode(body) });
const fine = text('fine.md', 'a fine note');

async function reportFor(files: ImportFile[], path: string) {
  const summary = await space().import([...files, fine], { author });
  expect(summary.reports.find((r) => r.path === 'fine.md')!.status).toBe('imported');
  return summary.reports.find((r) => r.path === path)!;
}

describe('bad input for Markdown import', () => {
  it('refuses a 50 MB file by its size, without reading it', async () => {
    const dir = await tempDir();
    const handle = await open(join(dir, 'huge.md'), 'w');
    await handle.truncate(50 * 1024 * 1024); // sparse: nothing is written, and nothing should be read
    await handle.close();
    await writeFile(join(dir, 'fine.md'), 'a fine note');
    const { files } = await readImportSource(dir);
    const huge = files.find((f) => f.path === 'huge.md')!;
    expect(huge.bytes).toBeUndefined();
    expect(huge.refused).toMatch(/larger than the 10 MB limit/);
    const summary = await space().import(files, { author });
    expect(summary.reports.find((r) => r.path === 'huge.md')).toMatchObject({ status: 'failed' });
    expect(summary.imported).toBe(1);
    // Bytes handed over directly are checked too.
    expect((await reportFor([{ path: 'big.md', bytes: new Uint8Array(MAX_FILE_BYTES + 1).fill(97) }], 'big.md')).messages[0]).toMatch(/10 MB/);
  });

  it('flattens 10,000 levels of nested lists and quotes without exhausting the stack', async () => {
    // 10,000 levels on one line, and 1,500 indented lines (10,000 would pass the 10 MB file limit).
    const inline = `${'- '.repeat(10_000)}deep item\n\n${'> '.repeat(10_000)}deep quote\n\n${'> - '.repeat(5_000)}mixed`;
    const lists = Array.from({ length: 1_500 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');
    const emphasis = `${'*'.repeat(10_000)}x${'*'.repeat(10_000)} ${'['.repeat(10_000)}`;
    const doc = space();
    const summary = await doc.import([text('inline.md', inline), text('lists.md', lists), text('stars.md', emphasis)], { author });
    expect(summary.reports.map((r) => r.status)).toEqual(['imported', 'imported', 'imported']);
    expect(summary.reports[1]!.messages.join()).toMatch(/flattened/);
    const inlineOut = bodyMarkdown(doc, summary.reports[0]!.noteId!);
    expect(inlineOut).toContain('deep item');
    expect(inlineOut).toContain('deep quote');
    expect(bodyMarkdown(doc, summary.reports[1]!.noteId!)).toContain('level 1499');
  });

  it('decodes invalid UTF-8 with replacement characters and says so', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('caf'), 0xe9, ...new TextEncoder().encode(' au lait')]);
    const doc = space();
    const summary = await doc.import([{ path: 'latin1.md', bytes }], { author });
    expect(summary.reports[0]!.status).toBe('imported');
    expect(summary.reports[0]!.messages.join()).toMatch(/not valid UTF-8/);
    expect(bodyMarkdown(doc, summary.reports[0]!.noteId!)).toBe('caf\uFFFD au lait');
  });

  it('refuses binary files', async () => {
    const report = await reportFor([{ path: 'image.md', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]) }], 'image.md');
    expect(report).toMatchObject({ status: 'failed', messages: ['a binary file, not Markdown text'] });
  });

  it('keeps HTML with <script> as inert text', async () => {
    const doc = space();
    const summary = await doc.import([text('x.md', 'before\n\n<script>alert("x")</script>\n\nafter <img src=x onerror=alert(1)>')], { author });
    const id = summary.reports[0]!.noteId!;
    expect(bodyMarkdown(doc, id)).toBe('before\n\n<script>alert("x")</script>\n\nafter <img src=x onerror=alert(1)>');
    expect(summary.reports[0]!.messages.join()).toMatch(/HTML was kept as text/);
  });

  it('imports a file whose front matter is not valid YAML, with a warning and the front matter kept as text', async () => {
    const doc = space();
    const summary = await doc.import([text('broken.md', '---\ntitle: [unclosed\ntags: : :\n---\nbody text')], { author });
    const report = summary.reports[0]!;
    expect(report.status).toBe('imported');
    expect(report.title).toBe('broken');
    expect(report.messages.join()).toMatch(/not valid YAML/);
    expect(bodyMarkdown(doc, report.noteId!)).toBe('---\ntitle: [unclosed\ntags: : :\n---\n\nbody text');
  });

  it('never lets a name escape: ../ in zips, absolute paths, reserved and odd names', async () => {
    const zip = zipSync({ '../evil.md': strToU8('x'), '/abs.md': strToU8('y'), 'ok/../../up.md': strToU8('z'), 'good.md': strToU8('fine') });
    const files = unzipForImport(zip);
    expect(files.filter((f) => f.refused).map((f) => f.path).sort()).toEqual(['../evil.md', '/abs.md', 'ok/../../up.md'].sort());
    const summary = await space().import(files, { author });
    expect(summary.imported).toBe(1);
    expect(summary.failed).toBe(3);
    expect(safeRelativePath('a/../../b')).toBeNull();
    expect(safeRelativePath('C:\\x.md')).toBeNull();
    expect(safeBaseName('CON')).toBe('CON_');
    expect(safeBaseName('nul.txt')).toBe('nul.txt_');
    expect(safeBaseName('a/b\\c:d*e?f"g<h>i|j')).toBe('a-b-c-d-e-f-g-h-i-j');
    expect(safeBaseName(' trailing dots... ')).toBe('trailing dots');
    expect(safeBaseName('\u0001\u0002')).toBe('Untitled');
    const names = new FolderNames(['index.md']);
    expect([names.pick('Index', '.md'), names.pick('note', '.md'), names.pick('NOTE', '.md')]).toEqual(['Index 2.md', 'note.md', 'NOTE 2.md']);
    const long = [names.pick('é'.repeat(200), '.md'), names.pick('é'.repeat(200), '.md')];
    expect(long[0]).not.toBe(long[1]);
    for (const name of long) expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(120);
  });

  it('stops a zip bomb: per-file and total inflated sizes and the file count are capped while inflating', () => {
    const zeros = new Uint8Array(MAX_FILE_BYTES + 1024 * 1024);
    const bomb = zipSync({ 'bomb.md': zeros, 'small.md': strToU8('small') }, { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const files = unzipForImport(bomb);
    expect(files.find((f) => f.path === 'bomb.md')!.refused).toMatch(/limit for one file/);
    expect(new TextDecoder().decode(files.find((f) => f.path === 'small.md')!.bytes)).toBe('small');
    // Total and count limits (small here, so the test stays fast).
    const many = zipSync(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`n${i}.md`, new Uint8Array(1000).fill(97)])));
    const limited = unzipForImport(many, { maxFileBytes: 5000, maxFiles: 10, maxTotalBytes: 5500 });
    expect(limited.filter((f) => f.bytes).length).toBe(5);
    expect(limited.filter((f) => f.refused).length).toBe(15);
    expect(limited.some((f) => /more than 10 files/.test(f.refused ?? ''))).toBe(true);
    expect(() => unzipForImport(new Uint8Array([1, 2, 3]))).not.toThrow();
  });

  it('skips Obsidian settings, trash and attachments, and reports them', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '.obsidian'), { recursive: true });
    await mkdir(join(dir, '.trash'), { recursive: true });
    await mkdir(join(dir, 'Daily'), { recursive: true });
    await writeFile(join(dir, '.obsidian', 'app.json'), '{}');
    await writeFile(join(dir, '.trash', 'old.md'), 'old');
    await writeFile(join(dir, 'picture.png'), new Uint8Array([0x89, 0x50]));
    await writeFile(join(dir, 'Daily', 'Monday.md'), 'See [[Plans]] ![[picture.png]]');
    await writeFile(join(dir, 'Plans.md'), '---\naliases: [Roadmap]\n---\nplans');
    const { files, skippedFolders } = await readImportSource(dir);
    expect(skippedFolders.sort()).toEqual(['.obsidian/', '.trash/']);
    const doc = space();
    const summary = await doc.import(files, { author });
    expect(summary.imported).toBe(2);
    expect(summary.reports.find((r) => r.path === 'picture.png')).toMatchObject({ status: 'skipped', messages: ['not a Markdown file (attachment): skipped'] });
    const monday = listNotes(doc.catalog).find((n) => n.title === 'Monday')!;
    expect(bodyMarkdown(doc, monday.id)).toContain('![[picture.png]]');
  });
});

describe('lines built to make regular expressions backtrack', () => {
  // Quadratic matching on these 400,000-character lines would take minutes; linear matching, milliseconds.
  const run = ' '.repeat(400_000);
  it('imports a heading line padded with spaces and hashes', async () => {
    const report = await reportFor([text('heading.md', `# a${run}#${run}b\n\nbody`)], 'heading.md');
    expect(report.status).toBe('imported');
  });

  it('imports a table-like line followed by a line of spaces', async () => {
    const report = await reportFor([text('table.md', `a | b\n|${run}-${run}x\n`)], 'table.md');
    expect(report.status).toBe('imported');
  });
});
