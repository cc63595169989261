/**
 * Migration from schema 1 (one Y.Doc per space) to a catalog plus one document per note, tested on
 * files that schema-1 code wrote (test/fixtures/schema1): every note is kept as it was, two members'
 * copies migrated apart still merge into what schema 1 would have merged, and a data directory
 * migrates once, on first open, with its old files kept aside.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { catalogNoteIds, catalogSchema, entryState, getEntry, spaceName, summarizeEntry } from '../../shared/catalog';
import { splitLegacySpace } from '../../shared/legacy-space';
import { noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { readLegacySpace } from '../../main/services/legacy-store';
import { DocStore, readSpaceReadOnly, type StoreProblem } from '../../main/services/doc-store';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'schema1');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));
const SPACE = 'space-ward4-practice';

interface Described {
  name: string;
  notes: Record<string, { title: string; tags: string[]; state: string; createdAt: number; updatedAt: number; updatedBy: string; markdown: string }>;
  deleted: string[];
}

/** A migrated space as documents: the catalog and each body. */
function migrate(legacy: Y.Doc) {
  const split = splitLegacySpace(legacy);
  const catalog = new Y.Doc();
  Y.applyUpdate(catalog, split.catalog);
  const bodies = new Map<string, Y.Doc>();
  for (const { noteId, update } of split.notes) {
    const doc = new Y.Doc({ guid: noteId });
    Y.applyUpdate(doc, update);
    bodies.set(noteId, doc);
  }
  return { catalog, bodies, split };
}

function describeMigrated(catalog: Y.Doc, bodies: Map<string, Y.Doc>): Described {
  const notes: Described['notes'] = {};
  const deleted: string[] = [];
  for (const id of catalogNoteIds(catalog)) {
    const entry = getEntry(catalog, id)!;
    const state = entryState(entry);
    if (state === 'deleted') {
      deleted.push(id);
      continue;
    }
    const s = summarizeEntry(id, entry);
    notes[id] = { title: s.title, tags: s.tags, state, createdAt: s.createdAt, updatedAt: s.updatedAt, updatedBy: s.updatedBy, markdown: noteBodyToMarkdown(bodies.get(id)!, id) };
  }
  return { name: spaceName(catalog), notes, deleted };
}

function withoutMembers(described: Described & { members?: unknown }): Described {
  const { members: _members, ...rest } = described;
  return rest;
}

describe('splitting a schema-1 space', () => {
  it('keeps every note: title, tags, state, times and body, with no body in the catalog', async () => {
    const legacy = await readLegacySpace(join(FIXTURES, 'data-dir', 'spaces', SPACE));
    const { catalog, bodies, split } = migrate(legacy!);
    expect(split.pendingBytes).toBe(0);
    expect(catalogSchema(catalog)).toBe(2);
    expect(describeMigrated(catalog, bodies)).toEqual(withoutMembers(expected.dataDir[SPACE]));
    expect(catalog.getMap('members').toJSON()).toEqual(expected.dataDir[SPACE].members);
    // The catalog holds no body: no XmlText anywhere in it.
    const json = JSON.stringify(catalog.getMap('notes').toJSON());
    expect(json).not.toContain('Before you touch');
    for (const id of catalogNoteIds(catalog)) expect(getEntry(catalog, id)!.get('body')).toBeUndefined();
  });

  it('keeps the original item ids, so a body is no bigger than it was', async () => {
    const legacy = (await readLegacySpace(join(FIXTURES, 'data-dir', 'spaces', SPACE)))!;
    const { bodies, catalog } = migrate(legacy);
    const total = [...bodies.values()].reduce((sum, d) => sum + Y.encodeStateAsUpdate(d).byteLength, Y.encodeStateAsUpdate(catalog).byteLength);
    // Each document repeats only a little framing of the whole: split, the space is at most twice its old size.
    expect(total).toBeLessThan(2 * Y.encodeStateAsUpdate(legacy).byteLength);
  });

  it('two copies migrated apart merge into what schema 1 merged, with nothing doubled', async () => {
    const a = migrate((await readLegacySpace(join(FIXTURES, 'diverged', 'a', 'spaces', SPACE)))!);
    const b = migrate((await readLegacySpace(join(FIXTURES, 'diverged', 'b', 'spaces', SPACE)))!);
    expect(describeMigrated(a.catalog, a.bodies)).toEqual(withoutMembers(expected.diverged.a));
    expect(describeMigrated(b.catalog, b.bodies)).toEqual(withoutMembers(expected.diverged.b));
    const catalog = new Y.Doc();
    Y.applyUpdate(catalog, Y.encodeStateAsUpdate(a.catalog));
    Y.applyUpdate(catalog, Y.encodeStateAsUpdate(b.catalog));
    const bodies = new Map<string, Y.Doc>();
    for (const id of new Set([...a.bodies.keys(), ...b.bodies.keys()])) {
      const doc = new Y.Doc({ guid: id });
      for (const side of [a, b]) if (side.bodies.has(id)) Y.applyUpdate(doc, Y.encodeStateAsUpdate(side.bodies.get(id)!));
      bodies.set(id, doc);
    }
    expect(describeMigrated(catalog, bodies)).toEqual(withoutMembers(expected.diverged.merged));
  });
});

