import { $createParagraphNode, $createTextNode, $getRoot } from 'lexical';
import { parseMarkdownTable } from '../../shared/markdown/markdown-table';
import { labelFromText, labelParts, labelText } from '../../shared/note-link-node';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { catalogMembers, deleteEntryForever, entryState, entryTags, getEntry, listNotes, trashEntry } from '../../shared/catalog';
import { importIntoCatalog, type ImportFile } from '../../shared/markdown/markdown-import';
import { markdownToNoteBody, noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { bindNoteBody, readNoteState } from '../../shared/note-body';
import { newNoteDoc } from '../../shared/note-doc';
import { MemorySpace } from './support/memory-space';

const author = { id: 'a1', name: 'Ada' };

function space(): MemorySpace {
  return new MemorySpace('Practice');
}

function roundTrip(markdown: string): string {
  const doc = space();
  const id = doc.create({ author });
  markdownToNoteBody(doc.body(id), id, markdown);
  // Through a Yjs update of the note's document, as another replica or the store would see it.
  const replica = newNoteDoc(id);
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc.body(id)));
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
    const id = doc.create({ author });
    const lines = ['# not a heading', '> not a quote', '- not a list', '1. not a list', '* star', '+ plus', '```not a fence', '| not | a table |', '<div>not html</div>', '[^1]: not a footnote', 'a * b _ c ` d ~~ e'];
    markdownToNoteBody(doc.body(id), id, '');
    // Put the lines in as plain text (as typing would), then export and import them again.
    const { editor, dispose } = bindNoteBody(doc.body(id), id);
    editor.update(
      () => {
        const root = $getRoot();
        root.clear();
        for (const line of lines) root.append($createParagraphNode().append($createTextNode(line)));
      },
      { discrete: true },
    );
    dispose();
    const markdown = noteBodyToMarkdown(doc.body(id), id);
    const back = doc.create({ author });
    markdownToNoteBody(doc.body(back), back, markdown);
    const texts = readNoteState(doc.body(back), back).read(() => $getRoot().getChildren().map((p) => `${p.getType()}:${p.getTextContent()}`));
    expect(texts).toEqual(lines.map((l) => `paragraph:${l}`));
  });

  it('keeps people’s spelling: snake_case, ~45s and C:\\path stay unescaped', () => {
    expect(roundTrip('use snake_case names, wait ~45s, open C:\\Users')).toBe('use snake_case names, wait ~45s, open C:\\Users');
  });

  it('writes an underscore that pairs with nothing as written, and escapes one that would pair', () => {
    expect(roundTrip('I can _tr_anslate it. Click _Devices. Open [_List](https://example.org).')).toBe('I can _tr_anslate it. Click _Devices. Open [_List](https://example.org).');
    // A pair would read as emphasis: the text keeps its underscores by escaping them.
    const back = roundTrip('the literal \\_word\\_ here');
    expect(back).toBe('the literal \\_word\\_ here');
  });

  it('writes emphasis that runs across a link as one run, as it was written', () => {
    expect(roundTrip('*Here is a [screencast](https://example.org/v) to watch.*')).toBe('*Here is a [screencast](https://example.org/v) to watch.*');
    expect(roundTrip('*[Watch it](https://example.org/v) first.*')).toBe('*[Watch it](https://example.org/v) first.*');
    expect(roundTrip('plain [link](https://example.org/v) text')).toBe('plain [link](https://example.org/v) text');
  });

  it('makes GFM tables tables, with header, alignment, inline formatting and escaped pipes, and writes them back', () => {
    const markdown = '| Drug | Dose | Route |\n| :--- | :---: | ---: |\n| **Heparin** | 5 `ml` | IV \\| SC |\n| Saline | 10 ml<br>then 20 |  |';
    const doc = space();
    const id = doc.create({ author });
    markdownToNoteBody(doc.body(id), id, markdown);
    const shape = readNoteState(doc.body(id), id).read(() =>
      $getRoot()
        .getChildren()
        .map((n) => `${n.getType()}:${n.getTextContent().replace(/\n/g, '/')}`),
    );
    expect(shape[0]).toMatch(/^table:/);
    expect(shape[0]).toContain('Heparin');
    expect(noteBodyToMarkdown(doc.body(id), id)).toBe(markdown);
  });

  it('keeps a table too wide to be one as text, and reads ragged rows as GFM does', () => {
    const wide = `| ${Array.from({ length: 65 }, (_, i) => `c${i}`).join(' | ')} |\n| ${Array.from({ length: 65 }, () => '---').join(' | ')} |`;
    expect(roundTrip(wide)).toBe(wide);
    expect(parseMarkdownTable(wide.split('\n'))).toBeNull();
    // Missing cells are empty and extra ones are dropped; a pipe in code or escaped stays in its cell.
    expect(parseMarkdownTable(['| a | b |', '|---|---|', '| 1 |', '| 1 | 2 | 3 |', '| `x|y` | p\\|q |'])).toEqual({
      header: ['a', 'b'],
      align: ['', ''],
      rows: [
        ['1', ''],
        ['1', '2'],
        ['`x|y`', 'p\\|q'],
      ],
    });
  });

  it('keeps what notes cannot represent as verbatim text: tables that are not well formed, HTML, footnotes, math', () => {
    const markdown = ['| a | b |\n|---|\n| 1 | 2 |', '<script>alert(1)</script>', 'Text with a note.[^1]', '[^1]: The footnote.', '$$\nx^2\n$$', '![image](pic.png)'].join('\n\n');
    expect(roundTrip(markdown)).toBe(markdown);
  });

  it('joins soft-wrapped lines into one paragraph, as Markdown renders them', () => {
    expect(roundTrip('one line\nwrapped here\n\nnext')).toBe('one line wrapped here\n\nnext');
  });
});

