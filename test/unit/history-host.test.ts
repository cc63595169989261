/**
 * History as a host keeps it: versions recorded from real appends (the member's own edits and what
 * peers send), shown with who changed what, restored and undone as new edits, and what the member
 * has not seen yet.
 */
import { addReply, addThread, setResolved } from '../../shared/comments';
import type { VersionInfo } from '../../shared/history/history-types';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $getRoot } from 'lexical';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HostService, type HostClient } from '../../main/services/host-service';
import { logger } from '../../main/services/logger';
import { createEntry, entryState, getEntry, initSpace, trashEntry } from '../../shared/catalog';
import { nameClient } from '../../shared/doc-clients';
import { viewText } from '../../shared/history/version-view';
import type { HostEventName, HostEvents } from '../../shared/host-api';
import { bindNoteBody } from '../../shared/note-body';
import { initNoteBody, noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { newNoteDoc } from '../../shared/note-doc';

logger.setQuiet(true);

const SPACE = 'space-hist0001';
const A = { id: 'member-aaaa', name: 'Ada', color: '#aa0000' };
const B = { id: 'member-bbbb', name: 'Bob', color: '#0000bb' };

class Client implements HostClient {
  events: Array<{ event: HostEventName; payload: unknown }> = [];
  send<E extends HostEventName>(event: E, payload: HostEvents[E]): void {
    this.events.push({ event, payload });
  }
}

/** A member's replica of a document: edits become updates sent with `send`. */
class Replica {
  readonly doc: Y.Doc;
  private pending: Uint8Array[] = [];
  constructor(readonly id: string) {
    this.doc = id === 'catalog' ? new Y.Doc() : newNoteDoc(id);
    this.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && this.pending.push(u));
  }
  take(): Uint8Array {
    const u = Y.mergeUpdates(this.pending);
    this.pending = [];
    return u;
  }
  receive(update: Uint8Array) {
    Y.applyUpdate(this.doc, update, 'remote');
  }
}

function removeParagraphs(doc: Y.Doc, noteId: string, author: string, from: number, count: number) {
  const { editor, dispose } = bindNoteBody(doc, noteId, { author });
  editor.update(() => {
    for (let i = 0; i < count; i++) $getRoot().getChildAtIndex(from)?.remove();
  }, { discrete: true });
  dispose();
}

function rewriteParagraph(doc: Y.Doc, noteId: string, author: string, index: number, text: string) {
  const { editor, dispose } = bindNoteBody(doc, noteId, { author });
  editor.update(() => {
    const paragraph = $getRoot().getChildAtIndex(index) as unknown as { getFirstDescendant(): { setTextContent(t: string): void } | null };
    paragraph.getFirstDescendant()?.setTextContent(text);
  }, { discrete: true });
  dispose();
}

const ORIGINAL = ['One: how we prepare the ward', 'Two: checks before a shift', 'Three: handover notes', 'Four: what to escalate'].join('\n\n');

let dataDir: string;
let service: HostService;
let clock: number;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cp-history-'));
  await writeFile(join(dataDir, 'profile.json'), JSON.stringify(A));
  clock = 1_000_000;
  service = new HostService({ dataDir, host: 'web', version: 'test', historyTiming: { idleMs: 20, maxMs: 60_000, switchGapMs: 0, now: () => clock } });
});

