/** Markdown that keeps attachments: export writes each file once in attachments/, import stores the files notes show. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { $createParagraphNode, $createTextNode, $getRoot, type LexicalNode } from 'lexical';
import { $isElementNode } from 'lexical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { AttachmentStore, attachmentHashOf } from '../../main/services/attachment-store';
import { acquireDataDir } from '../../main/services/data-dir';
import { DocStore } from '../../main/services/doc-store';
import { HostService } from '../../main/services/host-service';
import { readImportSource, writeExport } from '../../main/services/markdown-files';
import { exportMarkdownZip, importIntoStore, importMarkdownIntoStore } from '../../main/services/markdown-host';
import { exportMarkdownFiles, readOnlySource } from '../../main/services/markdown-service';
import { startWebHost } from '../../main/web/web-host';
import { $createAttachmentNode, $isAttachmentNode, type AttachmentFacts } from '../../shared/attachments/attachment-node';
import { getEntry, listNotes, setEntryFolder } from '../../shared/catalog';
import { safeRelativePath } from '../../shared/markdown/file-names';
import type { ImportFile, ImportSummary } from '../../shared/markdown/markdown-import';
import { noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import type { ExportedFile } from '../../shared/markdown/space-export';
import { unzipForImport } from '../../shared/markdown/zip';
import { bindNoteBody, createNoteEditor, readNoteBodyWith } from '../../shared/note-body';
import { newNoteDoc } from '../../shared/note-doc';
import { MemorySpace } from './support/memory-space';
import { bundleCli } from './support/cli-bundle';

const author = { id: 'member-ada-01', name: 'Ada' };
const encoder = new TextEncoder();
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cp-md-attach-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  return mkdtemp(join(work, `${name}-`));
}

/** A PNG header with the given dimensions (all that image-size reads), plus `extra` to tell files apart. */
function png(width: number, height: number, extra = ''): Uint8Array {
  const bytes = new Uint8Array(33 + extra.length);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  bytes.set(encoder.encode(extra), 33);
  return bytes;
}

const pdf = (text: string) => encoder.encode(`%PDF-1.4\n% ${text}\n%%EOF\n`);

function file(path: string, content: string | Uint8Array): ImportFile {
  return { path, bytes: typeof content === 'string' ? encoder.encode(content) : content };
}

/** A note whose body is text followed by attachment nodes, in `folder`. */
function noteWith(space: MemorySpace, title: string, attachments: AttachmentFacts[], folder = ''): string {
  const id = space.create({ author, title });
  if (folder) setEntryFolder(getEntry(space.catalog, id)!, folder);
  const { editor, dispose } = bindNoteBody(space.body(id), id);
  editor.update(
    () => {
      const paragraph = $createParagraphNode().append($createTextNode('See'));
      for (const facts of attachments) paragraph.append($createTextNode(' '), $createAttachmentNode(facts));
      $getRoot().clear().append(paragraph);
    },
    { discrete: true },
  );
  dispose();
  return id;
}

async function stored(store: AttachmentStore, bytes: Uint8Array, facts: Partial<AttachmentFacts> & { name: string }): Promise<AttachmentFacts> {
  const hash = await store.put(bytes);
  return { hash, mime: 'application/octet-stream', size: bytes.byteLength, alt: '', width: 0, height: 0, by: author.id, ...facts };
}

/** The attachment nodes of a note's body, in order. */
function attachmentsOf(space: MemorySpace, noteId: string): AttachmentFacts[] {
  return readNoteBodyWith(space.body(noteId), noteId, createNoteEditor(), () => {
    const found: AttachmentFacts[] = [];
    const stack: LexicalNode[] = [...$getRoot().getChildren()].reverse();
    while (stack.length) {
      const node = stack.pop()!;
      if ($isAttachmentNode(node)) found.push(node.getFacts());
      if ($isElementNode(node)) stack.push(...[...node.getChildren()].reverse());
    }
    return found;
  });
}

function noteByTitle(space: MemorySpace, title: string): string {
  return listNotes(space.catalog).find((n) => n.title === title)!.id;
}

function text(files: ExportedFile[], path: string): string {
  return files.find((f) => f.path === path)!.text;
}

function importWith(space: MemorySpace, store: AttachmentStore, files: ImportFile[]): Promise<ImportSummary> {
  return space.import(files, { author, storeAttachment: (bytes) => store.put(bytes), attachmentLimit: store.limit });
}

