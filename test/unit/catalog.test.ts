/**
 * Concurrent structure edits never lose text: replicas of a space (its catalog and each note's own body
 * document) exchange updates in both orders and end equal.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { $getRoot } from 'lexical';
import { bodyLinks, bodyText } from '../../shared/note-content';
import { bindNoteBody, copyNoteBody } from '../../shared/note-body';
import { initNoteBody, noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { newNoteDoc, noteBodyOf } from '../../shared/note-doc';
import {
  addTag,
  bodyEscapesDeletion,
  catalogNoteIds,
  createEntry,
  deleteEntryForever,
  deletionOf,
  entryState,
  entryTags,
  entryTitle,
  getEntry,
  initSpace,
  listNotes,
  RECOVERABLE_MS,
  recentlyDeleted,
  removeTag,
  renameEntry,
  restoreEntry,
  tagCounts,
  trashEntry,
} from '../../shared/catalog';
import { $createNoteLinkNode } from '../../shared/note-link-node';
import { MemorySpace } from './support/memory-space';

const ada = { id: 'ada-member-1', name: 'Ada' };
const bob = { id: 'bob-member-1', name: 'Bob' };

/** One device's copy of a space: the catalog and the body documents it holds. */
class Replica {
  readonly catalog = new Y.Doc();
  readonly bodies = new Map<string, Y.Doc>();

  body(noteId: string): Y.Doc {
    let doc = this.bodies.get(noteId);
    if (!doc) this.bodies.set(noteId, (doc = newNoteDoc(noteId)));
    return doc;
  }

  entry(noteId: string) {
    return getEntry(this.catalog, noteId)!;
  }

  /** Adds a note as the app does: its entry, and its body with a first paragraph or `markdown`. */
  create(options: { title: string; author: typeof ada; tags?: string[] }, markdown = ''): string {
    const id = createEntry(this.catalog, options);
    initNoteBody(this.body(id), id, markdown);
    return id;
  }

  markdown(noteId: string): string {
    return noteBodyToMarkdown(this.body(noteId), noteId);
  }

  /** Deletes a trashed or active note forever, with what this replica has seen of its body. */
  deleteForever(noteId: string, now?: number): void {
    deleteEntryForever(this.entry(noteId), Y.encodeStateVector(this.body(noteId)), now);
  }
}

/** Two replicas of one space, in sync to begin with. */
function pair(): [Replica, Replica] {
  const a = new Replica();
  initSpace(a.catalog, 'Ward 7');
  const b = new Replica();
  Y.applyUpdate(b.catalog, Y.encodeStateAsUpdate(a.catalog));
  return [a, b];
}