afterEach(async () => {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setUp(client: Client) {
  const catalog = new Replica('catalog');
  initSpace(catalog.doc, 'Ward');
  nameClient(catalog.doc, A.id);
  const noteId = createEntry(catalog.doc, { title: 'Shift routine', author: A });
  const otherId = createEntry(catalog.doc, { title: 'Escalation', author: A });
  await service.handle(client, 'space.append', { spaceId: SPACE, update: catalog.take(), source: 'local' });
  const note = new Replica(noteId);
  initNoteBody(note.doc, noteId, ORIGINAL, A.id);
  await service.handle(client, 'note.append', { spaceId: SPACE, noteId, update: note.take(), source: 'local' });
  const other = new Replica(otherId);
  initNoteBody(other.doc, otherId, 'Call the registrar', A.id);
  await service.handle(client, 'note.append', { spaceId: SPACE, noteId: otherId, update: other.take(), source: 'local' });
  return { catalog, note, noteId, otherId };
}

describe('history recorded by a host', () => {
  it('records versions with their authors, shows changes, restores, undoes a member and tells what is new', async () => {
    const a = new Client();
    const { catalog, noteId, otherId } = await setUp(a);
    await wait(60);
    clock += 60_000;
    const before = (await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: Array<{ n: number; authors: string[] }> };
    expect(before.versions).toHaveLength(1);
    expect(before.versions[0]!.authors).toEqual([A.id]);
    // Nothing is new to A: A wrote all of it.
    expect(((await service.handle(a, 'space.news', { spaceId: SPACE })) as { notes: unknown[] }).notes).toEqual([]);

    // Bob, on another device, gets the space and edits: half the note deleted, a paragraph rewritten, another note trashed.
    const bobNote = new Replica(noteId);
    const { update: noteState } = (await service.handle(a, 'note.sync', { spaceId: SPACE, noteId, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
    bobNote.receive(noteState);
    const bobCatalog = new Replica('catalog');
    const { update: catalogState } = (await service.handle(a, 'space.sync', { spaceId: SPACE, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
    bobCatalog.receive(catalogState);
    const since = clock;
    clock += 1000;
    removeParagraphs(bobNote.doc, noteId, B.id, 2, 2);
    rewriteParagraph(bobNote.doc, noteId, B.id, 1, 'Two: we skip the checks');
    trashEntry(getEntry(bobCatalog.doc, otherId)!);
    nameClient(bobCatalog.doc, B.id);
    const bobsText = noteBodyToMarkdown(bobNote.doc, noteId);
    expect(bobsText).toBe('One: how we prepare the ward\n\nTwo: we skip the checks');
    // What Bob's window relays reaches A's host as a push from peers.
    const peer = new Client();
    await service.handle(peer, 'notes.push', { spaceId: SPACE, updates: [{ docId: noteId, update: bobNote.take() }, { docId: 'catalog', update: bobCatalog.take() }] });
    await wait(60);

    const news = (await service.handle(a, 'space.news', { spaceId: SPACE })) as { notes: Array<{ noteId: string; versions: Array<{ authors: string[]; wordsRemoved: number }>; entries: Array<{ change: string; authors: string[] }> }> };
    const noteNews = news.notes.find((n) => n.noteId === noteId);
    expect(noteNews?.versions[0]?.authors).toEqual([B.id]);
    expect(noteNews!.versions[0]!.wordsRemoved).toBeGreaterThan(5);
    const otherNews = news.notes.find((n) => n.noteId === otherId);
    expect(otherNews?.entries).toEqual([{ change: 'trashed', at: expect.any(Number), authors: [B.id] }]);

    // History lists Bob's version first; showing it marks what Bob removed and added, and by whom.
    const { versions } = (await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: Array<{ n: number; authors: string[] }> };
    expect(versions.map((v) => v.authors)).toEqual([[B.id], [A.id]]);
    const { shown } = (await service.handle(a, 'note.version', { spaceId: SPACE, noteId, n: versions[0]!.n })) as { shown: Parameters<typeof viewText>[0] & { against: number } };
    expect(viewText(shown)).toBe('One: how we prepare the ward\nTwo: we skip the checks');
    expect(viewText(shown, 'previous')).toBe(ORIGINAL.replace(/\n\n/g, '\n'));
    const runs = shown.blocks.flatMap((b) => b.runs);
    expect(runs.filter((r) => r.change === 'removed').map((r) => r.by)).toContain(B.id);
    expect(runs.find((r) => r.change === 'added')?.by).toBe(B.id);

    // The undo preview names the notes Bob changed, and the catalog (the trashed note).
    const preview = (await service.handle(a, 'space.revertMember', { spaceId: SPACE, memberId: B.id, since, apply: false })) as { notes: Array<{ noteId: string }>; catalog: boolean };
    expect(preview.notes.map((n) => n.noteId)).toEqual([noteId]);
    expect(preview.catalog).toBe(true);

    // A restores the first version: a new edit, sent to every holder of the note.
    const holder = new Client();
    await service.handle(holder, 'note.sync', { spaceId: SPACE, noteId, stateVector: new Uint8Array([0]) });
    const { update: restore } = (await service.handle(a, 'note.restore', { spaceId: SPACE, noteId, n: versions[1]!.n })) as { update: Uint8Array };
    expect(holder.events.some((e) => e.event === 'note.update')).toBe(true);
    bobNote.receive(restore);
    expect(noteBodyToMarkdown(bobNote.doc, noteId)).toBe(ORIGINAL);
    // Then A undoes Bob's changes: the note stays as restored (nothing twice), the trashed note is back.
    await service.handle(a, 'space.revertMember', { spaceId: SPACE, memberId: B.id, since, apply: true });
    const { update: latest } = (await service.handle(a, 'note.sync', { spaceId: SPACE, noteId, stateVector: Y.encodeStateVector(bobNote.doc) })) as { update: Uint8Array };
    bobNote.receive(latest);
    expect(noteBodyToMarkdown(bobNote.doc, noteId)).toBe(ORIGINAL);
    const { update: catalogNow } = (await service.handle(a, 'space.sync', { spaceId: SPACE, stateVector: Y.encodeStateVector(bobCatalog.doc) })) as { update: Uint8Array };
    bobCatalog.receive(catalogNow);
    expect(entryState(getEntry(bobCatalog.doc, otherId)!)).toBe('active');
    expect(catalog.doc).toBeDefined();

    // Both reverts are versions of their own, by A; history was never rewritten.
    const after = (await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: Array<{ kind: string; authors: string[] }> };
    expect(after.versions[0]!.kind).toBe('restore');
    expect(after.versions.length).toBeGreaterThanOrEqual(3);

    // Seen: once A looks at the note, it is no longer new.
    await service.handle(a, 'note.seen', { spaceId: SPACE, noteIds: [noteId] });
    const later = (await service.handle(a, 'space.news', { spaceId: SPACE })) as { notes: Array<{ noteId: string }> };
    expect(later.notes.map((n) => n.noteId)).not.toContain(noteId);

    // A space removed from this device takes its history with it.
    await service.handle(a, 'spaces.remove', { spaceId: SPACE });
    expect(((await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: unknown[] }).versions).toEqual([]);
    expect(((await service.handle(a, 'note.version', { spaceId: SPACE, noteId, n: 0 })) as { shown: unknown }).shown).toBeNull();
    await expect(service.handle(a, 'note.version', { spaceId: SPACE, noteId, n: -1 })).rejects.toMatchObject({ code: 'invalid-input' });
  });

  it('counts the comments a version added and the threads it resolved, and tells them as news', async () => {
    const a = new Client();
    const { noteId } = await setUp(a);
    await wait(60);
    clock += 60_000;
    const bobNote = new Replica(noteId);
    const { update: noteState } = (await service.handle(a, 'note.sync', { spaceId: SPACE, noteId, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
    bobNote.receive(noteState);
    nameClient(bobNote.doc, B.id);
    addThread(bobNote.doc, { id: 'thread-1', quote: 'checks before a shift', comment: { id: 'c1', author: B, at: clock, text: 'Which checks?' } });
    addReply(bobNote.doc, 'thread-1', { id: 'c2', author: B, at: clock + 1, text: 'The fridge, for one.' });
    const peer = new Client();
    await service.handle(peer, 'notes.push', { spaceId: SPACE, updates: [{ docId: noteId, update: bobNote.take() }] });
    await wait(60);
    clock += 60_000;
    setResolved(bobNote.doc, 'thread-1', true, B, clock);
    await service.handle(peer, 'notes.push', { spaceId: SPACE, updates: [{ docId: noteId, update: bobNote.take() }] });
    await wait(60);
    const { versions } = (await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: VersionInfo[] };
    expect(versions.map((v) => [v.comments ?? 0, v.resolved ?? 0, v.wordsAdded])).toEqual([
      [0, 1, 0],
      [2, 0, 0],
      [0, 0, expect.any(Number)],
    ]);
    expect(versions[1]!.authors).toEqual([B.id]);
    const news = (await service.handle(a, 'space.news', { spaceId: SPACE })) as { notes: Array<{ noteId: string; versions: VersionInfo[] }> };
    expect(news.notes.find((n) => n.noteId === noteId)!.versions.reduce((sum, v) => sum + (v.comments ?? 0), 0)).toBe(2);
  });

  it('keeps history across a restart, and skips a damaged record without touching the note', async () => {
    const a = new Client();
    const { noteId, note } = await setUp(a);
    await wait(60);
    removeParagraphs(note.doc, noteId, A.id, 0, 1);
    await service.handle(a, 'note.append', { spaceId: SPACE, noteId, update: note.take(), source: 'local' });
    await wait(60);
    removeParagraphs(note.doc, noteId, A.id, 0, 1);
    await service.handle(a, 'note.append', { spaceId: SPACE, noteId, update: note.take(), source: 'local' });
    await service.close();
    // Damage the middle of the log: the second version's record.
    const path = join(dataDir, 'spaces', SPACE, 'history.log');
    const bytes = await readFile(path);
    const marker = Buffer.from([0xc0, 0x9b, 0x1e, 0x5a]);
    const records: number[] = [];
    for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 1)) records.push(at);
    expect(records.length).toBeGreaterThanOrEqual(4);
    const noteRecords = records.slice(-3);
    const at = noteRecords[1]! + 20;
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(path, bytes);
    service = new HostService({ dataDir, host: 'web', version: 'test', historyTiming: { idleMs: 20, maxMs: 60_000, switchGapMs: 0, now: () => clock } });
    const { versions } = (await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: Array<{ n: number; available: boolean }> };
    expect(versions.map((v) => [v.n, v.available])).toEqual([
      [2, false],
      [0, true],
    ]);
    const { shown } = (await service.handle(a, 'note.version', { spaceId: SPACE, noteId, n: 2 })) as { shown: unknown };
    expect(shown).toBeNull();
    const { update } = (await service.handle(a, 'note.sync', { spaceId: SPACE, noteId, stateVector: new Uint8Array([0]) })) as { update: Uint8Array };
    const copy = newNoteDoc(noteId);
    Y.applyUpdate(copy, update);
    expect(noteBodyToMarkdown(copy, noteId)).toBe(noteBodyToMarkdown(note.doc, noteId));
    // The next edit starts a new chain from the note as it is.
    removeParagraphs(note.doc, noteId, A.id, 0, 1);
    await service.handle(a, 'note.append', { spaceId: SPACE, noteId, update: note.take(), source: 'local' });
    const now = (await service.handle(a, 'note.history', { spaceId: SPACE, noteId })) as { versions: Array<{ n: number; available: boolean; kind: string }> };
    expect(now.versions[0]!.available).toBe(true);
    expect(now.versions.slice(0, 2).map((v) => v.kind)).toEqual(['edit', 'baseline']);
  });
});