/** Every file under a folder, as forward-slash paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

describe('export of attachments', () => {
  it('links images and files relative to each note, writes each file once, and names them safely and uniquely', async () => {
    const store = new AttachmentStore(join(await tempDir('store'), 'attachments'), 1024 * 1024);
    const space = new MemorySpace();
    const cat = await stored(store, png(4, 3), { name: 'cat.png', mime: 'image/png', alt: 'A *cat*', width: 4, height: 3 });
    const report = await stored(store, pdf('report'), { name: 'report.pdf', mime: 'application/pdf' });
    const photo1 = await stored(store, png(1, 1, 'one'), { name: 'my photo.png', mime: 'image/png' });
    const photo2 = await stored(store, png(1, 1, 'two'), { name: 'My Photo.png', mime: 'image/png' });
    const hostile = await stored(store, pdf('hostile'), { name: '../../x.png', mime: 'application/pdf' });
    const control = await stored(store, pdf('control'), { name: 'a\u0007b\u0000c.pdf', mime: 'application/pdf' });
    const dots = await stored(store, pdf('dots'), { name: '..', mime: 'application/pdf' });
    const missing: AttachmentFacts = { ...report, hash: 'f'.repeat(64), name: 'gone.pdf' };
    noteWith(space, 'Root', [cat, report, photo1, photo2]);
    noteWith(space, 'Deep', [cat, hostile, control, dots, missing], 'Trips/Japan');

    const lacking: string[] = [];
    const files = await space.export({ readAttachment: async (hash) => ((await store.size(hash)) === null ? null : store.read(hash, 0, 1 << 20)), onMissingAttachment: ({ path }) => lacking.push(path) });
    expect(text(files, 'Root.md')).toContain('See ![A \\*cat\\*](attachments/cat.png) [report.pdf](attachments/report.pdf) ![](attachments/my%20photo.png) ![](attachments/My%20Photo%202.png)');
    const deep = text(files, 'Trips/Japan/Deep.md');
    expect(deep).toContain('![A \\*cat\\*](../../attachments/cat.png)');
    expect(deep).toContain('(../../attachments/gone.pdf)');
    expect(lacking).toEqual(['attachments/gone.pdf']);

    const binaries = files.filter((f) => f.bytes);
    // The same file once, whoever shows it; two files named alike get two names; the missing one is only linked.
    expect(binaries.map((f) => f.path)).toEqual(['attachments/cat.png', 'attachments/x.png', 'attachments/abc.pdf', 'attachments/attachment', 'attachments/report.pdf', 'attachments/my photo.png', 'attachments/My Photo 2.png']);
    expect(binaries[0]!.bytes).toEqual(png(4, 3));
    for (const f of binaries) expect(safeRelativePath(f.path)).toBe(f.path);

    const wiki = await space.export({ wikilinks: true, readAttachment: async () => null });
    expect(text(wiki, 'Root.md')).toContain('See ![[cat.png|A *cat*]] ![[report.pdf]] ![[my photo.png]] ![[My Photo 2.png]]');
    expect(text(wiki, 'Trips/Japan/Deep.md')).toContain('See ![[cat.png|A *cat*]] ![[x.png]] ![[abc.pdf]] ![[attachment]] ![[gone.pdf]]');
    expect(wiki.filter((f) => f.bytes)).toEqual([]);
  });

  it('writes the bytes into a folder and a zip, never outside the folder', async () => {
    const store = new AttachmentStore(join(await tempDir('store'), 'attachments'), 1024 * 1024);
    const space = new MemorySpace();
    const bytes = png(2, 2, 'zip');
    noteWith(space, 'Note', [await stored(store, bytes, { name: '../../../escape.png', mime: 'image/png' }), await stored(store, pdf('x'), { name: 'C:\\evil\\x.pdf', mime: 'application/pdf' })], '../outside');
    const files = await space.export({ readAttachment: (hash) => store.read(hash, 0, 1 << 20) });
    const out = join(await tempDir('out'), 'export');
    await writeExport(files, out, false);
    const written = (await filesUnder(out)).sort();
    expect(written).toEqual(['attachments/escape.png', 'attachments/x.pdf', 'index.md', 'outside/Note.md']);
    expect(new Uint8Array(await readFile(join(out, 'attachments', 'escape.png')))).toEqual(bytes);
    expect(await readdir(resolve(out, '..'))).toEqual(['export']);

    const zipPath = join(await tempDir('zip'), 'export.zip');
    await writeExport(files, zipPath, true);
    const entries = unzipSync(new Uint8Array(await readFile(zipPath)));
    expect(entries['attachments/escape.png']).toEqual(bytes);
    expect(new TextDecoder().decode(entries['outside/Note.md'])).toContain('See ![](../attachments/escape.png) [x.pdf](../attachments/x.pdf)');
  });
});

/** A vault: notes in folders, images and files elsewhere, Obsidian's settings folder. */
async function writeVault(dir: string): Promise<void> {
  await mkdir(join(dir, 'Notes'), { recursive: true });
  await mkdir(join(dir, 'assets'), { recursive: true });
  await mkdir(join(dir, 'images'), { recursive: true });
  await mkdir(join(dir, 'files'), { recursive: true });
  await mkdir(join(dir, '.obsidian'), { recursive: true });
  await writeFile(join(dir, 'assets', 'cat.png'), png(40, 30));
  await writeFile(join(dir, 'images', 'dog.png'), png(8, 6, 'dog'));
  await writeFile(join(dir, 'images', 'my photo.png'), png(5, 5, 'photo'));
  await writeFile(join(dir, 'files', 'report.pdf'), pdf('report'));
  await writeFile(join(dir, 'files', 'data.csv'), 'a,b\n1,2\n');
  await writeFile(join(dir, 'unused.bin'), new Uint8Array([1, 2, 3]));
  await writeFile(join(dir, '.obsidian', 'icon.png'), png(1, 1));
  await writeFile(
    join(dir, 'Notes', 'Trip.md'),
    [
      'Embeds: ![[cat.png]] and ![[cat.png|A cat]] and ![[cat.png|300]] and ![[report.pdf]] and ![[assets/cat.png|300x200]]',
      '',
      'Images: ![A dog](../images/dog.png "Rex") and ![](../images/my%20photo.png) and ![](<../images/my photo.png>)',
      '',
      'Links: [The report](../files/report.pdf) and [report.pdf](/files/report.pdf) and [data](data.csv)',
      '',
      'Missing: ![[missing.png]] ![gone](nothere.png) ![](nothere.png) [nope](../files/nope.pdf)',
      '',
      'Web: ![web](https://example.com/x.png) [site](https://example.com/a.pdf) and [[Other]]',
      '',
      '`![[cat.png]]` in code, ![[icon.png]] in settings',
    ].join('\n'),
  );
  await writeFile(join(dir, 'Other.md'), 'other');
}

