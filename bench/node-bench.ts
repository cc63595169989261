/**
 * The Node half of `npm run bench` (bundled by bench/run.mjs with one Yjs copy): replaying real
 * editing traces through a bound Lexical editor and through raw Y.Text, and generating a space of
 * real notes into a data dir for the browser benchmarks.
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { $createParagraphNode, $createRangeSelection, $getRoot, $isElementNode, $isTextNode, $setSelection, type ElementNode, type PointType } from 'lexical';
import * as Y from 'yjs';
import { DocStore } from '../main/services/doc-store';
import { BodyBatcher } from '../main/services/markdown-host';
import { writeProfile } from '../main/services/profile-store';
import { SpaceSecrets } from '../main/services/space-secrets';
import { addTag, createEntry, getEntry, initSpace } from '../shared/catalog';
import { newId } from '../shared/ids';
import { bindNoteBody, readNoteState } from '../shared/note-body';
import { initNoteBody } from '../shared/markdown/note-markdown';
import { CATALOG_DOC_ID, newNoteDoc } from '../shared/note-doc';

export type Patch = [number, number, string];
export interface Trace {
  name: string;
  endContent: string;
  patches: Patch[];
}

/** Gunzips and flattens a trace once, caching the result in the OS temp dir (not timed). */
export function loadTrace(file: string): Trace {
  const name = basename(file).replace(/\.json\.gz$/, '');
  const cache = join(tmpdir(), `commonplace-trace-${name}-${statSync(file).size}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as Trace;
  const raw = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { endContent: string; txns: Array<{ patches: Patch[] }> };
  const trace: Trace = { name, endContent: raw.endContent, patches: raw.txns.flatMap((t) => t.patches) };
  writeFileSync(cache, JSON.stringify(trace));
  return trace;
}

/** Applies the first `count` patches to a raw Y.Text; returns the time and the text. */
export function replayRaw(trace: Trace, count: number): { ms: number; text: string } {
  const doc = new Y.Doc();
  const text = doc.getText('t');
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const [pos, del, ins] = trace.patches[i]!;
    if (del > 0) text.delete(pos, del);
    if (ins) text.insert(pos, ins);
  }
  return { ms: performance.now() - started, text: text.toString() };
}

/**
 * Applies the first `count` patches the way typing does: one discrete editor.update per patch on a
 * Lexical editor bound to a note body with bindNoteBody, so the binding writes the Yjs updates.
 * A newline in the trace is a paragraph break (insertParagraph), as Enter is.
 */
export function replayLexical(trace: Trace, count: number): { ms: number; text: string; updates: number } {
  const noteId = 'bench-note-0001';
  const doc = newNoteDoc(noteId);
  const { editor, dispose } = bindNoteBody(doc, noteId);
  editor.update(() => $getRoot().append($createParagraphNode()), { discrete: true });
  let updates = 0;
  doc.on('update', () => updates++);
  // Paragraph lengths, and a hint (a paragraph index and its start) that follows the edits.
  const lengths: number[] = [0];
  let hintIndex = 0;
  let hintStart = 0;
  const locate = (pos: number): { index: number; offset: number } => {
    while (pos < hintStart) {
      hintIndex--;
      hintStart -= lengths[hintIndex]! + 1;
    }
    while (pos > hintStart + lengths[hintIndex]!) {
      hintStart += lengths[hintIndex]! + 1;
      hintIndex++;
    }
    return { index: hintIndex, offset: pos - hintStart };
  };
  const setPoint = (point: PointType, paragraph: ElementNode, offset: number) => {
    const first = paragraph.getFirstChild();
    if ($isTextNode(first)) point.set(first.getKey(), offset, 'text');
    else point.set(paragraph.getKey(), 0, 'element');
  };
  const paragraphAt = (index: number): ElementNode => {
    const node = $getRoot().getChildAtIndex(index);
    if (!$isElementNode(node)) throw new Error(`no paragraph ${index}`);
    return node;
  };

  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const [pos, del, ins] = trace.patches[i]!;
    editor.update(
      () => {
        const start = locate(pos);
        const selection = $createRangeSelection();
        const startParagraph = paragraphAt(start.index);
        setPoint(selection.anchor, startParagraph, start.offset);
        if (del > 0) {
          const end = locate(pos + del);
          setPoint(selection.focus, end.index === start.index ? startParagraph : paragraphAt(end.index), end.offset);
          $setSelection(selection);
          selection.removeText();
          // The deleted range joined paragraphs start..end into one; measure it from the editor.
          lengths.splice(start.index, end.index - start.index + 1, paragraphAt(start.index).getTextContentSize());
          hintIndex = start.index;
          hintStart = pos - start.offset;
        }
        if (ins) {
          const at = locate(pos);
          const lines = ins.split('\n');
          const sel = $createRangeSelection();
          setPoint(sel.anchor, paragraphAt(at.index), at.offset);
          sel.focus.set(sel.anchor.key, sel.anchor.offset, sel.anchor.type);
          $setSelection(sel);
          const tail = lengths[at.index]! - at.offset;
          lines.forEach((line, n) => {
            if (n > 0) sel.insertParagraph();
            if (line) sel.insertText(line);
          });
          if (lines.length === 1) {
            lengths[at.index] = lengths[at.index]! + ins.length;
          } else {
            const news = lines.map((line, n) => (n === 0 ? at.offset + line.length : n === lines.length - 1 ? line.length + tail : line.length));
            lengths.splice(at.index, 1, ...news);
          }
          hintIndex = at.index;
          hintStart = pos - at.offset;
        }
      },
      { discrete: true },
    );
  }
  const ms = performance.now() - started;
  const text = editor.getEditorState().read(() =>
    $getRoot()
      .getChildren()
      .map((p) => p.getTextContent())
      .join('\n'),
  );
  dispose();
  return { ms, text, updates };
}

function tilFiles(dir: string): string[] {
  const out: string[] = [];
  for (const topic of readdirSync(dir, { withFileTypes: true })) {
    if (!topic.isDirectory()) continue;
    for (const file of readdirSync(join(dir, topic.name))) if (file.endsWith('.md')) out.push(join(dir, topic.name, file));
  }
  return out.sort();
}

export interface GeneratedSpace {
  spaceId: string;
  notes: Array<{ id: string; title: string; firstWords: string }>;
  big: Record<'words10k' | 'words100k', { id: string; title: string }>;
  ms: number;
}

/**
 * Writes a space of `count` real notes (TIL files, topics as tags; past the corpus, copies with
 * distinct titles) plus two long notes into a data dir, body by body, as an import would.
 */
export async function generateSpace(dataDir: string, tilDir: string, count: number): Promise<GeneratedSpace> {
  const started = performance.now();
  const files = tilFiles(tilDir);
  const store = new DocStore(dataDir);
  const spaceId = newId();
  const space = await store.space(spaceId);
  const bodies = new BodyBatcher((updates) => space.appendMany(updates));
  const catalog = new Y.Doc();
  const author = { id: 'bench-author', name: 'Bench' };
  initSpace(catalog, 'Bench space', 0);
  const notes: GeneratedSpace['notes'] = [];
  const allWords: string[] = [];
  const addNote = async (title: string, markdown: string, now: number, tags: string[]) => {
    const id = newId();
    const body = newNoteDoc(id);
    initNoteBody(body, id, markdown);
    createEntry(catalog, { id, title, author, now, tags });
    await bodies.add(id, Y.encodeStateAsUpdate(body));
    return { id, body };
  };
  for (let i = 0; i < count; i++) {
    const file = files[i % files.length]!;
    const markdown = readFileSync(file, 'utf8');
    const heading = /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim() ?? basename(file, '.md');
    const title = i < files.length ? heading : `${heading} (${Math.floor(i / files.length) + 1})`;
    const bodyText = markdown.replace(/^#\s+.+$/m, '').trim();
    const { id, body } = await addNote(title, bodyText, i * 1000, [relative(tilDir, file).split(/[\\/]/)[0]!]);
    // What the editor renders first (the first block's text), to recognise the note on screen.
    const firstWords = readNoteState(body, id)
      .read(() => $getRoot().getFirstChild()?.getTextContent() ?? '')
      .split('\n')[0]!
      .slice(0, 24);
    notes.push({ id, title, firstWords });
    body.destroy();
    if (allWords.length < 100_000) allWords.push(...bodyText.split(/\s+/).filter((w) => /^[A-Za-z,.;:'!?]+$/.test(w)));
  }
  const longNote = async (words: number, title: string) => {
    const paragraphs: string[] = [];
    for (let w = 0; w < words; w += 80) {
      const slice: string[] = [];
      for (let k = w; k < Math.min(words, w + 80); k++) slice.push(allWords[k % allWords.length]!);
      paragraphs.push(slice.join(' '));
    }
    // Older than every other note: the note a space opens on (the newest) is an ordinary one.
    const { id } = await addNote(title, paragraphs.join('\n\n'), -words, []);
    addTag(getEntry(catalog, id)!, 'bench');
    return { id, title };
  };
  const big = { words10k: await longNote(10_000, 'Bench: 10,000 words'), words100k: await longNote(100_000, 'Bench: 100,000 words') };
  await bodies.flush();
  await space.append(CATALOG_DOC_ID, Y.encodeStateAsUpdate(catalog));
  await space.compact();
  await store.close();
  // A member who has already chosen a name: the app opens straight to the notebook.
  await writeProfile(dataDir, { id: 'bench-author-0001', name: author.name, color: '#2b8a3e' });
  return { spaceId, notes, big, ms: performance.now() - started };
}

/** Gives a generated space its key, as "Share space" does, so an always-on host syncs it. */
export async function shareSpace(dataDir: string, spaceId: string): Promise<void> {
  await new SpaceSecrets(dataDir).sharing(spaceId, true);
}
