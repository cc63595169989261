import { $createParagraphNode, $createTextNode, $getRoot, type LexicalEditor } from 'lexical';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { clientMembers } from '../../shared/doc-clients';
import { decodeRanges, deletedIn, deletionsOf, encodeRanges, rangesHave, subtractRanges, unionRanges } from '../../shared/history/delete-set';
import { revertChanges } from '../../shared/history/revert';
import { viewText, viewVersion } from '../../shared/history/version-view';
import { EMPTY_POINT, pointOf, versionUpdate, type DocPoint } from '../../shared/history/version-update';
import { bindNoteBody } from '../../shared/note-body';
import { initNoteBody, noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { newNoteDoc, noteBodyOf } from '../../shared/note-doc';

const NOTE = 'note-history-1';

function edit(doc: Y.Doc, author: string, change: (editor: LexicalEditor) => void): void {
  const { editor, dispose } = bindNoteBody(doc, NOTE, { author });
  try {
    change(editor);
  } finally {
    dispose();
  }
}

function appendParagraph(doc: Y.Doc, author: string, text: string): void {
  edit(doc, author, (editor) => editor.update(() => $getRoot().append($createParagraphNode().append($createTextNode(text))), { discrete: true }));
}

function removeParagraph(doc: Y.Doc, author: string, index: number): void {
  edit(doc, author, (editor) => editor.update(() => $getRoot().getChildAtIndex(index)?.remove(), { discrete: true }));
}

function replaceText(doc: Y.Doc, author: string, index: number, text: string): void {
  edit(doc, author, (editor) =>
    editor.update(() => {
      const paragraph = $getRoot().getChildAtIndex(index);
      if (paragraph && 'clear' in paragraph) (paragraph as unknown as { clear(): void; append(n: unknown): void }).clear();
      (paragraph as unknown as { append(n: unknown): void }).append($createTextNode(text));
    }, { discrete: true }),
  );
}

/** Records versions the way a host does: each one the items since the last, plus its new deletions. */
class Recorder {
  versions: Array<{ update: Uint8Array; point: DocPoint }> = [];
  private tip: DocPoint = EMPTY_POINT;
  cut(doc: Y.Doc): boolean {
    const version = versionUpdate(doc, this.tip);
    if (!version) return false;
    this.versions.push({ update: version.update, point: version.point });
    this.tip = version.point;
    return true;
  }
  /** A scratch document holding versions 0..n, deleted content kept. */
  replay(n: number): Y.Doc {
    const scratch = new Y.Doc({ gc: false });
    for (const v of this.versions.slice(0, n + 1)) Y.applyUpdate(scratch, v.update);
    return scratch;
  }
}

describe('delete sets', () => {
  it('subtracts, unions and encodes as Yjs does', () => {
    const a = new Map([[5, [[0, 10], [20, 5]] as Array<[number, number]>], [7, [[3, 1]] as Array<[number, number]>]]);
    const b = new Map([[5, [[2, 3], [20, 10]] as Array<[number, number]>]]);
    expect([...subtractRanges(a, b)]).toEqual([[5, [[0, 2], [5, 5]]], [7, [[3, 1]]]]);
    expect([...unionRanges(a, b)]).toEqual([[5, [[0, 10], [20, 10]]], [7, [[3, 1]]]]);
    expect(decodeRanges(encodeRanges(a))).toEqual(a);
    expect(rangesHave(a, 5, 9)).toBe(true);
    expect(rangesHave(a, 5, 10)).toBe(false);
    expect(rangesHave(a, 5, 24)).toBe(true);
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hello world');
    doc.getText('t').delete(0, 6);
    expect(deletionsOf(Y.encodeStateAsUpdate(doc))).toEqual(deletedIn(doc));
    expect(() => decodeRanges(new Uint8Array([1, 2, 200]))).toThrow();
  });
});

describe('versions as stored updates', () => {
  it('replays every version exactly, each carrying only its own deletions', () => {
    const doc = newNoteDoc(NOTE);
    const rec = new Recorder();
    initNoteBody(doc, NOTE, 'First paragraph\n\nSecond paragraph\n\nThird paragraph', 'ada');
    rec.cut(doc);
    expect(rec.cut(doc)).toBe(false);
    removeParagraph(doc, 'bob', 1);
    rec.cut(doc);
    replaceText(doc, 'bob', 0, 'First, rewritten');
    rec.cut(doc);
    appendParagraph(doc, 'ada', 'Fourth');
    rec.cut(doc);
    expect(rec.versions).toHaveLength(4);
    for (let n = 0; n < rec.versions.length; n++) {
      const scratch = rec.replay(n);
      expect(Y.encodeStateVector(scratch)).toEqual(Y.encodeStateVector(docAt(rec, n)));
    }
    const final = rec.replay(3);
    expect(noteBodyToMarkdown(final, NOTE)).toBe(noteBodyToMarkdown(doc, NOTE));
    // Only the deletions each version made, not the whole history's.
    const removed = deletionsOf(rec.versions[1]!.update);
    expect(removed.size).toBeGreaterThan(0);
    expect(subtractRanges(removed, deletionsOf(rec.versions[3]!.update))).toEqual(removed);
    expect(deletionsOf(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(rec.versions[2]!.point.stateVector)))).toEqual(deletedIn(doc));
  });

  it('shows a version with what was added and removed against the one before, and who did it', () => {
    const doc = newNoteDoc(NOTE);
    const rec = new Recorder();
    initNoteBody(doc, NOTE, 'Keep this\n\nDelete this\n\nChange this', 'ada');
    rec.cut(doc);
    removeParagraph(doc, 'bob', 1);
    replaceText(doc, 'bob', 1, 'Changed by Bob');
    rec.cut(doc);
    const scratch = rec.replay(1);
    const members = clientMembers(doc);
    const view = viewVersion(noteBodyOf(scratch, NOTE), rec.versions[1]!.point, rec.versions[0]!.point, {
      clientMember: (client) => members.get(client),
      deletedBy: () => 'bob',
    });
    expect(viewText(view)).toBe('Keep this\nChanged by Bob');
    expect(viewText(view, 'previous')).toBe('Keep this\nDelete this\nChange this');
    const removed = view.blocks.find((b) => b.change === 'removed');
    expect(removed?.runs.map((r) => r.text).join('')).toBe('Delete this');
    const added = view.blocks.flatMap((b) => b.runs).filter((r) => r.change === 'added');
    expect(added.map((r) => r.text).join('')).toBe('Changed by Bob');
    expect(added[0]!.by).toBe('bob');
    expect(view.wordsAdded).toBe(3);
    expect(view.wordsRemoved).toBe(4);
    // A plain view of the first version has no changes.
    const first = viewVersion(noteBodyOf(rec.replay(0), NOTE), rec.versions[0]!.point, rec.versions[0]!.point);
    expect(viewText(first)).toBe('Keep this\nDelete this\nChange this');
    expect(first.wordsAdded + first.wordsRemoved).toBe(0);
  });

  it('restores an old version as a new edit that merges with a concurrent one', () => {
    const doc = newNoteDoc(NOTE);
    const rec = new Recorder();
    initNoteBody(doc, NOTE, 'One\n\nTwo\n\nThree\n\nFour', 'ada');
    rec.cut(doc);
    removeParagraph(doc, 'bob', 1);
    removeParagraph(doc, 'bob', 1);
    replaceText(doc, 'bob', 0, 'Uno');
    rec.cut(doc);
    expect(noteBodyToMarkdown(doc, NOTE)).toBe('Uno\n\nFour');
    // Back to version 0: undo everything since its point.
    const scratch = rec.replay(rec.versions.length - 1);
    const since = rec.versions[0]!.point;
    const now = pointOf(scratch);
    const inserted = new Map([...now.stateVector].filter(([c, clock]) => clock > (since.stateVector.get(c) ?? 0)).map(([c, clock]) => [c, [[since.stateVector.get(c) ?? 0, clock - (since.stateVector.get(c) ?? 0)]] as Array<[number, number]>]));
    const reverted = revertChanges(scratch, [noteBodyOf(scratch, NOTE)], inserted, subtractRanges(now.deleted, since.deleted));
    expect(reverted).not.toBeNull();
    const update = reverted!.update;
    expect(reverted!.redone.size).toBeGreaterThan(0);
    // Meanwhile another replica appends a paragraph.
    const peer = newNoteDoc(NOTE);
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
    appendParagraph(peer, 'cy', 'Five');
    Y.applyUpdate(doc, update);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer));
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
    expect(noteBodyToMarkdown(doc, NOTE)).toBe('One\n\nTwo\n\nThree\n\nFour\n\nFive');
    expect(noteBodyToMarkdown(peer, NOTE)).toBe(noteBodyToMarkdown(doc, NOTE));
  });

  it('names the author of an edit that only deletes', () => {
    const doc = newNoteDoc(NOTE);
    initNoteBody(doc, NOTE, 'a\n\nb', 'ada');
    const peer = newNoteDoc(NOTE);
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
    let update: Uint8Array | null = null;
    peer.on('update', (u: Uint8Array) => (update = u));
    removeParagraph(peer, 'bob', 1);
    expect(update).not.toBeNull();
    const meta = Y.parseUpdateMeta(update!);
    expect([...meta.to.keys()]).toEqual([peer.clientID]);
    Y.applyUpdate(doc, update!);
    expect(clientMembers(doc).get(peer.clientID)).toBe('bob');
  });
});

/** The state a recorder's version n describes, rebuilt independently. */
function docAt(rec: Recorder, n: number): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.mergeUpdates(rec.versions.slice(0, n + 1).map((v) => v.update)));
  return doc;
}