function expectVaultImported(space: MemorySpace, summary: ImportSummary, hashes: { cat: string; dog: string; photo: string; report: string; csv: string }): void {
  const trip = noteByTitle(space, 'Trip');
  const facts = attachmentsOf(space, trip);
  const by = author.id;
  expect(facts).toEqual([
    { hash: hashes.cat, name: 'cat.png', mime: 'image/png', size: png(40, 30).byteLength, alt: '', width: 40, height: 30, by },
    expect.objectContaining({ hash: hashes.cat, alt: 'A cat' }),
    expect.objectContaining({ hash: hashes.cat, alt: '' }),
    { hash: hashes.report, name: 'report.pdf', mime: 'application/pdf', size: pdf('report').byteLength, alt: '', width: 0, height: 0, by },
    expect.objectContaining({ hash: hashes.cat, alt: '' }),
    expect.objectContaining({ hash: hashes.dog, name: 'dog.png', alt: 'A dog', width: 8, height: 6 }),
    expect.objectContaining({ hash: hashes.photo, name: 'my photo.png', alt: '' }),
    expect.objectContaining({ hash: hashes.photo, alt: '' }),
    expect.objectContaining({ hash: hashes.report, alt: 'The report' }),
    expect.objectContaining({ hash: hashes.report, alt: '' }),
    expect.objectContaining({ hash: hashes.csv, name: 'data.csv', mime: 'text/csv', alt: 'data' }),
  ]);
  const markdown = noteBodyToMarkdown(space.body(trip), trip);
  // What is not a file of the import stays as it was written.
  expect(markdown).toContain('Missing: ![[missing.png]] ![gone](nothere.png) ![](nothere.png) [nope](../files/nope.pdf)');
  expect(markdown).toContain('Web: ![web](https://example.com/x.png) [site](https://example.com/a.pdf) and Other');
  expect(markdown).toContain('`![[cat.png]]` in code, ![[icon.png]] in settings');
  const status = (path: string) => summary.reports.find((r) => r.path === path);
  expect(status('assets/cat.png')).toMatchObject({ status: 'imported', messages: [] });
  expect(status('unused.bin')).toMatchObject({ status: 'skipped', messages: ['not a Markdown file, and no note shows it: skipped'] });
  // Obsidian's settings: a folder listing leaves them out, a zip's entries are reported and never inflated.
  for (const report of summary.reports.filter((r) => r.path.startsWith('.obsidian'))) expect(report).toMatchObject({ status: 'skipped', messages: ['app settings or trash folder: skipped'] });
}

