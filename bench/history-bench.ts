/**
 * History in `npm run bench` (bundled by bench/run.mjs): what storing versions costs on real editing
 * traces, through the host's own store and history recorder; and a space with long histories for the
 * browser measurements (opening History, showing a version).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { $getRoot, $createParagraphNode, $createTextNode } from 'lexical';
import * as Y from 'yjs';
import { DocStore } from '../main/services/doc-store';
import { HISTORY_FILE } from '../main/services/history-log';
import { writeProfile } from '../main/services/profile-store';
import { SpaceHistory, type ChangeOrigin } from '../main/services/space-history';
import { createEntry, initSpace, recordMember } from '../shared/catalog';
import { nameClient, transactAs } from '../shared/doc-clients';
import { newId } from '../shared/ids';
import { bindNoteBody } from '../shared/note-body';
import { initNoteBody } from '../shared/markdown/note-markdown';
import { CATALOG_DOC_ID, newNoteDoc } from '../shared/note-doc';

type Patch = [number, number, string];
interface TimedTrace {
  endContent: string;
  txns: Array<{ time: string; patches: Patch[] }>;
}

const MEMBER = 'bench-author-0001';
const LOCAL: ChangeOrigin = { source: 'local', member: MEMBER };

function readTrace(file: string): TimedTrace {
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as TimedTrace;
}

/**
 * Replays a trace into one note as typing sessions, through a real store and history: each session is
 * appended as the member's edits and becomes a version. `sessions`: a fixed number of patches per
 * session (a trace without real times), or the recorder's own rules on the trace's times (a version
 * after 30 s without edits, or 5 minutes of editing).
 */
export async function historyStorage(
  traceFile: string,
  dataDir: string,
  sessions: { patchesPerSession: number } | 'by-time',
): Promise<{ versions: number; historyBytes: number; stateBytes: number; textMatches: boolean; ms: number }> {
  const started = performance.now();
  const trace = readTrace(traceFile);
  const store = new DocStore(dataDir);
  const space = await store.space(newId());
  let now = 0;
  const history = new SpaceHistory(space, () => MEMBER, (m) => console.error(m), { idleMs: 1e9, maxMs: 1e12, switchGapMs: 1e12, now: () => now });
  await history.ready;
  const noteId = newId();
  const doc = newNoteDoc(noteId);
  const root = doc.get('root', Y.XmlText) as Y.XmlText;
  const pending: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => pending.push(u));
  let versions = 0;
  const cut = async () => {
    if (pending.length === 0) return;
    await space.appendMany(pending.splice(0).map((update) => ({ docId: noteId, update })), LOCAL);
    await history.flushWindows([noteId]);
    versions++;
  };
  let sessionStart = Number.NaN;
  let last = Number.NaN;
  for (const [i, txn] of trace.txns.entries()) {
    const at = Date.parse(txn.time);
    if (sessions === 'by-time') {
      if (i > 0 && (at - last > 30_000 || at - sessionStart > 5 * 60_000)) {
        await cut();
        sessionStart = at;
      }
      if (i === 0) sessionStart = at;
      now = at;
      last = at;
    } else if (i > 0 && i % sessions.patchesPerSession === 0) {
      now += 60_000;
      await cut();
    }
    // As the editor writes: one transaction per edit, its author named in the note.
    transactAs(doc, MEMBER, null, () => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) root.delete(pos, del);
        if (ins) root.insert(pos, ins);
      }
    });
  }
  await cut();
  const textMatches = root.toString() === trace.endContent;
  const stateBytes = Y.encodeStateAsUpdate(doc).byteLength;
  versions = (await history.versionsOf(noteId)).length;
  await history.close();
  await store.close();
  const historyBytes = statSync(join(space.dir, HISTORY_FILE)).size;
  return { versions, historyBytes, stateBytes, textMatches, ms: performance.now() - started };
}

export interface HistorySpace {
  spaceId: string;
  /** A note with `versionCount` versions. */
  many: { id: string; title: string; versions: number };
  /** A 10,000-word note with a few versions, each changing a paragraph. */
  long: { id: string; title: string; versions: number };
}

