/**
 * Markdown benchmarks: exporting 2,000 notes to a folder (goal: under 2 s) and importing the til corpus
 * (goal: under 10 s). `runMarkdownBench()` returns the samples; bench/markdown.bench.mjs runs it standalone.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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
    const readBody = async (id: string) => {
      const doc = newNoteDoc(id);
      Y.applyUpdate(doc, bodies.get(id)!);
      return doc;
    };
    const exportTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      const out = join(scratch, `export-${run}`);
      const started = performance.now();
      await writeExport(await exportSpace(space, readBody), out, false);
      exportTimes.push(performance.now() - started);
    }
    return [
      { name: `export ${noteCount} notes to a folder`, unit: 'ms', samples: exportTimes.map(Math.round) },
      { name: `import the til corpus (${markdown.length} files)`, unit: 'ms', samples: importTimes.map(Math.round) },
    ];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
