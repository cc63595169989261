/** Concurrent structure edits never lose text: replicas exchange updates in both orders and end equal. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { bodyLinks, bodyText } from '../../shared/note-content';
import { bindNoteBody, duplicateNote, readNoteMarkdown, writeNoteMarkdown } from '../../shared/note-body';
import {
  addTag,
  createNote,
  deleteNoteForever,

  getNote,
  initSpace,
  listNotes,
  noteBody,
  noteState,
  noteTags,
  noteTitle,
  removeTag,
  renameNote,
  restoreNote,
  tagCounts,
  trashNote,
} from '../../shared/space-model';
import { $getRoot } from 'lexical';
import { $createNoteLinkNode } from '../../shared/note-link-node';

const ada = { id: 'ada-member-1', name: 'Ada' };
const bob = { id: 'bob-member-1', name: 'Bob' };

/** Two replicas of one space, in sync to begin with. */
function pair(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  initSpace(a, 'Ward 7');
  const b = new Y.Doc();
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  return [a, b];
}

/** Delivers each side's changes to the other; `order` chooses who receives first. */
function exchange(a: Y.Doc, b: Y.Doc, order: 'a-first' | 'b-first'): void {
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  if (order === 'a-first') {
    Y.applyUpdate(a, toA);
    Y.applyUpdate(b, toB);
  } else {
    Y.applyUpdate(b, toB);
    Y.applyUpdate(a, toA);
  }
}

function typeInto(doc: Y.Doc, noteId: string, text: string): void {
  const { editor, dispose } = bindNoteBody(doc, noteId);
  editor.update(() => $getRoot().getLastChildOrThrow().selectEnd().insertText(text), { discrete: true });
  dispose();
}

function state(doc: Y.Doc) {
  return {
    active: listNotes(doc).map((n) => [n.id, n.title, n.tags.join(',')]),
    trashed: listNotes(doc, { state: 'trashed' }).map((n) => n.id),
    bodies: listNotes(doc)
      .concat(listNotes(doc, { state: 'trashed' }))
      .map((n) => readNoteMarkdown(doc, n.id)),
  };
}

describe.each(['a-first', 'b-first'] as const)('concurrent structure edits (%s)', (order) => {
  it('two concurrent renames end with one and the same title', () => {
    const [a, b] = pair();
    const id = createNote(a, { title: 'Draft', author: ada });
    exchange(a, b, order);
    renameNote(getNote(a, id)!, 'Central line care', ada);
    renameNote(getNote(b, id)!, 'CVC care', bob);
    exchange(a, b, order);
    const title = noteTitle(getNote(a, id)!);
    expect(['Central line care', 'CVC care']).toContain(title);
    expect(noteTitle(getNote(b, id)!)).toBe(title);
  });

  it('a note edited on one replica while trashed on the other keeps the edits and can be restored', () => {
    const [a, b] = pair();
    const id = createNote(a, { title: 'Fall risk', author: ada });
    writeNoteMarkdown(a, id, 'Check the bed rails.');
    exchange(a, b, order);
    trashNote(getNote(a, id)!);
    typeInto(b, id, ' And the call bell.');
    exchange(a, b, order);
    for (const doc of [a, b]) {
      expect(noteState(getNote(doc, id)!)).toBe('trashed');
      restoreNote(getNote(doc, id)!);
    }
    exchange(a, b, order);
    expect(readNoteMarkdown(a, id)).toBe('Check the bed rails. And the call bell.');
    expect(state(a)).toEqual(state(b));
  });

  it('a note deleted forever on one replica while edited on the other comes back to the trash with the edits', () => {
    const [a, b] = pair();
    const id = createNote(a, { title: 'Sepsis screen', author: ada });
    writeNoteMarkdown(a, id, 'Lactate within one hour.');
    exchange(a, b, order);
    deleteNoteForever(getNote(a, id)!);
    expect(noteState(getNote(a, id)!)).toBe('deleted');
    typeInto(b, id, ' Cultures before antibiotics.');
    exchange(a, b, order);
    for (const doc of [a, b]) expect(noteState(getNote(doc, id)!)).toBe('trashed');
    expect(readNoteMarkdown(a, id)).toContain('Cultures before antibiotics.');
    expect(state(a)).toEqual(state(b));
  });

  it('a delete that saw every edit stays deleted on both replicas', () => {
    const [a, b] = pair();
    const id = createNote(a, { title: 'Old rota', author: ada });
    exchange(a, b, order);
    deleteNoteForever(getNote(b, id)!);
    exchange(a, b, order);
    expect(noteState(getNote(a, id)!)).toBe('deleted');
    expect(noteState(getNote(b, id)!)).toBe('deleted');
    expect(listNotes(a, { state: 'trashed' })).toEqual([]);
  });

  it('notes created concurrently all survive, with their tags merged', () => {
    const [a, b] = pair();
    const shared = createNote(a, { title: 'Shared', author: ada });
    exchange(a, b, order);
    const fromA = createNote(a, { title: 'From A', author: ada, tags: ['iv'] });
    const fromB = createNote(b, { title: 'From B', author: bob, tags: ['iv'] });
    addTag(getNote(a, shared)!, 'handover');
    addTag(getNote(b, shared)!, 'night shift');
    exchange(a, b, order);
    for (const doc of [a, b]) {
      expect(listNotes(doc).map((n) => n.id).sort()).toEqual([shared, fromA, fromB].sort());
      expect(noteTags(getNote(doc, shared)!)).toEqual(['handover', 'night shift']);
      expect(tagCounts(listNotes(doc))).toEqual([
        { tag: 'handover', count: 1 },
        { tag: 'iv', count: 2 },
        { tag: 'night shift', count: 1 },
      ]);
    }
    expect(state(a)).toEqual(state(b));
  });
});

