import { $getRoot } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { bindNoteBody, readNoteMarkdown, writeNoteMarkdown } from '../../shared/note-body';
import { createNote, initSpace } from '../../shared/space-model';

const author = { id: 'a1', name: 'Ada' };

function newSpace() {
  const doc = new Y.Doc();
  initSpace(doc, 'Test space');
  return doc;
}

describe('note body round trip through Yjs and Lexical', () => {
  it('keeps every supported format through a Yjs update', () => {
    const source = newSpace();
    const id = createNote(source, { title: 'Formats', author });
    const markdown = [
      '# Heading one',
      '## Heading two',
      '### Heading three',
      'Some **bold**, *italic*, ~~struck~~ and `code` with a [link](https://example.org).',
      '- bullet one',
      '- bullet two',
      '1. first',
      '2. second',
      '- [ ] open task',
      '- [x] done task',
      '> a quote',
      '```js\nconst x = 1;\n```',
      '---',
      'last paragraph',
    ].join('\n\n');
    writeNoteMarkdown(source, id, markdown);

    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(source));
    const out = readNoteMarkdown(replica, id);
    for (const piece of ['# Heading one', '## Heading two', '### Heading three', '**bold**', '*italic*', '~~struck~~', '`code`', '[link](https://example.org)', '- bullet one', '1. first', '- [ ] open task', '- [x] done task', '> a quote', '```js\nconst x = 1;\n```', '---', 'last paragraph']) {
      expect(out).toContain(piece);
    }
  });

  it('hydrates an editor bound to a body that already has content', () => {
    const doc = newSpace();
    const id = createNote(doc, { author });
    writeNoteMarkdown(doc, id, 'hello **world**');
    const { editor, dispose } = bindNoteBody(doc, id);
    const text = editor.getEditorState().read(() => $getRoot().getTextContent());
    dispose();
    expect(text).toBe('hello world');
  });

  it('syncs concurrent edits of the same note from two editors', () => {
    const a = newSpace();
    const id = createNote(a, { author });
    writeNoteMarkdown(a, id, 'start');
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const ea = bindNoteBody(a, id);
    const eb = bindNoteBody(b, id);
    ea.editor.update(() => $getRoot().getFirstChildOrThrow().selectEnd().insertText(' from A'), { discrete: true });
    eb.editor.update(() => $getRoot().getFirstChildOrThrow().selectStart().insertText('B says: '), { discrete: true });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
    ea.dispose();
    eb.dispose();
    expect(readNoteMarkdown(a, id)).toBe('B says: start from A');
    expect(readNoteMarkdown(b, id)).toBe('B says: start from A');
  });
});
