/** Comment threads in a note's document: they merge like the note, and what a peer sends is checked. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { discussionSection } from '../../shared/markdown/space-export';
import { addReply, addThread, checkComment, COMMENTS_MAP, commentParts, MAX_COMMENT_CHARS, readThreads, setResolved, type CommentAuthor } from '../../shared/comments';

const ana: CommentAuthor = { id: 'member-ana', name: 'Ana', color: '#1971c2' };
const ben: CommentAuthor = { id: 'member-ben', name: 'Ben', color: '#2f9e44' };

function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('comment threads', () => {
  it('keep both replies posted at once on two devices, and the last resolution', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    addThread(a, { id: 't1', quote: 'flush with 10 ml', comment: { id: 'c1', author: ana, at: 1, text: 'Is 10 ml enough for a midline?' } });
    sync(a, b);
    expect(addReply(a, 't1', { id: 'c2', author: ana, at: 3, text: 'Our ward uses 20.' })).toBe(true);
    expect(addReply(b, 't1', { id: 'c3', author: ben, at: 2, text: 'Yes, see https://example.org/picc.' })).toBe(true);
    setResolved(b, 't1', true, ben, 4);
    sync(a, b);
    for (const doc of [a, b]) {
      const [thread] = readThreads(doc);
      expect(thread!.comments.map((c) => c.id)).toEqual(['c1', 'c3', 'c2']);
      expect(thread).toMatchObject({ quote: 'flush with 10 ml', resolved: true, resolvedBy: ben, resolvedAt: 4 });
    }
    setResolved(a, 't1', false, ana, 5);
    sync(a, b);
    expect(readThreads(b)[0]).toMatchObject({ resolved: false, resolvedBy: null });
  });

  it('lists open threads first, then by when they began', () => {
    const doc = new Y.Doc();
    addThread(doc, { id: 'old', quote: 'a', comment: { id: 'c1', author: ana, at: 1, text: 'first' } });
    addThread(doc, { id: 'new', quote: 'b', comment: { id: 'c2', author: ana, at: 2, text: 'second' } });
    setResolved(doc, 'old', true, ana, 3);
    expect(readThreads(doc).map((t) => t.id)).toEqual(['new', 'old']);
    expect(addReply(doc, 'missing', { id: 'c3', author: ana, at: 4, text: 'x' })).toBe(false);
  });

  it('refuses empty, overlong and authorless comments, saying why', () => {
    expect(() => checkComment('   ', ana)).toThrow('needs some text');
    expect(() => checkComment('x'.repeat(MAX_COMMENT_CHARS + 1), ana)).toThrow(`at most ${MAX_COMMENT_CHARS} characters`);
    expect(() => checkComment('ok', { ...ana, color: 'red;background:url(x)' })).toThrow('no valid author');
    expect(checkComment('  trimmed  ', ana)).toBe('trimmed');
  });

  it('leaves out what a peer sent without the shape of a thread, and never lets a crafted colour through', () => {
    const doc = new Y.Doc();
    const map = doc.getMap<unknown>(COMMENTS_MAP);
    map.set('not-a-map', 'text');
    const noComments = new Y.Map<unknown>();
    noComments.set('comments', 'nope');
    map.set('empty', noComments);
    const crafted = new Y.Map<unknown>();
    const list = new Y.Array<unknown>();
    list.push([{ id: 'c1', author: { id: 'm', name: 'Mallory', color: 'red;position:fixed' }, at: 1, text: 'hi' }, { id: 42 }, null]);
    crafted.set('comments', list);
    map.set('crafted', crafted);
    const threads = readThreads(doc);
    expect(threads.map((t) => t.id)).toEqual(['crafted']);
    expect(threads[0]!.comments).toEqual([{ id: 'c1', author: { id: 'm', name: 'Mallory', color: '#888888' }, at: 1, text: 'hi' }]);
  });

  it('splits text into plain parts and links, and nothing else', () => {
    expect(commentParts('See https://example.org/a?b=1. Or <b>mail</b> mailto:x@y.org')).toEqual([
      { text: 'See ' },
      { text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { text: '. Or <b>mail</b> ' },
      { text: 'mailto:x@y.org', href: 'mailto:x@y.org' },
    ]);
    expect(commentParts('javascript:alert(1)')).toEqual([{ text: 'javascript:alert(1)' }]);
  });
});

describe('the Discussion section of an export', () => {
  it('quotes each open thread and lists its comments with author and date, as text', () => {
    const doc = new Y.Doc();
    addThread(doc, { id: 't1', quote: 'flush with 10 ml', comment: { id: 'c1', author: ana, at: Date.UTC(2026, 10, 30), text: 'Use *20* ml?\nSee [policy]' } });
    addReply(doc, 't1', { id: 'c2', author: ben, at: Date.UTC(2026, 11, 1), text: '<script>x</script>' });
    addThread(doc, { id: 't2', quote: 'gone', comment: { id: 'c3', author: ana, at: 1, text: 'settled' } });
    setResolved(doc, 't2', true, ben, 2);
    expect(discussionSection(readThreads(doc))).toBe(
      ['## Discussion', '', '> flush with 10 ml', '', '- **Ana** (2026-11-30): Use \\*20\\* ml?', '  See \\[policy\\]', '- **Ben** (2026-12-01): \\<script\\>x\\</script\\>', ''].join('\n'),
    );
    setResolved(doc, 't1', true, ben, 3);
    expect(discussionSection(readThreads(doc))).toBe('');
  });
});