describe('notes', () => {
  it('stores titles and tags of any Unicode and any length whole', () => {
    const doc = new Y.Doc();
    const long = '長い題名🧪'.repeat(2000);
    const id = createNote(doc, { title: long, author: ada, tags: ['  #日本語 ', 'x'.repeat(5000)] });
    const note = getNote(doc, id)!;
    expect(noteTitle(note)).toBe(long);
    expect(noteTags(note)).toEqual(['x'.repeat(5000), '日本語'].sort((p, q) => p.localeCompare(q)));
    removeTag(note, '日本語');
    expect(noteTags(note)).toEqual(['x'.repeat(5000)]);
  });

  it('duplicates a note with its body and tags', () => {
    const doc = new Y.Doc();
    const id = createNote(doc, { title: 'Checklist', author: ada, tags: ['a'] });
    writeNoteMarkdown(doc, id, '# Steps\n\n- [ ] one\n- [x] two');
    const copy = duplicateNote(doc, id, bob);
    expect(noteTitle(getNote(doc, copy)!)).toBe('Checklist (copy)');
    expect(noteTags(getNote(doc, copy)!)).toEqual(['a']);
    expect(readNoteMarkdown(doc, copy)).toBe(readNoteMarkdown(doc, id));
    // The copy is independent of the original.
    typeInto(doc, copy, ' more');
    expect(readNoteMarkdown(doc, id)).not.toContain('more');
  });

  it('reads body text and links without an editor', () => {
    const doc = new Y.Doc();
    const target = createNote(doc, { title: 'Target', author: ada });
    const id = createNote(doc, { title: 'Source', author: ada });
    writeNoteMarkdown(doc, id, '# Heading\n\nSee');
    const { editor, dispose } = bindNoteBody(doc, id);
    editor.update(() => $getRoot().getLastChildOrThrow().selectEnd().insertNodes([$createNoteLinkNode(target, 'Target')]), { discrete: true });
    dispose();
    const body = noteBody(getNote(doc, id)!);
    expect(bodyText(body)).toBe('Heading\nSeeTarget');
    expect([...bodyLinks(body)]).toEqual([target]);
  });
});
