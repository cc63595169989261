/** The commonplace CLI and the host API methods, on real temp data directories. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { HostClient } from '../../main/services/host-service';
import type { HostResult } from '../../shared/host-api';
import { HostService } from '../../main/services/host-service';
import { acquireDataDir, lockPath } from '../../main/services/data-dir';
import { startWebHost } from '../../main/web/web-host';
import { readSpaceReadOnly } from '../../main/services/doc-store';
import { createEntry, initSpace, listNotes, recordMember } from '../../shared/catalog';
import { nameClient } from '../../shared/doc-clients';
import { initNoteBody, noteBodyToMarkdown } from '../../shared/markdown/note-markdown';
import { newNoteDoc } from '../../shared/note-doc';
import { bundleCli } from './support/cli-bundle';

let work: string;
let cli: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cp-md-cli-'));
  cli = join(work, 'commonplace.mjs');
  await bundleCli(cli);
  await mkdir(join(work, 'notes', 'topic'), { recursive: true });
  await writeFile(join(work, 'notes', 'First.md'), '---\ntags: [craft]\n---\nLinks to [[Second]].');
  await writeFile(join(work, 'notes', 'topic', 'Second.md'), '# Second\n\nBack to [first](../First.md).');
  await writeFile(join(work, 'notes', 'photo.jpg'), new Uint8Array([0xff, 0xd8]));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('commonplace CLI', () => {
  it('prints usage and exits 2 on wrong arguments', async () => {
    expect((await run()).code).toBe(2);
    const wrong = await run('export', '--bogus');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('usage: npm run commonplace');
    expect((await run('frobnicate', '--data-dir', work)).code).toBe(2);
    expect((await run('export', '--data-dir', work, '--out', join(work, 'x'))).code).toBe(2);
  });

  it('imports a folder into a new space, lists it, and exports it as a folder, a zip, one note and everything', async () => {
    const dataDir = join(work, 'data1');
    const imported = await run('import', '--data-dir', dataDir, '--space', 'Guild', '--from', join(work, 'notes'));
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('imported 2, skipped 1, failed 0');
    expect(imported.stdout).toContain('photo.jpg: not a Markdown file');
    expect(existsSync(lockPath(dataDir))).toBe(false); // the lock was released

    const spaces = await run('spaces', '--data-dir', dataDir);
    expect(spaces.stdout).toMatch(/\t2 notes\tGuild/);
    const spaceId = spaces.stdout.split('\t')[0]!;

    const folder = join(work, 'out-folder');
    expect((await run('export', '--data-dir', dataDir, '--space', 'guild', '--out', folder)).code).toBe(0);
    // Each note goes back into the folder it was imported from.
    expect((await readdir(folder)).sort()).toEqual(['First.md', 'index.md', 'topic']);
    expect(await readdir(join(folder, 'topic'))).toEqual(['Second.md']);
    expect(await readFile(join(folder, 'First.md'), 'utf8')).toContain('Links to [Second](topic/Second.md).');
    expect(await readFile(join(folder, 'index.md'), 'utf8')).toContain('## craft');

    const zipPath = join(work, 'out.zip');
    expect((await run('export', '--data-dir', dataDir, '--space', spaceId, '--out', zipPath, '--zip', '--wikilinks')).code).toBe(0);
    const entries = unzipSync(new Uint8Array(await readFile(zipPath)));
    expect(new TextDecoder().decode(entries['First.md'])).toContain('Links to [[Second]].');

    const all = join(work, 'out-all');
    expect((await run('export', '--data-dir', dataDir, '--all', '--out', all)).code).toBe(0);
    expect(await readdir(join(all, 'Guild'))).toContain('index.md');

    const id = /^id: (.+)$/m.exec(await readFile(join(folder, 'topic', 'Second.md'), 'utf8'))![1]!;
    const one = join(work, 'out-one');
    expect((await run('export', '--data-dir', dataDir, '--space', 'Guild', '--note', id, '--out', one)).code).toBe(0);
    expect(await readdir(one)).toEqual(['Second.md']);
    // A note that is not there is named in the error.
    const unknown = await run('export', '--data-dir', dataDir, '--space', 'Guild', '--note', 'note-not-here-01', '--out', join(work, 'out-none'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Commonplace: no note note-not-here-01 in this space');

    // Re-importing the export into the same space adds its notes; the index is skipped.
    const again = await run('import', '--data-dir', dataDir, '--space', spaceId, '--from', folder);
    expect(again.stdout).toContain('imported 2, skipped 1, failed 0');
    expect((await run('spaces', '--data-dir', dataDir)).stdout).toMatch(/\t4 notes\tGuild/);
  });

  it('fails clearly on a space that does not exist and on an import with nothing importable', async () => {
    const dataDir = join(work, 'data2');
    const missing = await run('export', '--data-dir', dataDir, '--space', 'Nope', '--out', join(work, 'never'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no space is named or has the id "Nope"');
    expect(existsSync(join(work, 'never'))).toBe(false);
    await mkdir(join(work, 'only-binary'), { recursive: true });
    await writeFile(join(work, 'only-binary', 'x.md'), new Uint8Array([0, 1, 2]));
    const nothing = await run('import', '--data-dir', dataDir, '--space', 'Empty', '--from', join(work, 'only-binary'));
    expect(nothing.code).toBe(1);
    expect(nothing.stdout).toContain('FAILED   x.md: a binary file');
  });

  it('imports through a running host, which broadcasts the notes to open windows', async () => {
    const dataDir = join(work, 'data3');
    const lock = acquireDataDir(dataDir, { host: 'web host' });
    const service = new HostService({ dataDir, host: 'web', version: 'test' });
    const host = await startWebHost({ service, rendererDir: work, port: 0, fallbackToFreePort: true });
    lock.update({ url: host.url });
    try {
      const received: Uint8Array[] = [];
      const changed: string[][] = [];
      const window: HostClient = {
        send: (event, payload) => {
          if (event === 'space.update') received.push((payload as { update: Uint8Array }).update);
          if (event === 'space.changed') changed.push((payload as { noteIds: string[] }).noteIds);
        },
      };
      // Create the space through the host, as the app would, and watch it.
      const created = await run('import', '--data-dir', dataDir, '--space', 'Live', '--from', join(work, 'notes', 'First.md'));
      expect(created.code).toBe(0);
      expect(created.stdout).toContain('through the running host');
      expect(created.stdout + created.stderr, 'the token stays out of the terminal').not.toContain(host.token);
      const { spaces } = (await service.handle(window, 'spaces.list', {})) as { spaces: Array<{ id: string; name: string; noteCount: number }> };
      const live = spaces.find((s) => s.name === 'Live')!;
      expect(live.noteCount).toBe(1);
      await service.handle(window, 'space.subscribe', { spaceId: live.id });
      const more = await run('import', '--data-dir', dataDir, '--space', live.id, '--from', join(work, 'notes', 'topic'));
      expect(more.code).toBe(0);
      // The catalog's entries reach the window as one update, and the note whose body arrived is named.
      expect(received.length).toBe(1);
      const replica = new Y.Doc();
      Y.applyUpdate(replica, (await service.handle(window, 'space.sync', { spaceId: live.id, stateVector: new Uint8Array([0]) }) as { update: Uint8Array }).update);
      expect(listNotes(replica).map((n) => n.title).sort()).toEqual(['First', 'Second']);
      const second = listNotes(replica).find((n) => n.title === 'Second')!.id;
      expect(changed).toEqual([[second]]);
      // Both bodies went to the host (each note is a document of its own).
      for (const note of listNotes(replica)) {
        const body = newNoteDoc(note.id);
        Y.applyUpdate(body, (await service.handle(window, 'note.sync', { spaceId: live.id, noteId: note.id, stateVector: new Uint8Array([0]) }) as { update: Uint8Array }).update);
        expect(noteBodyToMarkdown(body, note.id)).toContain(note.title === 'First' ? 'Links to [[Second]].' : 'Back to [first](../First.md).');
      }
    } finally {
      await host.close();
      await service.close();
      lock.release();
    }
  });

  it('refuses to import when a host holds the data directory but cannot be reached', async () => {
    const dataDir = join(work, 'data4');
    await mkdir(dataDir, { recursive: true });
    await writeFile(lockPath(dataDir), JSON.stringify({ pid: process.pid, host: 'web host', url: 'http://127.0.0.1:9/', startedAt: new Date().toISOString() }));
    const refused = await run('import', '--data-dir', dataDir, '--space', 'X', '--from', join(work, 'notes'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Nothing was imported');
    expect(existsSync(join(dataDir, 'spaces'))).toBe(false);
  });
});

describe('commonplace history', () => {
  it("lists a note's versions and exports one of them as Markdown", async () => {
    const dataDir = await mkdtemp(join(work, 'history-'));
    await writeFile(join(dataDir, 'profile.json'), JSON.stringify({ id: 'member-cli-1', name: 'Cleo', color: '#336699' }));
    const service = new HostService({ dataDir, host: 'web', version: 'test' });
    const client: HostClient = { send: () => {} };
    const spaceId = 'space-hist-cli';
    const catalog = new Y.Doc();
    initSpace(catalog, 'Clinic');
    recordMember(catalog, { id: 'member-cli-1', name: 'Cleo' });
    nameClient(catalog, 'member-cli-1');
    const noteId = createEntry(catalog, { title: 'Dressings', author: { id: 'member-cli-1', name: 'Cleo' } });
    await service.handle(client, 'space.append', { spaceId, update: Y.encodeStateAsUpdate(catalog), source: 'local' });
    const body = newNoteDoc(noteId);
    initNoteBody(body, noteId, 'Change dressings daily.', 'member-cli-1');
    await service.handle(client, 'note.append', { spaceId, noteId, update: Y.encodeStateAsUpdate(body), source: 'local' });
    await service.handle(client, 'note.seen', { spaceId, noteIds: [noteId] });
    const before = Y.encodeStateVector(body);
    initNoteBody(body, noteId, 'Change dressings every second day.', 'member-cli-1');
    await service.handle(client, 'note.append', { spaceId, noteId, update: Y.encodeStateAsUpdate(body, before), source: 'local' });
    await service.close();

    const listed = await run('history', '--data-dir', dataDir, '--space', 'Clinic', '--note', noteId);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^1\t\S+\tedit\tCleo\t\+\d+ -\d+ words$/);
    expect(lines[1]).toMatch(/^0\t/);

    const outDir = join(work, 'history-out');
    const exported = await run('export', '--data-dir', dataDir, '--space', spaceId, '--note', noteId, '--version', '0', '--out', outDir);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(await readFile(join(outDir, 'Dressings.md'), 'utf8')).toContain('Change dressings daily.');
    const latest = await run('export', '--data-dir', dataDir, '--space', spaceId, '--note', noteId, '--version', '1', '--out', join(work, 'history-out-1'));
    expect(latest.code).toBe(0);
    expect(await readFile(join(work, 'history-out-1', 'Dressings.md'), 'utf8')).toContain('every second day');
    const missing = await run('export', '--data-dir', dataDir, '--space', spaceId, '--note', noteId, '--version', '9', '--out', join(work, 'history-out-9'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no version 9');
    expect((await run('export', '--data-dir', dataDir, '--space', spaceId, '--version', '1', '--out', outDir)).code).toBe(2);
  });
});

describe('host API: space.importMarkdown and space.exportMarkdown', () => {
  it('imports files, makes them durable, reaches every subscriber (the caller too), and exports a zip', async () => {
    const dataDir = join(work, 'data5');
    const service = new HostService({ dataDir, host: 'web', version: 'test' });
    try {
      // What each subscriber received, but 'space.indexed' (the search index catching up, whenever it does).
      const got: Array<{ to: string; event: string; payload: unknown }> = [];
      const client = (to: string): HostClient => ({ send: (event, payload) => event !== 'space.indexed' && got.push({ to, event, payload }) });
      const caller = client('caller');
      const other = client('other');
      const spaceId = 'imported-space-1';
      await service.handle(caller, 'space.subscribe', { spaceId });
      await service.handle(other, 'space.subscribe', { spaceId });
      const files = [
        { path: 'a.md', bytes: new TextEncoder().encode('# a\n\nsee [[b]]') },
        { path: 'b.md', bytes: new TextEncoder().encode('b') },
        { path: '../escape.md', bytes: new TextEncoder().encode('no') },
      ];
      const result = (await service.handle(caller, 'space.importMarkdown', { spaceId, spaceName: 'Imported', files })) as HostResult<'space.importMarkdown'>;
      expect(result).toMatchObject({ imported: 2, failed: 1 });
      const noteIds = result.reports.filter((r) => r.status === 'imported').map((r) => r.noteId!);
      expect(noteIds).toHaveLength(2);
      // Each subscriber gets the catalog's change once, and is told which notes (bodies) changed.
      const updates = got.filter((g) => g.event === 'space.update');
      expect(updates.map((g) => g.to).sort()).toEqual(['caller', 'other']);
      const catalog = new Y.Doc();
      Y.applyUpdate(catalog, (updates[0]!.payload as { update: Uint8Array }).update);
      expect(listNotes(catalog).map((n) => n.id).sort()).toEqual([...noteIds].sort());
      const changed = got.filter((g) => g.event === 'space.changed');
      expect(changed.map((g) => g.to).sort()).toEqual(['caller', 'other']);
      for (const { payload } of changed) expect([...(payload as { noteIds: string[] }).noteIds].sort()).toEqual([...noteIds].sort());
      expect(got).toHaveLength(4);
      const exported = (await service.handle(caller, 'space.exportMarkdown', { scope: 'space', spaceId, wikilinks: true })) as { zip: Uint8Array; fileName: string };
      expect(exported.fileName).toBe('Imported.zip');
      const entries = unzipSync(exported.zip);
      expect(Object.keys(entries).sort()).toEqual(['a.md', 'b.md', 'index.md']);
      expect(new TextDecoder().decode(entries['a.md'])).toContain('see [[b]]');
      await expect(service.handle(caller, 'space.importMarkdown', { spaceId, files: [], zip: new Uint8Array(1) })).rejects.toThrow(/either files or zip/);
      await expect(service.handle(caller, 'space.exportMarkdown', { scope: 'note', spaceId })).rejects.toThrow(/noteId is required/);
    } finally {
      await service.close();
    }
    // Durable: a fresh service on the same directory sees the notes.
    const reopened = new HostService({ dataDir, host: 'web', version: 'test' });
    const { spaces } = (await reopened.handle({ send: () => {} }, 'spaces.list', {})) as { spaces: Array<{ noteCount: number }> };
    expect(spaces[0]!.noteCount).toBe(2);
    await reopened.close();
    // On disk: the catalog and one document per body (docs.pack + docs.log), read without a store.
    const onDisk = await readSpaceReadOnly(join(dataDir, 'spaces', 'imported-space-1'));
    try {
      const notes = listNotes(onDisk.catalog, { sort: 'title' });
      expect(notes.map((n) => n.title)).toEqual(['a', 'b']);
      expect(onDisk.noteIds().sort()).toEqual(notes.map((n) => n.id).sort());
      const b = newNoteDoc(notes[1]!.id);
      Y.applyUpdate(b, await onDisk.readState(notes[1]!.id));
      expect(noteBodyToMarkdown(b, notes[1]!.id)).toBe('b');
    } finally {
      await onDisk.close();
    }
  });
});

describe('ids on the command line', () => {
  it('never begin with a dash, which the CLI would read as an option', async () => {
    const { newId } = await import('../../shared/ids');
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
  });
});