/** Writes a space whose notes have long histories (through the host's own store and history). */
export async function generateHistorySpace(dataDir: string, words: string[], versionCount: number): Promise<HistorySpace> {
  const store = new DocStore(dataDir);
  const spaceId = newId();
  const space = await store.space(spaceId);
  let now = Date.UTC(2026, 0, 5, 9);
  const history = new SpaceHistory(space, () => MEMBER, (m) => console.error(m), { idleMs: 1e9, maxMs: 1e12, switchGapMs: 1e12, now: () => now });
  await history.ready;
  const catalog = new Y.Doc();
  const author = { id: MEMBER, name: 'Bench' };
  initSpace(catalog, 'History bench', now);
  recordMember(catalog, author);
  nameClient(catalog, MEMBER);
  const write = async (noteId: string, doc: Y.Doc, edit: () => void) => {
    const before = Y.encodeStateVector(doc);
    edit();
    await space.append(noteId, Y.encodeStateAsUpdate(doc, before), LOCAL);
    await history.flushWindows([noteId]);
    now += 60_000;
  };
  // Many small versions: a sentence added each time, now and then one removed.
  const many = { id: newId(), title: 'A note edited a thousand times', versions: versionCount };
  createEntry(catalog, { id: many.id, title: many.title, author, now });
  const manyDoc = newNoteDoc(many.id);
  await write(many.id, manyDoc, () => initNoteBody(manyDoc, many.id, 'A practice note that grows.', MEMBER));
  const { editor, dispose } = bindNoteBody(manyDoc, many.id, { author: MEMBER });
  for (let v = 1; v < versionCount; v++) {
    await write(many.id, manyDoc, () =>
      editor.update(
        () => {
          const root = $getRoot();
          const sentence = words.slice((v * 7) % (words.length - 12), ((v * 7) % (words.length - 12)) + 9).join(' ');
          if (v % 10 === 0 && root.getChildrenSize() > 3) root.getChildAtIndex(1)?.remove();
          else root.append($createParagraphNode().append($createTextNode(`${sentence}.`)));
        },
        { discrete: true },
      ),
    );
  }
  dispose();
  // A 10,000-word note, then versions that each rewrite a paragraph in the middle.
  const long = { id: newId(), title: 'A note of 10,000 words', versions: 0 };
  createEntry(catalog, { id: long.id, title: long.title, author, now: now + 1e9 });
  const longDoc = newNoteDoc(long.id);
  const paragraphs: string[] = [];
  for (let w = 0; w < 10_000; w += 80) paragraphs.push(Array.from({ length: Math.min(80, 10_000 - w) }, (_, k) => words[(w + k) % words.length]).join(' '));
  await write(long.id, longDoc, () => initNoteBody(longDoc, long.id, paragraphs.join('\n\n'), MEMBER));
  const bound = bindNoteBody(longDoc, long.id, { author: MEMBER });
  for (let v = 0; v < 20; v++) {
    await write(long.id, longDoc, () =>
      bound.editor.update(
        () => {
          const target = $getRoot().getChildAtIndex(40 + v * 3);
          target?.replace($createParagraphNode().append($createTextNode(`Rewritten paragraph ${v}: ${words.slice(v * 11, v * 11 + 40).join(' ')}.`)));
        },
        { discrete: true },
      ),
    );
  }
  bound.dispose();
  long.versions = 21;
  await space.append(CATALOG_DOC_ID, Y.encodeStateAsUpdate(catalog), LOCAL);
  await history.close();
  await space.compact();
  await store.close();
  await writeProfile(dataDir, { id: MEMBER, name: author.name, color: '#2b8a3e' });
  return { spaceId, many, long };
}

/** Words of the TIL corpus, for generated notes. */
export function corpusWords(tilDir: string, count: number): string[] {
  const out: string[] = [];
  const text = readFileSync(join(tilDir, 'README.md'), 'utf8');
  for (const word of text.split(/\s+/)) if (/^[A-Za-z,.;:'!?]+$/.test(word)) out.push(word);
  while (out.length < count) out.push(...out.slice(0, count - out.length));
  return out.slice(0, count);
}