describe('a schema-1 data directory opened by the host', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function copyFixture(): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'commonplace-migrate-'));
    await cp(join(FIXTURES, 'data-dir'), dir, { recursive: true });
    return dir;
  }

  async function describeStore(store: DocStore, spaceId: string): Promise<Described> {
    const space = await store.space(spaceId);
    const bodies = new Map<string, Y.Doc>();
    for (const id of space.noteIds()) bodies.set(id, await space.doc(id));
    return describeMigrated(space.catalog, bodies);
  }

  it('migrates every space once, keeps the old files aside, and loses nothing', async () => {
    await copyFixture();
    const problems: StoreProblem[] = [];
    const store = new DocStore(dir, { onProblem: (p) => problems.push(p) });
    expect(await describeStore(store, SPACE)).toEqual(withoutMembers(expected.dataDir[SPACE]));
    expect(await describeStore(store, 'space-empty-000001')).toEqual(withoutMembers(expected.dataDir['space-empty-000001']));
    expect(problems.map((p) => [p.kind, p.spaceId])).toEqual([
      ['migrated', SPACE],
      ['migrated', 'space-empty-000001'],
    ]);
    await store.close();
    expect((await readdir(join(dir, 'spaces', SPACE))).sort()).toEqual(['docs.log', 'docs.pack', 'schema1-backup']);
    expect((await readdir(join(dir, 'spaces', SPACE, 'schema1-backup'))).sort()).toEqual(['log.bin', 'snapshot.bin']);
    const original = readFileSync(join(FIXTURES, 'data-dir', 'spaces', SPACE, 'snapshot.bin'));
    expect(readFileSync(join(dir, 'spaces', SPACE, 'schema1-backup', 'snapshot.bin'))).toEqual(original);

    // Opened again: nothing to migrate, the same notes.
    const again = new DocStore(dir, { onProblem: (p) => problems.push(p) });
    expect(await describeStore(again, SPACE)).toEqual(withoutMembers(expected.dataDir[SPACE]));
    expect(problems).toHaveLength(2);
    await again.close();
  });

  it('after a crash before the new pack was in place, migrates again from the old files', async () => {
    await copyFixture();
    const folder = join(dir, 'spaces', SPACE);
    await writeFile(join(folder, 'docs.pack.tmp'), Buffer.from('half a pack'));
    const store = new DocStore(dir);
    expect(await describeStore(store, SPACE)).toEqual(withoutMembers(expected.dataDir[SPACE]));
    await store.close();
  });

  it('after a crash once the new pack was in place, keeps it and only moves the old files aside', async () => {
    await copyFixture();
    const folder = join(dir, 'spaces', SPACE);
    const first = new DocStore(dir);
    await first.space(SPACE);
    await first.close();
    // As if the process died right after the rename: the old files are back beside the new pack.
    await cp(join(FIXTURES, 'data-dir', 'spaces', SPACE), folder, { recursive: true });
    const problems: StoreProblem[] = [];
    const store = new DocStore(dir, { onProblem: (p) => problems.push(p) });
    expect(await describeStore(store, SPACE)).toEqual(withoutMembers(expected.dataDir[SPACE]));
    expect(problems).toEqual([]);
    await store.close();
    expect((await readdir(folder)).sort()).toEqual(['docs.log', 'docs.pack', 'schema1-backup']);
  });

  it('read-only tools see a directory not yet migrated as migrated, and write nothing', async () => {
    await copyFixture();
    const snapshot = await readSpaceReadOnly(join(dir, 'spaces', SPACE));
    const bodies = new Map<string, Y.Doc>();
    for (const id of snapshot.noteIds()) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, await snapshot.readState(id));
      bodies.set(id, doc);
    }
    expect(describeMigrated(snapshot.catalog, bodies)).toEqual(withoutMembers(expected.dataDir[SPACE]));
    await snapshot.close();
    expect((await readdir(join(dir, 'spaces', SPACE))).sort()).toEqual(['log.bin', 'snapshot.bin']);
  });
});
