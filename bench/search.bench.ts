/**
 * Search at scale: a space of 2,000 real notes (the til corpus, topped up with copies), timed for the
 * index build and for queries (prefix, typo, multi-word). Exported for `npm run bench`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { catalogNotes, getEntry, summarizeEntry } from '../shared/catalog';
import { createNoteWithBody } from '../shared/markdown/note-markdown';
import { bodyText } from '../shared/note-content';
import { newNoteDoc, noteBodyOf } from '../shared/note-doc';
import { NoteSearchIndex, snippetOf } from '../shared/search-index';

export interface BenchFigure {
  name: string;
  unit: string;
  samples: number[];
}

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path));
    else if (name.endsWith('.md') && name !== 'README.md') out.push(path);
  }
  return out.sort();
}

/** A space with `count` notes made from the corpus (a catalog and each body), through the path imports use. */
export function buildCorpusSpace(corpusDir: string, count = 2000): { catalog: Y.Doc; bodies: Map<string, Y.Doc> } {
  const files = markdownFiles(corpusDir);
  const catalog = new Y.Doc();
  const bodies = new Map<string, Y.Doc>();
  const author = { id: 'bench-author', name: 'Bench' };
  for (let i = 0; i < count; i++) {
    const file = files[i % files.length]!;
    const text = readFileSync(file, 'utf8');
    const heading = /^#\s+(.+)$/m.exec(text)?.[1] ?? file;
    const topic = file.split(/[\\/]/).at(-2)!;
    const body = newNoteDoc(`bench-${String(i).padStart(6, '0')}`);
    createNoteWithBody(catalog, body, { title: i < files.length ? heading : `${heading} (${i})`, author, tags: [topic] }, text.replace(/^#\s+.+\n/, ''));
    bodies.set(body.guid, body);
  }
  return { catalog, bodies };
}

export function indexSpace(space: { catalog: Y.Doc; bodies: Map<string, Y.Doc> }): NoteSearchIndex {
  const index = new NoteSearchIndex();
  catalogNotes(space.catalog).forEach((_n, id) => {
    const summary = summarizeEntry(id, getEntry(space.catalog, id)!);
    index.set({ id, title: summary.title, body: bodyText(noteBodyOf(space.bodies.get(id)!, id)), tags: summary.tags });
  });
  return index;
}

const QUERIES = ['git', 'rebase', 'postgres index', 'javscript', 'reac hook', 'docker compose', 'vim macro', 'sql join', 'rails', 'bash loop', 'tmux', 'ruby'];

export async function runSearchBench({ corpusDir = join(process.cwd(), '..', 'shared', 'corpus', 'til'), rounds = 5, count = 10_000 } = {}): Promise<BenchFigure[]> {
  const doc = buildCorpusSpace(corpusDir, count);
  const build: number[] = [];
  let index = indexSpace(doc);
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    index = indexSpace(doc);
    build.push(performance.now() - started);
  }
  // The host reads hits' text from the notes, through a cache that a query typed letter by letter keeps hitting: held here.
  const texts = new Map<string, string>();
  doc.bodies.forEach((body, id) => texts.set(id, bodyText(noteBodyOf(body, id))));
  const queries: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const q of QUERIES) {
      // Typing a query searches at every keystroke: time each prefix as the user would see it.
      for (let len = 2; len <= q.length; len++) {
        const started = performance.now();
        for (const { id, terms } of index.rank(q.slice(0, len))) snippetOf(texts.get(id) ?? '', terms);
        queries.push(performance.now() - started);
      }
    }
  }
  return [
    { name: `search: index build, ${count.toLocaleString('en')} notes`, unit: 'ms', samples: build },
    { name: `search: query (each keystroke), ${count.toLocaleString('en')} notes`, unit: 'ms', samples: queries },
  ];
}