function exchangeDocs(a: Y.Doc, b: Y.Doc, order: 'a-first' | 'b-first'): void {
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

/** Delivers each side's changes to the other, catalog and every body; `order` chooses who receives first. */
function exchange(a: Replica, b: Replica, order: 'a-first' | 'b-first'): void {
  exchangeDocs(a.catalog, b.catalog, order);
  for (const id of new Set([...a.bodies.keys(), ...b.bodies.keys()])) exchangeDocs(a.body(id), b.body(id), order);
}

function typeInto(doc: Y.Doc, noteId: string, text: string): void {
  const { editor, dispose } = bindNoteBody(doc, noteId);
  editor.update(() => $getRoot().getLastChildOrThrow().selectEnd().insertText(text), { discrete: true });
  dispose();
}

function state(replica: Replica) {
  const doc = replica.catalog;
  return {
    active: listNotes(doc).map((n) => [n.id, n.title, n.tags.join(',')]),
    trashed: listNotes(doc, { state: 'trashed' }).map((n) => n.id),
    bodies: listNotes(doc)
      .concat(listNotes(doc, { state: 'trashed' }))
      .map((n) => replica.markdown(n.id)),
  };
}

/** Whether a host holding this replica's body would bring the deleted note back (see main/services/space-host.ts). */
function escapes(replica: Replica, noteId: string): boolean {
  const deletion = deletionOf(replica.entry(noteId));
  expect(deletion).not.toBeNull();
  return bodyEscapesDeletion(Y.decodeStateVector(Y.encodeStateVector(replica.body(noteId))), deletion!.bodySeen);
}

describe.each(['a-first', 'b-first'] as const)('concurrent structure edits (%s)', (order) => {
  it('two concurrent renames end with one and the same title', () => {
    const [a, b] = pair();
    const id = a.create({ title: 'Draft', author: ada });
    exchange(a, b, order);
    renameEntry(a.entry(id), 'Central line care', ada);
    renameEntry(b.entry(id), 'CVC care', bob);
    exchange(a, b, order);
    const title = entryTitle(a.entry(id));
    expect(['Central line care', 'CVC care']).toContain(title);
    expect(entryTitle(b.entry(id))).toBe(title);
  });

  it('a note edited on one replica while trashed on the other keeps the edits and can be restored', () => {
    const [a, b] = pair();
    const id = a.create({ title: 'Fall risk', author: ada }, 'Check the bed rails.');
    exchange(a, b, order);
    trashEntry(a.entry(id));
    typeInto(b.body(id), id, ' And the call bell.');
    exchange(a, b, order);
    for (const replica of [a, b]) {
      expect(entryState(replica.entry(id))).toBe('trashed');
      restoreEntry(replica.entry(id));
    }
    exchange(a, b, order);
    expect(entryState(a.entry(id))).toBe('active');
    expect(a.markdown(id)).toBe('Check the bed rails. And the call bell.');
    expect(state(a)).toEqual(state(b));
  });

  it('a note deleted forever on one replica while its entry was edited on the other comes back to the trash with the edits', () => {
    const [a, b] = pair();
    const id = a.create({ title: 'Sepsis screen', author: ada }, 'Lactate within one hour.');
    exchange(a, b, order);
    a.deleteForever(id);
    expect(entryState(a.entry(id))).toBe('deleted');
    renameEntry(b.entry(id), 'Sepsis screen (adults)', bob);
    addTag(b.entry(id), 'sepsis');
    exchange(a, b, order);
    for (const replica of [a, b]) {
      expect(entryState(replica.entry(id))).toBe('trashed');
      expect(entryTitle(replica.entry(id))).toBe('Sepsis screen (adults)');
      expect(entryTags(replica.entry(id))).toEqual(['sepsis']);
      expect(replica.markdown(id)).toBe('Lactate within one hour.');
    }
    expect(state(a)).toEqual(state(b));
  });

  it('a body edited where the delete-forever was not seen is detected, and the host brings the note back to the trash with the edits', () => {
    const [a, b] = pair();
    const id = a.create({ title: 'Sepsis screen', author: ada }, 'Lactate within one hour.');
    exchange(a, b, order);
    const deletedAt = Date.UTC(2024, 5, 1);
    a.deleteForever(id, deletedAt);
    expect(entryState(a.entry(id))).toBe('deleted');
    // The deleting replica had seen its whole body: nothing escapes yet.
    expect(escapes(a, id)).toBe(false);
    typeInto(b.body(id), id, ' Cultures before antibiotics.');
    exchange(a, b, order);
    for (const replica of [a, b]) {
      // The catalog alone cannot see a body edit: the entry still reads as deleted...
      expect(entryState(replica.entry(id))).toBe('deleted');
      expect(deletionOf(replica.entry(id))!.at).toBe(deletedAt);
      // ...but the body holds an edit the deleting replica had not seen, and the edit was kept.
      expect(escapes(replica, id)).toBe(true);
      expect(replica.markdown(id)).toBe('Lactate within one hour. Cultures before antibiotics.');
    }
    // What the host does then (space-host.ts): an ordinary catalog edit that every member receives.
    a.catalog.transact(() => {
      restoreEntry(a.entry(id));
      trashEntry(a.entry(id), deletionOf(b.entry(id))!.at);
    });
    exchange(a, b, order);
    for (const replica of [a, b]) {
      expect(entryState(replica.entry(id))).toBe('trashed');
      expect(deletionOf(replica.entry(id))).toBeNull();
      expect(listNotes(replica.catalog, { state: 'trashed' }).map((n) => [n.id, n.trashedAt])).toEqual([[id, deletedAt]]);
    }
    expect(state(a)).toEqual(state(b));
  });

  it('a delete that saw every edit stays deleted on both replicas', () => {
    const [a, b] = pair();
    const id = a.create({ title: 'Old rota', author: ada }, 'Mondays: Ada.');
    exchange(a, b, order);
    b.deleteForever(id);
    exchange(a, b, order);
    expect(entryState(a.entry(id))).toBe('deleted');
    expect(entryState(b.entry(id))).toBe('deleted');
    expect(escapes(a, id)).toBe(false);
    expect(escapes(b, id)).toBe(false);
    expect(listNotes(a.catalog, { state: 'trashed' })).toEqual([]);
    expect(listNotes(b.catalog, { state: 'trashed' })).toEqual([]);
    expect(listNotes(a.catalog, { state: 'deleted' }).map((n) => n.id)).toEqual([id]);
  });

  it('notes created concurrently all survive, with their tags merged', () => {
    const [a, b] = pair();
    const shared = a.create({ title: 'Shared', author: ada });
    exchange(a, b, order);
    const fromA = a.create({ title: 'From A', author: ada, tags: ['iv'] }, 'from a');
    const fromB = b.create({ title: 'From B', author: bob, tags: ['iv'] }, 'from b');
    addTag(a.entry(shared), 'handover');
    addTag(b.entry(shared), 'night shift');
    exchange(a, b, order);
    for (const replica of [a, b]) {
      expect(listNotes(replica.catalog).map((n) => n.id).sort()).toEqual([shared, fromA, fromB].sort());
      expect(entryTags(replica.entry(shared))).toEqual(['handover', 'night shift']);
      expect(tagCounts(listNotes(replica.catalog))).toEqual([
        { tag: 'handover', count: 1 },
        { tag: 'iv', count: 2 },
        { tag: 'night shift', count: 1 },
      ]);
      expect(replica.markdown(fromA)).toBe('from a');
      expect(replica.markdown(fromB)).toBe('from b');
    }
    expect(state(a)).toEqual(state(b));
  });
});

describe('notes', () => {
  it('stores titles and tags of any Unicode and any length whole', () => {
    const doc = new Y.Doc();
    const long = '長い題名🧪'.repeat(2000);
    const id = createEntry(doc, { title: long, author: ada, tags: ['  #日本語 ', 'x'.repeat(5000)] });
    const note = getEntry(doc, id)!;
    expect(entryTitle(note)).toBe(long);
    expect(entryTags(note)).toEqual(['x'.repeat(5000), '日本語'].sort((p, q) => p.localeCompare(q)));
    removeTag(note, '日本語');
    expect(entryTags(note)).toEqual(['x'.repeat(5000)]);
    // The same through a Yjs update, as another replica sees it.
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
    expect(entryTitle(getEntry(replica, id)!)).toBe(long);
    expect(entryTags(getEntry(replica, id)!)).toEqual(['x'.repeat(5000)]);
  });

  it('keeps bodies out of the catalog', () => {
    const space = new MemorySpace();
    const id = space.create({ title: 'Checklist', author: ada, markdown: 'a body that lives in its own document' });
    expect(catalogNoteIds(space.catalog)).toEqual([id]);
    expect(JSON.stringify(space.catalog.toJSON())).not.toContain('a body that lives');
    expect(space.body(id).guid).toBe(id);
    expect(space.markdown(id)).toBe('a body that lives in its own document');
  });

  it('duplicates a note with its body and tags (a new entry, and the body copied into its own document)', () => {
    const space = new MemorySpace();
    const id = space.create({ title: 'Checklist', author: ada, tags: ['a'] });
    initNoteBody(space.body(id), id, '# Steps\n\n- [ ] one\n- [x] two');
    // What duplicating does (renderer/spaces/note-actions.ts): a new entry, then the body copied.
    const original = getEntry(space.catalog, id)!;
    const copy = createEntry(space.catalog, { title: entryTitle(original) + ' (copy)', tags: entryTags(original), author: bob });
    copyNoteBody(space.body(id), id, space.body(copy), copy);
    expect(entryTitle(getEntry(space.catalog, copy)!)).toBe('Checklist (copy)');
    expect(entryTags(getEntry(space.catalog, copy)!)).toEqual(['a']);
    expect(space.markdown(copy)).toBe('# Steps\n\n- [ ] one\n- [x] two');
    expect(space.markdown(copy)).toBe(space.markdown(id));
    // The copy is independent of the original.
    typeInto(space.body(copy), copy, ' more');
    expect(space.markdown(copy)).toContain('more');
    expect(space.markdown(id)).not.toContain('more');
  });

  it('lists notes deleted forever in the last 30 days, newest first, and not those restored or older', () => {
    const doc = new Y.Doc();
    const now = 1_800_000_000_000;
    const ids = ['old', 'mid', 'new', 'restored', 'trashed'].map((title) => createEntry(doc, { title, author: ada }));
    const [old, mid, fresh, restored, trashed] = ids.map((id) => getEntry(doc, id)!);
    deleteEntryForever(old!, new Uint8Array([0]), now - RECOVERABLE_MS - 1);
    deleteEntryForever(mid!, new Uint8Array([0]), now - 1000);
    deleteEntryForever(fresh!, new Uint8Array([0]), now);
    deleteEntryForever(restored!, new Uint8Array([0]), now);
    restoreEntry(restored!);
    trashEntry(trashed!, now);
    expect(recentlyDeleted(doc, now).map((n) => n.title)).toEqual(['new', 'mid']);
    expect(recentlyDeleted(doc, now)[0]).toEqual({ id: ids[2], title: 'new', deletedAt: now });
  });

  it('reads body text and links without an editor', () => {
    const space = new MemorySpace();
    const target = space.create({ title: 'Target', author: ada });
    const id = space.create({ title: 'Source', author: ada });
    initNoteBody(space.body(id), id, '# Heading\n\nSee');
    const { editor, dispose } = bindNoteBody(space.body(id), id);
    editor.update(() => $getRoot().getLastChildOrThrow().selectEnd().insertNodes([$createNoteLinkNode(target, 'Target')]), { discrete: true });
    dispose();
    const body = noteBodyOf(space.body(id), id);
    expect(bodyText(body)).toBe('Heading\nSeeTarget');
    expect([...bodyLinks(body)]).toEqual([target]);
    // Letters before a block's first text run (its run deleted elsewhere as they were typed) are not shown, nor searched.
    ((body.toDelta() as Array<{ insert: unknown }>)[1]!.insert as Y.XmlText).insert(0, 'zz');
    expect(bodyText(body)).toBe('Heading\nSeeTarget');
  });
});