describe('links between notes', () => {
  it('imports [[Title]], [[Title|label]], [[Title#heading]] and relative links as note links', async () => {
    const doc = space();
    const summary = await doc.import(
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
    const json = JSON.stringify(readNoteState(doc.body(a), a).toJSON());
    expect(json.match(/"note-link"/g)?.length).toBe(4);
    expect(json).toContain(b);
    expect(json).toContain(c);
    expect(JSON.stringify(readNoteState(doc.body(c), c).toJSON())).toContain(a);
    // Unresolved and external links stay, never dropped.
    expect(noteBodyToMarkdown(doc.body(a), a)).toContain('[[Missing]]');
    expect(noteBodyToMarkdown(doc.body(a), a)).toContain('[out](https://example.org)');
  });

  it('exports note links as relative links by default and as wiki-links on request, with current titles', async () => {
    const doc = space();
    await doc.import([file('a.md', 'to [[b]]'), file('b.md', 'b body')], { author });
    const b = listNotes(doc.catalog).find((n) => n.title === 'b')!;
    getEntry(doc.catalog, b.id)!.set('title', 'Renamed: b?');
    const relative = (await doc.export()).find((f) => f.path === 'a.md')!.text;
    expect(relative).toContain('[Renamed: b?](Renamed-%20b-.md)');
    const wiki = (await doc.export({ wikilinks: true })).find((f) => f.path === 'a.md')!.text;
    expect(wiki).toContain('[[Renamed- b-|Renamed: b?]]');
  });

  it('keeps a link\'s own label and its anchor in a heading or block, both ways and across formats', async () => {
    const doc = space();
    const summary = await doc.import(
      [
        file(
          'a.md',
          'See [[Setup#Flushing|how we flush]], [[Setup#^step-3]], [[Setup|Setup]] and [*Setup* itself](Setup.md).\n\nUse [the `:-` expansion](Setup.md#fallback-values) here.',
        ),
        file('Setup.md', 'the setup'),
      ],
      { author },
    );
    const a = summary.reports[0]!.noteId!;
    const relative = (await doc.export()).find((f) => f.path === 'a.md')!.text;
    expect(relative).toContain(
      'See [how we flush](Setup.md#Flushing), [Setup](Setup.md#^step-3), [Setup](Setup.md) and [*Setup* itself](Setup.md).\n\nUse [the `:-` expansion](Setup.md#fallback-values) here.',
    );
    const wiki = (await doc.export({ wikilinks: true })).find((f) => f.path === 'a.md')!.text;
    expect(wiki).toContain('See [[Setup#Flushing|how we flush]], [[Setup#^step-3]], [[Setup]] and [[Setup|Setup itself]].\n\nUse [[Setup#fallback-values|the :- expansion]] here.');
    // Renaming the target changes the links that show its title, not those with words of their own.
    const setup = summary.reports[1]!.noteId!;
    getEntry(doc.catalog, setup)!.set('title', 'Line setup');
    const renamed = (await doc.export()).find((f) => f.path === 'a.md')!.text;
    expect(renamed).toContain('[how we flush](Line%20setup.md#Flushing), [Line setup](Line%20setup.md#^step-3), [Line setup](Line%20setup.md)');
    // The label is in the note's text (search, backlinks' context).
    expect(readNoteState(doc.body(a), a).read(() => $getRoot().getTextContent())).toContain('how we flush');
    expect(readNoteState(doc.body(a), a).read(() => $getRoot().getTextContent())).toContain('the :- expansion');
  });
});

describe('folders', () => {
  it('remembers the folder each note came from, resolves links by path among notes of one title, and exports each note back into its folder', async () => {
    const doc = space();
    const summary = await doc.import(
      [
        file('Ward/Templates.md', 'Ward template. See [[Clinic/Templates]] and [the clinic one](../Clinic/Templates.md).'),
        file('Clinic/Templates.md', 'Clinic template. Back to [[Ward/Templates|the ward one]].'),
        file('Index note.md', 'Start at [[Ward/Templates]].'),
      ],
      { author },
    );
    const [ward, clinic, index] = summary.reports.map((r) => r.noteId!) as [string, string, string];
    expect(listNotes(doc.catalog).map((n) => [n.title, n.folder]).sort()).toEqual([
      ['Index note', ''],
      ['Templates', 'Clinic'],
      ['Templates', 'Ward'],
    ]);
    const json = (id: string) => JSON.stringify(readNoteState(doc.body(id), id).toJSON());
    expect(json(ward)).toContain(clinic);
    expect(json(ward)).not.toContain(ward);
    expect(json(clinic)).toContain(ward);
    expect(json(index)).toContain(ward);

    const files = await doc.export();
    expect(files.map((f) => f.path).sort()).toEqual(['Clinic/Templates.md', 'Index note.md', 'Ward/Templates.md', 'index.md']);
    const text = (path: string) => files.find((f) => f.path === path)!.text;
    expect(text('Ward/Templates.md')).toContain('See [Templates](../Clinic/Templates.md) and [the clinic one](../Clinic/Templates.md).');
    expect(text('Index note.md')).toContain('Start at [Templates](Ward/Templates.md).');
    expect(text('index.md')).toContain('(Clinic/Templates.md)');
    // Two files of one name: wiki-links name them by path.
    const wiki = await doc.export({ wikilinks: true });
    expect(wiki.find((f) => f.path === 'Clinic/Templates.md')!.text).toContain('Back to [[Ward/Templates|the ward one]].');
  });

  it('never writes outside the export, whatever a folder is called', async () => {
    const doc = space();
    const id = doc.create({ author, title: 'Escape' });
    getEntry(doc.catalog, id)!.set('folder', '../../etc');
    const other = doc.create({ author, title: 'Odd' });
    getEntry(doc.catalog, other)!.set('folder', 'a/CON/b:c');
    const paths = (await doc.export()).map((f) => f.path).sort();
    expect(paths).toEqual(['Escape.md', 'a/CON_/b-c/Odd.md', 'index.md']);
  });
});

describe('link labels', () => {
  it('show code spans apart, drop emphasis markers and escapes, and keep snake_case', () => {
    expect(labelParts('the `:-` *expansion* of a\\_b c_d')).toEqual([
      { text: 'the ', code: false },
      { text: ':-', code: true },
      { text: ' expansion of a_b c_d', code: false },
    ]);
    expect(labelText(labelFromText('a [b] `c` *d*'))).toBe('a [b] `c` *d*');
  });
});

describe('space export', () => {
  it('writes front matter, leaves out trashed and deleted notes, and lists notes by tag in index.md', async () => {
    const doc = space();
    catalogMembers(doc.catalog).set('a1', { name: 'Ada', color: '#000' });
    const kept = doc.create({ title: 'Kept', author, tags: ['craft', 'tools'], now: Date.UTC(2024, 0, 2) });
    doc.create({ title: 'Loose', author });
    trashEntry(getEntry(doc.catalog, doc.create({ title: 'Trashed', author }))!);
    const goneId = doc.create({ title: 'Gone', author });
    const gone = getEntry(doc.catalog, goneId)!;
    trashEntry(gone);
    deleteEntryForever(gone, Y.encodeStateVector(doc.body(goneId)));
    expect(entryState(gone)).toBe('deleted');
    markdownToNoteBody(doc.body(kept), kept, 'hello');
    const files = await doc.export();
    expect(files.map((f) => f.path)).toEqual(['index.md', 'Kept.md', 'Loose.md']);
    const text = files[1]!.text;
    expect(text).toBe(`---\ntitle: Kept\ntags:\n  - craft\n  - tools\ncreated: 2024-01-02T00:00:00.000Z\nupdated: 2024-01-02T00:00:00.000Z\nauthors:\n  - Ada\nid: ${kept}\n---\n\nhello\n`);
    expect(files[0]!.text).toContain('## craft\n\n- [Kept](Kept.md)');
    expect(files[0]!.text).toContain('## Untagged\n\n- [Loose](Loose.md)');
  });

  it('re-imports its own export with titles, tags, times and bodies, skipping index.md', async () => {
    const doc = space();
    const id = doc.create({ title: 'Kept', author, tags: ['craft'], now: Date.UTC(2024, 0, 2) });
    markdownToNoteBody(doc.body(id), id, '# Kept\n\ntext #inline');
    const files = (await doc.export()).map((f) => file(f.path, f.text));
    const again = space();
    const summary = await again.import(files, { author });
    expect(summary.imported).toBe(1);
    expect(summary.reports.find((r) => r.path === 'index.md')!.status).toBe('skipped');
    const note = listNotes(again.catalog)[0]!;
    expect(note.title).toBe('Kept');
    expect(note.tags).toEqual(['craft', 'inline']);
    expect(note.createdAt).toBe(Date.UTC(2024, 0, 2));
    // The body came back, without the heading that repeats the title (it is the title).
    expect(again.markdown(note.id)).toBe('text #inline');
  });
});

describe('import into a catalog', () => {
  it('leaves the catalog as it is, returns its change as one update, and hands over each body as one update', async () => {
    const doc = space();
    const before = Y.encodeStateVector(doc.catalog);
    const bodies = new Map<string, Uint8Array>();
    const { catalogUpdate, summary } = await importIntoCatalog(doc.catalog, [file('a.md', 'see [[b]]'), file('b.md', 'b body'), file('x.png', 'x')], {
      author,
      onBody: (noteId, update) => void bodies.set(noteId, update),
    });
    expect(summary).toMatchObject({ imported: 2, skipped: 1, failed: 0 });
    expect(Y.encodeStateVector(doc.catalog)).toEqual(before);
    expect(listNotes(doc.catalog)).toEqual([]);
    expect(catalogUpdate).not.toBeNull();
    Y.applyUpdate(doc.catalog, catalogUpdate!);
    expect(listNotes(doc.catalog, { sort: 'title' }).map((n) => n.title)).toEqual(['a', 'b']);
    const ids = summary.reports.filter((r) => r.status === 'imported').map((r) => r.noteId!);
    expect([...bodies.keys()].sort()).toEqual([...ids].sort());
    for (const [id, update] of bodies) Y.applyUpdate(doc.body(id), update);
    expect(doc.markdown(ids[1]!)).toBe('b body');
    expect(JSON.stringify(readNoteState(doc.body(ids[0]!), ids[0]!).toJSON())).toContain(ids[1]!);
  });

  it('returns no catalog change when nothing was imported', async () => {
    const doc = space();
    const bodies: string[] = [];
    const { catalogUpdate, summary } = await importIntoCatalog(doc.catalog, [file('x.png', 'x')], { author, onBody: (id) => void bodies.push(id) });
    expect(summary.imported).toBe(0);
    expect(catalogUpdate).toBeNull();
    expect(bodies).toEqual([]);
  });
});

describe('import details', () => {
  it('takes titles from front matter or the file name, without a repeated heading', async () => {
    const doc = space();
    const summary = await doc.import(
      [file('notes/my-first-note.md', '# My First Note\n\nbody'), file('x.md', '---\ntitle: Chosen\ntags: [a, "b c"]\ncreated: 2023-05-01\n---\n# Chosen\n\nbody'), file('y.md', '---\ntags: one, two\n---\n# Different heading\n')],
      { author, folderTags: true },
    );
    expect(summary.reports.map((r) => r.title)).toEqual(['My First Note', 'Chosen', 'y']);
    const byTitle = new Map(listNotes(doc.catalog).map((n) => [n.title, n]));
    expect(byTitle.get('My First Note')!.tags).toEqual(['notes']);
    expect(byTitle.get('Chosen')!.tags).toEqual(['a', 'b c']);
    expect(byTitle.get('Chosen')!.createdAt).toBe(Date.UTC(2023, 4, 1));
    expect(byTitle.get('y')!.tags).toEqual(['one', 'two']);
    const chosen = byTitle.get('Chosen')!.id;
    const y = byTitle.get('y')!.id;
    expect(noteBodyToMarkdown(doc.body(chosen), chosen)).toBe('body');
    expect(noteBodyToMarkdown(doc.body(y), y)).toBe('# Different heading');
  });

  it('collects inline #tags, but not in code, headings or numbers', async () => {
    const doc = space();
    await doc.import([file('t.md', '# Heading #nottag\n\nA #practice note about #c-sharp and issue #123, `#nope`.\n\n```\n#notthis\n```')], { author });
    expect(entryTags(getEntry(doc.catalog, listNotes(doc.catalog)[0]!.id)!)).toEqual(['c-sharp', 'practice']);
  });
});

