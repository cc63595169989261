/** Export and import of spaces as Markdown, over any source of space docs (a live store or files on disk). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Y from 'yjs';
import { spaceIdSchema } from '../../shared/host-api';
import { FolderNames } from '../../shared/markdown/file-names';
import { exportSpace, type ExportedFile } from '../../shared/markdown/space-export';
import { getNote, listNotes, noteState, spaceName } from '../../shared/space-model';
import { readSpaceStateReadOnly, type DurableStore } from './durable-store';

export type ExportScope = { kind: 'note'; spaceId: string; noteId: string } | { kind: 'space'; spaceId: string } | { kind: 'all' };

/** Where export reads spaces from. */
export interface SpaceSource {
  listSpaceIds(): Promise<string[]>;
  doc(spaceId: string): Promise<Y.Doc>;
}

/** Spaces as the running host holds them. */
export function storeSource(store: DurableStore): SpaceSource {
  return { listSpaceIds: () => store.listSpaceIds(), doc: async (id) => (await store.space(id)).doc };
}

/** Spaces read from a data directory without writing to it (safe while a host runs). */
export function readOnlySource(dataDir: string, onProblem?: (detail: string) => void): SpaceSource {
  const cache = new Map<string, Promise<Y.Doc>>();
  return {
    listSpaceIds: async () => {
      const entries = await readdir(join(dataDir, 'spaces'), { withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isDirectory() && spaceIdSchema.safeParse(e.name).success).map((e) => e.name).sort();
    },
    doc: (id) => {
      if (!spaceIdSchema.safeParse(id).success) return Promise.reject(new Error('not a space id'));
      let doc = cache.get(id);
      if (!doc) cache.set(id, (doc = readSpaceStateReadOnly(join(dataDir, 'spaces', id), onProblem)));
      return doc;
    },
  };
}

export class MarkdownExportError extends Error {
  override name = 'MarkdownExportError';
}

/** Finds a space by id, or by name (case-insensitive); null when none matches. */
export async function findSpace(source: SpaceSource, nameOrId: string): Promise<{ id: string; name: string } | null> {
  const ids = await source.listSpaceIds();
  if (ids.includes(nameOrId)) return { id: nameOrId, name: spaceName(await source.doc(nameOrId)) };
  const wanted = nameOrId.trim().toLowerCase();
  for (const id of ids) {
    const name = spaceName(await source.doc(id));
    if (name.trim().toLowerCase() === wanted) return { id, name };
  }
  return null;
}

/** The files of an export: one note, one space (with index.md), or every space in its own folder. */
export async function exportMarkdownFiles(
  source: SpaceSource,
  scope: ExportScope,
  options: { wikilinks?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ files: ExportedFile[]; name: string; noteCount: number }> {
  const ids = await source.listSpaceIds();
  if (scope.kind === 'all') {
    const folders = new FolderNames();
    const files: ExportedFile[] = [];
    let noteCount = 0;
    for (const [index, id] of ids.entries()) {
      const doc = await source.doc(id);
      const spaceFiles = exportSpace(doc, { wikilinks: options.wikilinks, folder: folders.pick(spaceName(doc) || id, '') });
      noteCount += spaceFiles.length - 1;
      files.push(...spaceFiles);
      options.onProgress?.(index + 1, ids.length);
    }
    return { files, name: 'Commonplace', noteCount };
  }
  if (!ids.includes(scope.spaceId)) throw new MarkdownExportError(`no space ${scope.spaceId}`);
  const doc = await source.doc(scope.spaceId);
  if (scope.kind === 'note') {
    const note = getNote(doc, scope.noteId);
    if (!note || noteState(note) !== 'active') throw new MarkdownExportError(`no note ${scope.noteId} in this space (or it is in the trash)`);
    const files = exportSpace(doc, { wikilinks: options.wikilinks, noteIds: [scope.noteId] });
    return { files, name: files[0]!.path.replace(/\.md$/, ''), noteCount: 1 };
  }
  const files = exportSpace(doc, { wikilinks: options.wikilinks, onProgress: options.onProgress });
  return { files, name: spaceName(doc) || scope.spaceId, noteCount: listNotes(doc).length };
}
