import { $createParagraphNode, $createTextNode, $getRoot } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { importMarkdownFiles, type ImportFile } from '../../shared/markdown/markdown-import';
import { markdownToNoteBody, noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { exportSpace } from '../../shared/markdown/space-export';
import { bindNoteBody, readNoteState } from '../../shared/note-body';
import { createNote, getNote, initSpace, noteTags, trashNote, deleteNoteForever, listNotes } from '../../shared/space-model';

const author = { id: 'a1', name: 'Ada' };

function space(): Y.Doc {
  const doc = new Y.Doc();
  initSpace(doc, 'Practice');
  return doc;
}

function roundTrip(markdown: string): string {
  const doc = space();
  const id = createNote(doc, { author });
  markdownToNoteBody(doc, id, markdown);
  // Through a Yjs update, as another replica or the durable store would see it.
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
  return noteBodyToMarkdown(replica, id);
}

const file = (path: string, text: string): ImportFile => ({ path, bytes: new TextEncoder().encode(text) });

describe('headless Markdown conversion', () => {
  it('round-trips every format the editor has', () => {
    const markdown = [
      '# One',
      '## Two',
      '###### Six',
      'Some **bold**, *italic*, <u>underlined</u>, ~~struck~~ and `code` with a [link](https://example.org).',
      '- bullet\n    - nested bullet\n        - deeper',
      '1. first\n2. second\n    1. nested',
      '- [ ] open task\n- [x] done task\n    - [ ] nested task',
      '> a quote',
      '```ts\nconst x: number = 1;\n```',
      '---',
      'last paragraph',
    ].join('\n\n');
    expect(roundTrip(markdown)).toBe(markdown);
  });

  it('escapes text that would change meaning, and reads it back as the same text', () => {
    const doc = space();
    const id = createNote(doc, { author });
    const lines = ['# not a heading', '> not a quote', '- not a list', '1. not a list', '* star', '+ plus', '```not a fence', '| not | a table |', '<div>not html</div>', '[^1]: not a footnote', 'a * b _ c ` d ~~ e'];
    markdownToNoteBody(doc, id, '');
    // Put the lines in as plain text (as typing would), then export and import them again.
    const { editor, dispose } = bindNoteBody(doc, id);
    editor.update(
      () => {
        const root = $getRoot();
        root.clear();
        for (const line of lines) root.append($createParagraphNode().append($createTextNode(line)));
      },
      { discrete: true },
    );
    dispose();
    const markdown = noteBodyToMarkdown(doc, id);
    const back = createNote(doc, { author });
    markdownToNoteBody(doc, back, markdown);
    const texts = readNoteState(doc, back).read(() => $getRoot().getChildren().map((p) => `${p.getType()}:${p.getTextContent()}`));
    expect(texts).toEqual(lines.map((l) => `paragraph:${l}`));
  });

  it('keeps people’s spelling: snake_case, ~45s and C:\\path stay unescaped', () => {
    expect(roundTrip('use snake_case names, wait ~45s, open C:\\Users')).toBe('use snake_case names, wait ~45s, open C:\\Users');
  });

  it('keeps what notes cannot represent as verbatim text: tables, HTML, footnotes, math', () => {
    const markdown = ['| a | b |\n|---|---|\n| 1 | 2 |', '<script>alert(1)</script>', 'Text with a note.[^1]', '[^1]: The footnote.', '$$\nx^2\n$$', '![image](pic.png)'].join('\n\n');
    expect(roundTrip(markdown)).toBe(markdown);
  });

  it('joins soft-wrapped lines into one paragraph, as Markdown renders them', () => {
    expect(roundTrip('one line\nwrapped here\n\nnext')).toBe('one line wrapped here\n\nnext');
  });
});

describe('links between notes', () => {
  it('imports [[Title]], [[Title|label]], [[Title#heading]] and relative links as note links', () => {
    const doc = space();
    const summary = importMarkdownFiles(
      doc,
      [
        file('a.md', 'See [[B note]], [[B note|the b]], [[B note#Part]], [rel](sub/c.md), [[Missing]] and [out](https://example.org).'),
        file('B note.md', 'b'),
        file('sub/c.md', 'back to [a](../a.md)'),
      ],
      { author },
    );
    expect(summary.imported).toBe(3);
    const a = summary.reports[0]!.noteId!;
    const b = summary.reports[1]!.noteId!;
    const c = summary.reports[2]!.noteId!;
    const json = JSON.stringify(readNoteState(doc, a).toJSON());
    expect(json.match(/"note-link"/g)?.length).toBe(4);
    expect(json).toContain(b);
    expect(json).toContain(c);
    expect(JSON.stringify(readNoteState(doc, c).toJSON())).toContain(a);
    // Unresolved and external links stay, never dropped.
    expect(noteBodyToMarkdown(doc, a)).toContain('[[Missing]]');
    expect(noteBodyToMarkdown(doc, a)).toContain('[out](https://example.org)');
  });

  it('exports note links as relative links by default and as wiki-links on request, with current titles', () => {
    const doc = space();
    importMarkdownFiles(doc, [file('a.md', 'to [[b]]'), file('b.md', 'b body')], { author });
    const b = listNotes(doc).find((n) => n.title === 'b')!;
    getNote(doc, b.id)!.set('title', 'Renamed: b?');
    const relative = exportSpace(doc).find((f) => f.path === 'a.md')!.text;
    expect(relative).toContain('[Renamed: b?](Renamed-%20b-.md)');
    const wiki = exportSpace(doc, { wikilinks: true }).find((f) => f.path === 'a.md')!.text;
    expect(wiki).toContain('[[Renamed- b-|Renamed: b?]]');
  });
});

describe('space export', () => {
  it('writes front matter, leaves out trashed and deleted notes, and lists notes by tag in index.md', () => {
    const doc = space();
    doc.getMap('members').set('a1', { name: 'Ada', color: '#000' });
    const kept = createNote(doc, { title: 'Kept', author, tags: ['craft', 'tools'], now: Date.UTC(2024, 0, 2) });
    createNote(doc, { title: 'Loose', author });
    trashNote(getNote(doc, createNote(doc, { title: 'Trashed', author }))!);
    const gone = getNote(doc, createNote(doc, { title: 'Gone', author }))!;
    trashNote(gone);
    deleteNoteForever(gone);
    markdownToNoteBody(doc, kept, 'hello');
    const files = exportSpace(doc);
    expect(files.map((f) => f.path)).toEqual(['index.md', 'Kept.md', 'Loose.md']);
    const text = files[1]!.text;
    expect(text).toBe(`---\ntitle: Kept\ntags:\n  - craft\n  - tools\ncreated: 2024-01-02T00:00:00.000Z\nupdated: 2024-01-02T00:00:00.000Z\nauthors:\n  - Ada\nid: ${kept}\n---\n\nhello\n`);
    expect(files[0]!.text).toContain('## craft\n\n- [Kept](Kept.md)');
    expect(files[0]!.text).toContain('## Untagged\n\n- [Loose](Loose.md)');
  });

  it('re-imports its own export with titles, tags and times, skipping index.md', () => {
    const doc = space();
    const id = createNote(doc, { title: 'Kept', author, tags: ['craft'], now: Date.UTC(2024, 0, 2) });
    markdownToNoteBody(doc, id, '# Kept\n\ntext #inline');
    const files = exportSpace(doc).map((f) => file(f.path, f.text));
    const again = space();
    const summary = importMarkdownFiles(again, files, { author });
    expect(summary.imported).toBe(1);
    expect(summary.reports.find((r) => r.path === 'index.md')!.status).toBe('skipped');
    const note = listNotes(again)[0]!;
    expect(note.title).toBe('Kept');
    expect(note.tags).toEqual(['craft', 'inline']);
    expect(note.createdAt).toBe(Date.UTC(2024, 0, 2));
  });
});

describe('import details', () => {
  it('takes titles from front matter or the file name, without a repeated heading', () => {
    const doc = space();
    const summary = importMarkdownFiles(
      doc,
      [file('notes/my-first-note.md', '# My First Note\n\nbody'), file('x.md', '---\ntitle: Chosen\ntags: [a, "b c"]\ncreated: 2023-05-01\n---\n# Chosen\n\nbody'), file('y.md', '---\ntags: one, two\n---\n# Different heading\n')],
      { author, folderTags: true },
    );
    expect(summary.reports.map((r) => r.title)).toEqual(['My First Note', 'Chosen', 'y']);
    const byTitle = new Map(listNotes(doc).map((n) => [n.title, n]));
    expect(byTitle.get('My First Note')!.tags).toEqual(['notes']);
    expect(byTitle.get('Chosen')!.tags).toEqual(['a', 'b c']);
    expect(byTitle.get('Chosen')!.createdAt).toBe(Date.UTC(2023, 4, 1));
    expect(byTitle.get('y')!.tags).toEqual(['one', 'two']);
    expect(noteBodyToMarkdown(doc, byTitle.get('Chosen')!.id)).toBe('body');
    expect(noteBodyToMarkdown(doc, byTitle.get('y')!.id)).toBe('# Different heading');
  });

  it('collects inline #tags, but not in code, headings or numbers', () => {
    const doc = space();
    importMarkdownFiles(doc, [file('t.md', '# Heading #nottag\n\nA #practice note about #c-sharp and issue #123, `#nope`.\n\n```\n#notthis\n```')], { author });
    expect(noteTags(getNote(doc, listNotes(doc)[0]!.id)!)).toEqual(['c-sharp', 'practice']);
  });
});