describe('import of attachments', () => {
  const hashes = {
    cat: attachmentHashOf(png(40, 30)),
    dog: attachmentHashOf(png(8, 6, 'dog')),
    photo: attachmentHashOf(png(5, 5, 'photo')),
    report: attachmentHashOf(pdf('report')),
    csv: attachmentHashOf(encoder.encode('a,b\n1,2\n')),
  };

  it('reads embeds, images and links to files from a folder (an Obsidian vault), storing each file once', async () => {
    const dir = await tempDir('vault');
    await writeVault(dir);
    // A data.csv next to the note: found by its bare name, the note's own folder first.
    await writeFile(join(dir, 'Notes', 'data.csv'), 'a,b\n1,2\n');
    const store = new AttachmentStore(join(await tempDir('store'), 'attachments'), 1024 * 1024);
    const { files, skippedFolders } = await readImportSource(dir, { attachmentLimit: store.limit });
    expect(skippedFolders).toEqual(['.obsidian/']);
    // Attachments are listed, not read, until a note shows them.
    expect(files.find((f) => f.path === 'unused.bin')).toMatchObject({ deferred: { size: 3 } });
    const space = new MemorySpace();
    const summary = await importWith(space, store, files);
    expect(summary).toMatchObject({ failed: 0 });
    expectVaultImported(space, summary, hashes);
    expect((await store.list()).sort()).toEqual(Object.values(hashes).sort());
    expect(summary.reports.find((r) => r.path === 'files/data.csv')).toMatchObject({ status: 'skipped' });
  });

  it('reads the same from a zip', async () => {
    const dir = await tempDir('vault');
    await writeVault(dir);
    const tree: Record<string, Uint8Array> = {};
    for (const path of await filesUnder(dir)) tree[path] = new Uint8Array(await readFile(join(dir, ...path.split('/'))));
    const zipPath = join(await tempDir('zip'), 'vault.zip');
    await writeFile(zipPath, zipSync(tree));
    const store = new AttachmentStore(join(await tempDir('store'), 'attachments'), 1024 * 1024);
    const { files } = await readImportSource(zipPath);
    expect(files.find((f) => f.path === '.obsidian/icon.png')!.bytes).toEqual(new Uint8Array(0));
    const space = new MemorySpace();
    const summary = await importWith(space, store, files);
    expectVaultImported(space, summary, { ...hashes, csv: attachmentHashOf(encoder.encode('a,b\n1,2\n')) });
    expect(summary.reports.find((r) => r.path === 'files/data.csv')).toMatchObject({ status: 'imported' });
  });

  it('keeps references as written when no store is given (attachments skipped, as before)', async () => {
    const space = new MemorySpace();
    const summary = await space.import([file('n.md', 'x ![[a.png]] ![](a.png)'), file('a.png', png(1, 1))], { author });
    expect(summary.reports[1]).toMatchObject({ status: 'skipped', messages: ['not a Markdown file (attachment): skipped'] });
    expect(space.markdown(noteByTitle(space, 'n'))).toBe('x ![[a.png]] ![](a.png)');
  });

  it('never lets a hostile name escape or be read: unsafe paths are refused and references to them stay text', async () => {
    const store = new AttachmentStore(join(await tempDir('store'), 'attachments'), 1024 * 1024);
    const zip = zipSync({ 'n.md': encoder.encode('![](../../x.png) ![[x.png]] ![](a%01b.png) ![[c\u0001d.png]]'), '../../x.png': png(1, 1), 'a\u0001b.png': png(2, 2), 'c\u0001d.png': png(3, 3) });
    const files = unzipForImport(zip);
    expect(files.filter((f) => f.refused).map((f) => f.refused)).toEqual(Array(3).fill('unsafe file name (absolute, or climbs out with ..): not extracted'));
    const space = new MemorySpace();
    const summary = await importWith(space, store, files);
    expect(summary).toMatchObject({ imported: 1, failed: 3 });
    expect(space.markdown(noteByTitle(space, 'n'))).toBe('![](../../x.png) ![[x.png]] ![](a%01b.png) ![[c\u0001d.png]]');
    expect(await store.list()).toEqual([]);

    // On disk, a control character in a file name makes it unsafe too.
    const dir = await tempDir('hostile');
    await writeFile(join(dir, 'n.md'), '![](a%01b.png)');
    await writeFile(join(dir, 'a\u0001b.png'), png(2, 2));
    const fromDisk = await importWith(new MemorySpace(), store, (await readImportSource(dir)).files);
    expect(fromDisk.reports.find((r) => r.path.startsWith('a'))).toMatchObject({ status: 'failed' });
    expect(await store.list()).toEqual([]);
  });

  it('refuses a file over the attachment limit, naming the limit, and keeps the reference', async () => {
    const store = new AttachmentStore(join(await tempDir('store'), 'attachments'), 1024);
    const big = new Uint8Array(4096).fill(7);
    const dir = await tempDir('big');
    await writeFile(join(dir, 'n.md'), '![[big.bin]] and ![[small.bin]]');
    await writeFile(join(dir, 'big.bin'), big);
    await writeFile(join(dir, 'small.bin'), new Uint8Array(10));
    const listed = await readImportSource(dir, { attachmentLimit: store.limit });
    expect(listed.files.find((f) => f.path === 'big.bin')!.refused).toBe('larger than the 1 KB limit for attachments (4 KB): not read');
    const space = new MemorySpace();
    const summary = await importWith(space, store, listed.files);
    expect(summary.reports.find((r) => r.path === 'big.bin')).toMatchObject({ status: 'failed', messages: ['larger than the 1 KB limit for attachments (4 KB): not read'] });
    expect(summary.reports.find((r) => r.path === 'n.md')!.messages).toEqual(['big.bin was not imported (see its report): the reference stays as written']);
    const note = noteByTitle(space, 'n');
    expect(attachmentsOf(space, note).map((f) => f.name)).toEqual(['small.bin']);
    expect(space.markdown(note)).toMatch(/^!\[\[big\.bin\]\] and /);

    // The same from a zip (refused by its declared size) and from bytes already read (the importer's own check).
    const zipped = unzipForImport(zipSync({ 'n.md': encoder.encode('![[big.bin]]'), 'big.bin': big }), { maxFileBytes: 1 << 20, maxAttachmentBytes: 1024, maxFiles: 10, maxTotalBytes: 1 << 20 });
    expect(zipped[1]!.refused).toMatch(/^larger than the 1 KB limit for attachments/);
    const direct = await importWith(new MemorySpace(), store, [file('n.md', '![[big.bin]]'), file('big.bin', big)]);
    expect(direct.reports[1]).toMatchObject({ status: 'failed', messages: ['larger than the 1 KB limit for attachments (4 KB): not imported'] });
    // The store's own limit holds even when the importer is told a larger one.
    const overStore = await new MemorySpace().import([file('n.md', '![[big.bin]]'), file('big.bin', big)], { author, storeAttachment: (bytes) => store.put(bytes) });
    expect(overStore.reports[1]!.messages[0]).toMatch(/could not be stored: .*over the limit of 1 KB/);
  });
});

