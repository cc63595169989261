/**
 * Comments in `npm run bench` (bundled by bench/run.mjs): a space with two notes alike, one of them
 * carrying 200 threads (each on a passage of its own) and 2,000 comments, for the browser measurement
 * of what opening a note with a discussion costs against the same note without one.
 */
import { $createMarkNode } from '@lexical/mark';
import { $getRoot, $isElementNode, $isTextNode } from 'lexical';
import * as Y from 'yjs';
import { DocStore } from '../main/services/doc-store';
import { writeProfile } from '../main/services/profile-store';
import type { ChangeOrigin } from '../main/services/space-history';
import { createEntry, initSpace, recordMember } from '../shared/catalog';
import { addReply, addThread } from '../shared/comments';
import { nameClient } from '../shared/doc-clients';
import { newId } from '../shared/ids';
import { bindNoteBody } from '../shared/note-body';
import { initNoteBody } from '../shared/markdown/note-markdown';
import { CATALOG_DOC_ID, newNoteDoc } from '../shared/note-doc';

const MEMBER = 'bench-author-0001';
const LOCAL: ChangeOrigin = { source: 'local', member: MEMBER };
const AUTHORS = [
  { id: MEMBER, name: 'Bench', color: '#2b8a3e' },
  { id: 'bench-author-0002', name: 'Ana', color: '#1971c2' },
  { id: 'bench-author-0003', name: 'Ben', color: '#c2255c' },
];

export interface CommentsSpace {
  spaceId: string;
  plain: { id: string; title: string };
  discussed: { id: string; title: string; threads: number; comments: number };
}

export async function generateCommentsSpace(dataDir: string, words: string[], threadCount = 200, repliesPerThread = 9): Promise<CommentsSpace> {
  const store = new DocStore(dataDir);
  const spaceId = newId();
  const space = await store.space(spaceId);
  const now = Date.UTC(2026, 0, 5, 9);
  const catalog = new Y.Doc();
  const author = { id: MEMBER, name: 'Bench' };
  initSpace(catalog, 'Comments bench', now);
  recordMember(catalog, author);
  nameClient(catalog, MEMBER);
  // 200 paragraphs of 40 words: each thread marks the first words of its own paragraph.
  const paragraphs: string[] = [];
  for (let p = 0; p < threadCount; p++) paragraphs.push(Array.from({ length: 40 }, (_, k) => words[(p * 40 + k) % words.length]).join(' '));
  const body = paragraphs.join('\n\n');
  const plain = { id: newId(), title: 'A note without comments' };
  const discussed = { id: newId(), title: 'A note with 200 threads', threads: threadCount, comments: threadCount * (1 + repliesPerThread) };
  for (const [i, note] of [plain, discussed].entries()) {
    createEntry(catalog, { id: note.id, title: note.title, author, now: now + i });
    const doc = newNoteDoc(note.id);
    initNoteBody(doc, note.id, body, MEMBER);
    if (note === discussed) {
      const ids = paragraphs.map(() => newId());
      const bound = bindNoteBody(doc, note.id, { author: MEMBER });
      bound.editor.update(
        () => {
          for (const [p, paragraph] of $getRoot().getChildren().entries()) {
            const text = $isElementNode(paragraph) ? paragraph.getFirstChild() : null;
            if (!$isTextNode(text) || p >= ids.length) continue;
            const [passage] = text.getTextContentSize() > 30 ? text.splitText(30) : [text];
            const mark = $createMarkNode([ids[p]!]);
            passage!.replace(mark);
            mark.append(passage!);
          }
        },
        { discrete: true },
      );
      bound.dispose();
      for (const [p, id] of ids.entries()) {
        const at = now + p * 60_000;
        addThread(doc, { id, quote: paragraphs[p]!.slice(0, 30), comment: { id: newId(), author: AUTHORS[p % 3]!, at, text: `Does this hold for night shifts too? ${words.slice(p, p + 12).join(' ')}` } });
        for (let r = 0; r < repliesPerThread; r++) addReply(doc, id, { id: newId(), author: AUTHORS[(p + r + 1) % 3]!, at: at + (r + 1) * 1000, text: `Reply ${r + 1}: ${words.slice(p + r, p + r + 20).join(' ')}` });
      }
    }
    await space.append(note.id, Y.encodeStateAsUpdate(doc), LOCAL);
  }
  await space.append(CATALOG_DOC_ID, Y.encodeStateAsUpdate(catalog), LOCAL);
  await space.compact();
  await store.close();
  await writeProfile(dataDir, { id: MEMBER, name: author.name, color: '#2b8a3e' });
  return { spaceId, plain, discussed };
}
