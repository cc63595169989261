/**
 * Markdown benchmarks: exporting 2,000 notes to a folder (goal: under 2 s) and importing the til corpus
 * (goal: under 10 s); with attachments, exporting the til corpus plus 200 images (goal: 3 s) and
 * importing a vault of 2,000 notes and 500 images into a real attachment store (goal: 15 s).
 * `runMarkdownBench()` returns the samples; bench/markdown.bench.mjs runs it standalone.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { AttachmentStore } from '../main/services/attachment-store';
import { noisePng } from '../test/support/png';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { readImportSource, writeExport } from '../main/services/markdown-files';
import { catalogNoteIds, initSpace } from '../shared/catalog';
import { importMarkdownFiles } from '../shared/markdown/markdown-import';
import { exportSpace } from '../shared/markdown/space-export';
import { newNoteDoc } from '../shared/note-doc';

export interface BenchResult {
  name: string;
  unit: string;
  samples: number[];
}

const author = { id: 'bench', name: 'Bench' };

/** Runs the Markdown benchmarks; `corpus` defaults to ../shared/corpus/til from the working directory. */
export async function runMarkdownBench(options: { corpus?: string; runs?: number } = {}): Promise<BenchResult[]> {
  const corpus = options.corpus ?? join(process.cwd(), '..', 'shared', 'corpus', 'til');
  if (!existsSync(corpus)) throw new Error(`the til corpus is not at ${corpus}`);
  const runs = options.runs ?? 3;
  const scratch = await mkdtemp(join(tmpdir(), 'cp-md-bench-'));
  try {
    const importTimes: number[] = [];
    let catalog: Y.Doc | null = null;
    let bodies = new Map<string, Uint8Array>();
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const { files } = await readImportSource(corpus);
      const doc = new Y.Doc();
      const written = new Map<string, Uint8Array>();
      initSpace(doc, 'TIL');
      const summary = await importMarkdownFiles(doc, files, { author, folderTags: true, onBody: (id, update) => void written.set(id, update) });
      importTimes.push(performance.now() - started);
      if (summary.failed > 0) throw new Error(`${summary.failed} files failed to import`);
      catalog = doc;
      bodies = written;
    }

    // 2,000 notes: the corpus, topped up with copies of its first notes.
    const space = catalog!;
    const { files } = await readImportSource(corpus);
    const markdown = files.filter((f) => f.path.endsWith('.md'));
    const missing = 2000 - catalogNoteIds(space).length;
    await importMarkdownFiles(space, markdown.slice(0, Math.max(0, missing)).map((f) => ({ ...f, path: `copies/${f.path}` })), { author, onBody: (id, update) => void bodies.set(id, update) });
    const noteCount = catalogNoteIds(space).length;
    const readBody = bodyReader(bodies);
    const exportTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      const out = join(scratch, `export-${run}`);
      const started = performance.now();
      await writeExport(await exportSpace(space, readBody), out, false);
      exportTimes.push(performance.now() - started);
    }
    const withImages = await attachmentBench(corpus, scratch, runs);
    return [
      { name: `export ${noteCount} notes to a folder`, unit: 'ms', samples: exportTimes.map(Math.round) },
      { name: `import the til corpus (${markdown.length} files)`, unit: 'ms', samples: importTimes.map(Math.round) },
      ...withImages,
    ];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes a vault: the corpus's notes (copied until there are `notes`), `images` of them embedding one image each. */
async function writeVault(corpus: string, dir: string, notes: number, images: number): Promise<void> {
  const { files } = await readImportSource(corpus);
  const markdown = files.filter((f) => f.path.endsWith('.md') && f.bytes);
  await mkdir(join(dir, 'images'), { recursive: true });
  for (let i = 0; i < notes; i++) {
    const source = markdown[i % markdown.length]!;
    const path = i < markdown.length ? source.path : `copies-${Math.floor(i / markdown.length)}/${source.path}`;
    await mkdir(join(dir, path, '..'), { recursive: true });
    const embed = i < images ? `\n\n![[photo-${i}.png]]\n` : '';
    await writeFile(join(dir, path), Buffer.concat([Buffer.from(source.bytes!), Buffer.from(embed)]));
    // About 120 KB each: a screenshot or a phone photo saved for the web.
    if (i < images) await writeFile(join(dir, 'images', `photo-${i}.png`), noisePng(180, i + 1));
  }
}

async function attachmentBench(corpus: string, scratch: string, runs: number): Promise<BenchResult[]> {
  const vault = join(scratch, 'vault');
  await writeVault(corpus, vault, 2000, 500);
  const importTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    const store = new AttachmentStore(join(scratch, `attachments-${run}`), 100 * 1024 * 1024);
    const started = performance.now();
    const { files } = await readImportSource(vault);
    const doc = new Y.Doc();
    initSpace(doc, 'Vault');
    const summary = await importMarkdownFiles(doc, files, { author, onBody: () => {}, storeAttachment: (bytes) => store.put(bytes) });
    importTimes.push(performance.now() - started);
    const stored = (await store.list()).length;
    if (summary.failed > 0 || stored !== 500) throw new Error(`vault import: ${summary.failed} failed, ${stored} of 500 images stored`);
  }

  // The til corpus plus 200 notes that each show an image, exported with the images' files.
  const til = join(scratch, 'til-images');
  const { files: corpusFiles } = await readImportSource(corpus);
  const corpusNotes = corpusFiles.filter((f) => f.path.endsWith('.md')).length;
  await writeVault(corpus, til, corpusNotes, 200);
  const images = new Map<string, Uint8Array>();
  const space = new Y.Doc();
  initSpace(space, 'TIL');
  const bodies = new Map<string, Uint8Array>();
  const { files } = await readImportSource(til);
  await importMarkdownFiles(space, files, {
    author,
    onBody: (id, update) => void bodies.set(id, update),
    storeAttachment: async (bytes) => {
      const hash = createHash('sha256').update(bytes).digest('hex');
      images.set(hash, bytes);
      return hash;
    },
  });
  if (images.size !== 200) throw new Error(`${images.size} of 200 images imported for the export bench`);
  const readBody = bodyReader(bodies);
  const exportTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    const out = join(scratch, `export-images-${run}`);
    const started = performance.now();
    await writeExport(await exportSpace(space, readBody, { readAttachment: async (hash) => images.get(hash) ?? null }), out, false);
    exportTimes.push(performance.now() - started);
  }
  return [
    { name: `export the til corpus plus 200 images (${catalogNoteIds(space).length} notes) to a folder`, unit: 'ms', samples: exportTimes.map(Math.round) },
    { name: 'import a vault of 2,000 notes and 500 images', unit: 'ms', samples: importTimes.map(Math.round) },
  ];
}

/** Reads bodies kept as updates, one at a time, as an export asks for them. */
function bodyReader(bodies: Map<string, Uint8Array>): (id: string) => Promise<Y.Doc> {
  return async (id) => {
    const doc = newNoteDoc(id);
    Y.applyUpdate(doc, bodies.get(id)!);
    return doc;
  };
}