describe('round trip', () => {
  it.each([false, true])('an export imported into a new space gives the same files, alt text and Markdown (wikilinks: %s)', async (wikilinks) => {
    const storeA = new AttachmentStore(join(await tempDir('a'), 'attachments'), 1024 * 1024);
    const a = new MemorySpace('A');
    // Brackets and pipes cannot be in an embed's alt text.
    const cat = await stored(storeA, png(4, 3), { name: 'cat.png', mime: 'image/png', alt: wikilinks ? 'A cat *here*' : 'A [cat] *here*', width: 4, height: 3 });
    const plain = await stored(storeA, png(2, 2, 'plain'), { name: 'photo.png', mime: 'image/png' });
    const other = await stored(storeA, png(2, 2, 'other'), { name: 'photo.png', mime: 'image/png', alt: 'another photo' });
    const report = await stored(storeA, pdf('report'), { name: 'report (final).pdf', mime: 'application/pdf', alt: 'The report' });
    const notes = await stored(storeA, encoder.encode('some text'), { name: 'notes.txt', mime: 'text/plain' });
    noteWith(a, 'Root', [cat, report, plain]);
    noteWith(a, 'Deep', [cat, other, notes], 'Folder/Sub');
    const read = (store: AttachmentStore) => async (hash: string) => ((await store.size(hash)) === null ? null : store.read(hash, 0, 1 << 20));
    const first = await a.export({ wikilinks, readAttachment: read(storeA) });
    const out = join(await tempDir('out'), 'export');
    await writeExport(first, out, false);

    const storeB = new AttachmentStore(join(await tempDir('b'), 'attachments'), 1024 * 1024);
    const b = new MemorySpace('B');
    const summary = await importWith(b, storeB, (await readImportSource(out)).files);
    expect(summary).toMatchObject({ failed: 0, skipped: 1 }); // index.md
    expect((await storeB.list()).sort()).toEqual((await storeA.list()).sort());
    const alts = (space: MemorySpace, title: string) => attachmentsOf(space, noteByTitle(space, title)).map((f) => [f.hash, f.alt]);
    for (const title of ['Root', 'Deep']) expect(alts(b, title)).toEqual(alts(a, title));

    const second = await b.export({ wikilinks, readAttachment: read(storeB) });
    const withoutIds = (files: ExportedFile[]) => files.map((f) => ({ path: f.path, text: f.text.replace(/^(id|title): .*$/gm, ''), bytes: f.bytes }));
    expect(withoutIds(second).filter((f) => f.path !== 'index.md')).toEqual(withoutIds(first).filter((f) => f.path !== 'index.md'));
  });
});

