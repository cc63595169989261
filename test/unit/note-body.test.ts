import { $getRoot } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { bindNoteBody, readNoteMarkdown, writeNoteMarkdown } from '../../shared/note-body';
import { newNoteDoc } from '../../shared/note-doc';
import { MemorySpace } from './support/memory-space';

const author = { id: 'a1', name: 'Ada' };

function newSpace() {
  return new MemorySpace('Test space');
}

/** A replica of a note's body document, as another device would hold it after a sync. */
function replicaOf(body: Y.Doc, noteId: string): Y.Doc {
  const replica = newNoteDoc(noteId);
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(body));
  return replica;
}

describe('note body round trip through Yjs and Lexical', () => {
  it('keeps every supported format through a Yjs update', () => {
    const source = newSpace();
    const id = source.create({ title: 'Formats', author });
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
    writeNoteMarkdown(source.body(id), id, markdown);

    const replica = replicaOf(source.body(id), id);
    const out = readNoteMarkdown(replica, id);
    for (const piece of ['# Heading one', '## Heading two', '### Heading three', '**bold**', '*italic*', '~~struck~~', '`code`', '[link](https://example.org)', '- bullet one', '1. first', '- [ ] open task', '- [x] done task', '> a quote', '```js\nconst x = 1;\n```', '---', 'last paragraph']) {
      expect(out).toContain(piece);
    }
  });

  it('hydrates an editor bound to a body that already has content', () => {
    const space = newSpace();
    const id = space.create({ author });
    writeNoteMarkdown(space.body(id), id, 'hello **world**');
    const { editor, dispose } = bindNoteBody(space.body(id), id);
    const text = editor.getEditorState().read(() => $getRoot().getTextContent());
    dispose();
    expect(text).toBe('hello world');
  });

  it('syncs concurrent edits of the same note from two editors', () => {
    const space = newSpace();
    const id = space.create({ author });
    const a = space.body(id);
    writeNoteMarkdown(a, id, 'start');
    const b = replicaOf(a, id);
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
