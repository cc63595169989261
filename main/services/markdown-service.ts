/** Export and import of spaces as Markdown, over any source of spaces (a live store or files on disk). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as Y from 'yjs';
import { isAttachmentHash } from '../../shared/attachments/attachment';
import { getEntry, entryState, listNotes, spaceName } from '../../shared/catalog';
import { FolderNames } from '../../shared/markdown/file-names';
import { exportSpace, type ExportedFile, type SpaceExportOptions } from '../../shared/markdown/space-export';
import { spaceIdSchema } from '../../shared/host-schemas';
import { listSpaceFolders, readSpaceReadOnly, type DocStore } from './doc-store';

export type ExportScope = { kind: 'note'; spaceId: string; noteId: string } | { kind: 'space'; spaceId: string } | { kind: 'all' };

/** A space as export reads it: its catalog, and each body and attachment on demand. */
export interface SourceSpace {
  catalog: Y.Doc;
  body(noteId: string): Promise<Y.Doc>;
  /** An attachment's bytes, or null when this device does not have it. */
  attachment?(hash: string): Promise<Uint8Array | null>;
}

/** Where export reads spaces from. */
export interface SpaceSource {
  listSpaceIds(): Promise<string[]>;
  open(spaceId: string): Promise<SourceSpace>;
  close(): Promise<void>;
}

function docOf(noteId: string, state: Uint8Array): Y.Doc {
  const doc = new Y.Doc({ guid: noteId });
  Y.applyUpdate(doc, state);
  return doc;
}

/**
 * A stored attachment's bytes, read without writing (a complete file is renamed into place only once
 * its bytes match its hash, see attachment-store.ts); null when this device does not have it.
 */
export async function readStoredAttachment(spaceDir: string, hash: string): Promise<Uint8Array | null> {
  if (!isAttachmentHash(hash)) return null;
  try {
    return new Uint8Array(await readFile(join(spaceDir, 'attachments', hash)));
  } catch {
    return null;
  }
}

/** Spaces as the running host holds them. */
export function storeSource(store: DocStore): SpaceSource {
  return {
    listSpaceIds: () => store.listSpaceIds(),
    open: async (id) => {
      const space = await store.space(id);
      return {
        catalog: space.catalog,
        body: async (noteId) => docOf(noteId, await space.readState(noteId)),
        attachment: (hash) => readStoredAttachment(space.dir, hash),
      };
    },
    close: async () => {},
  };
}

/** Spaces read from a data directory without writing to it (safe while a host runs). */
export function readOnlySource(dataDir: string, onProblem?: (detail: string) => void): SpaceSource {
  const opened = new Map<string, Promise<Awaited<ReturnType<typeof readSpaceReadOnly>>>>();
  return {
    listSpaceIds: () => listSpaceFolders(dataDir),
    open: async (id) => {
      if (!spaceIdSchema.safeParse(id).success) throw new Error('not a space id');
      let snapshot = opened.get(id);
      if (!snapshot) opened.set(id, (snapshot = readSpaceReadOnly(join(dataDir, 'spaces', id), onProblem)));
      const space = await snapshot;
      return {
        catalog: space.catalog,
        body: async (noteId) => docOf(noteId, await space.readState(noteId)),
        attachment: (hash) => readStoredAttachment(join(dataDir, 'spaces', id), hash),
      };
    },
    close: async () => {
      await Promise.allSettled([...opened.values()].map(async (s) => (await s).close()));
    },
  };
}

export class MarkdownExportError extends Error {
  override name = 'MarkdownExportError';
}

/** Finds a space by id, or by name (case-insensitive); null when none matches. */
export async function findSpace(source: SpaceSource, nameOrId: string): Promise<{ id: string; name: string } | null> {
  const ids = await source.listSpaceIds();
  if (ids.includes(nameOrId)) return { id: nameOrId, name: spaceName((await source.open(nameOrId)).catalog) };
  const wanted = nameOrId.trim().toLowerCase();
  for (const id of ids) {
    const name = spaceName((await source.open(id)).catalog);
    if (name.trim().toLowerCase() === wanted) return { id, name };
  }
  return null;
}

/** The files of an export: one note, one space (with index.md), or every space in its own folder, with their attachments. */
export async function exportMarkdownFiles(
  source: SpaceSource,
  scope: ExportScope,
  options: { wikilinks?: boolean; comments?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ files: ExportedFile[]; name: string; noteCount: number; missing: string[] }> {
  const ids = await source.listSpaceIds();
  // Attachments this device lacks are linked all the same, and named here.
  const missing: string[] = [];
  const from = (space: SourceSpace): SpaceExportOptions => ({
    wikilinks: options.wikilinks,
    comments: options.comments,
    readAttachment: space.attachment ? (hash) => space.attachment!(hash) : undefined,
    onMissingAttachment: ({ hash, path }) => missing.push(`${path}: this device does not have the file (${hash.slice(0, 12)}…); it is linked but not included`),
  });
  if (scope.kind === 'all') {
    const folders = new FolderNames();
    const files: ExportedFile[] = [];
    let noteCount = 0;
    for (const [index, id] of ids.entries()) {
      const space = await source.open(id);
      const spaceFiles = await exportSpace(space.catalog, space.body, { ...from(space), folder: folders.pick(spaceName(space.catalog) || id, '') });
      noteCount += spaceFiles.filter((f) => !f.bytes).length - 1;
      files.push(...spaceFiles);
      options.onProgress?.(index + 1, ids.length);
    }
    return { files, name: 'Commonplace', noteCount, missing };
  }
  if (!ids.includes(scope.spaceId)) throw new MarkdownExportError(`no space ${scope.spaceId}`);
  const space = await source.open(scope.spaceId);
  if (scope.kind === 'note') {
    const entry = getEntry(space.catalog, scope.noteId);
    if (!entry || entryState(entry) !== 'active') throw new MarkdownExportError(`no note ${scope.noteId} in this space (or it is in the trash)`);
    const files = await exportSpace(space.catalog, space.body, { ...from(space), noteIds: [scope.noteId] });
    return { files, name: files[0]!.path.replace(/\.md$/, ''), noteCount: 1, missing };
  }
  const files = await exportSpace(space.catalog, space.body, { ...from(space), onProgress: options.onProgress });
  return { files, name: spaceName(space.catalog) || scope.spaceId, noteCount: listNotes(space.catalog).length, missing };
}