describe('hosts and the command line', () => {
  let cli: string;

  beforeAll(async () => {
    cli = join(work, 'commonplace.mjs');
    await bundleCli(cli);
  });

  function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
  }

  it('space.importMarkdown stores files through the given store, and space.exportMarkdown zips them', async () => {
    const dataDir = await tempDir('host');
    const store = new DocStore(dataDir);
    const spaceId = 'space-attach-01';
    try {
      const space = await store.space(spaceId);
      const attachments = new AttachmentStore(join(space.dir, 'attachments'), 1024 * 1024);
      const input = { spaceId, spaceName: 'Pictures', files: [file('n.md', 'A ![[cat.png|Cat]]'), file('cat.png', png(3, 3))] as Array<{ path: string; bytes: Uint8Array }> };
      const { result } = await importMarkdownIntoStore(store, input, async () => attachments);
      expect(result).toMatchObject({ imported: 2, failed: 0 });
      expect(await attachments.list()).toEqual([attachmentHashOf(png(3, 3))]);
      const { zip } = await exportMarkdownZip(store, { scope: 'space', spaceId });
      const entries = unzipSync(zip);
      expect(entries['attachments/cat.png']).toEqual(png(3, 3));
      expect(new TextDecoder().decode(entries['n.md'])).toContain('A ![Cat](attachments/cat.png)');
    } finally {
      await store.close();
    }
  });

  it('the CLI imports a folder with its images, and exports them with one space, one note and every space', async () => {
    const vault = await tempDir('cli-vault');
    await mkdir(join(vault, 'Daily'));
    await writeFile(join(vault, 'Daily', 'Monday.md'), 'Lunch: ![[lunch.png|Soup]]');
    await writeFile(join(vault, 'lunch.png'), png(6, 4));
    const dataDir = await tempDir('cli-data');
    const imported = await run('import', '--data-dir', dataDir, '--space', 'Food', '--from', vault);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('imported 2, skipped 0, failed 0');

    const one = join(await tempDir('cli-out'), 'space');
    expect((await run('export', '--data-dir', dataDir, '--space', 'Food', '--out', one)).code).toBe(0);
    expect(new Uint8Array(await readFile(join(one, 'attachments', 'lunch.png')))).toEqual(png(6, 4));
    const monday = await readFile(join(one, 'Daily', 'Monday.md'), 'utf8');
    expect(monday).toContain('Lunch: ![Soup](../attachments/lunch.png)');

    const id = /^id: (.+)$/m.exec(monday)![1]!;
    const note = join(await tempDir('cli-out'), 'note');
    expect((await run('export', '--data-dir', dataDir, '--space', 'Food', '--note', id, '--out', note, '--wikilinks')).code).toBe(0);
    expect((await filesUnder(note)).sort()).toEqual(['Monday.md', 'attachments/lunch.png']);
    expect(await readFile(join(note, 'Monday.md'), 'utf8')).toContain('Lunch: ![[lunch.png|Soup]]');

    const all = join(await tempDir('cli-out'), 'all.zip');
    expect((await run('export', '--data-dir', dataDir, '--all', '--out', all, '--zip')).code).toBe(0);
    expect(unzipSync(new Uint8Array(await readFile(all)))['Food/attachments/lunch.png']).toEqual(png(6, 4));

    // An attachment this device lacks is linked all the same, and named on stderr.
    const spaceId = (await run('spaces', '--data-dir', dataDir)).stdout.split('\t')[0]!;
    await rm(join(dataDir, 'spaces', spaceId, 'attachments', attachmentHashOf(png(6, 4))));
    const lacking = join(await tempDir('cli-out'), 'lacking');
    const result = await run('export', '--data-dir', dataDir, '--space', spaceId, '--out', lacking);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning: attachments/lunch.png: this device does not have the file');
    expect(await readFile(join(lacking, 'Daily', 'Monday.md'), 'utf8')).toContain('![Soup](../attachments/lunch.png)');
    expect(await filesUnder(lacking)).not.toContain('attachments/lunch.png');
  });

  it('the CLI sends the files to a running host in chunks', async () => {
    const vault = await tempDir('cli-live');
    await writeFile(join(vault, 'Note.md'), 'See [the scan](scan.pdf)');
    const scan = new Uint8Array(300 * 1024).map((_, i) => i % 251);
    await writeFile(join(vault, 'scan.pdf'), scan);
    const dataDir = await tempDir('cli-host');
    const lock = acquireDataDir(dataDir, { host: 'web host' });
    const service = new HostService({ dataDir, host: 'web', version: 'test' });
    const host = await startWebHost({ service, rendererDir: work, port: 0, fallbackToFreePort: true });
    lock.update({ url: host.url });
    try {
      const imported = await run('import', '--data-dir', dataDir, '--space', 'Live', '--from', vault);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain('through the running host');
      const client = { send: () => {} };
      const { spaces } = (await service.handle(client, 'spaces.list', {})) as { spaces: Array<{ id: string }> };
      const { sizes } = (await service.handle(client, 'attachment.stat', { spaceId: spaces[0]!.id, hashes: [attachmentHashOf(scan)] })) as { sizes: Array<number | null> };
      expect(sizes).toEqual([scan.byteLength]);
      const catalog = new Y.Doc();
      Y.applyUpdate(catalog, ((await service.handle(client, 'space.sync', { spaceId: spaces[0]!.id, stateVector: new Uint8Array([0]) })) as { update: Uint8Array }).update);
      const noteId = listNotes(catalog)[0]!.id;
      const body = newNoteDoc(noteId);
      Y.applyUpdate(body, ((await service.handle(client, 'note.sync', { spaceId: spaces[0]!.id, noteId, stateVector: new Uint8Array([0]) })) as { update: Uint8Array }).update);
      // Exported without a resolver, an attachment is a link to its bare name.
      expect(noteBodyToMarkdown(body, noteId)).toBe('See [the scan](scan.pdf)');
    } finally {
      await host.close();
      await service.close();
      lock.release();
    }
  });

  it('importIntoStore without a store skips attachments as before', async () => {
    const dataDir = await tempDir('plain');
    const store = new DocStore(dataDir);
    try {
      const space = await store.space('space-plain-01');
      const { summary } = await importIntoStore(space, [file('n.md', '![[a.png]]'), file('a.png', png(1, 1))], { author });
      expect(summary.reports[1]).toMatchObject({ status: 'skipped' });
      const files = await exportMarkdownFiles(readOnlySource(dataDir), { kind: 'space', spaceId: 'space-plain-01' });
      expect(files.files.map((f) => f.path).sort()).toEqual(['index.md', 'n.md']);
    } finally {
      await store.close();
    }
  });
});
