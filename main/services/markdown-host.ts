/** The host's side of 'space.exportMarkdown' and 'space.importMarkdown'. */
import { catalogMeta } from '../../shared/catalog';
import { HostError, type HostInput, type HostResult } from '../../shared/host-api';
import { importIntoCatalog, IMPORT_AUTHOR_ID, type ImportFile } from '../../shared/markdown/markdown-import';
import { safeBaseName } from '../../shared/markdown/file-names';
import { DEFAULT_UNZIP_LIMITS, unzipForImport, zipExportFiles } from '../../shared/markdown/zip';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import { InvalidUpdateError, StoreError, type DocStore, type SpaceStore } from './doc-store';
import { exportMarkdownFiles, MarkdownExportError, storeSource, type ExportScope } from './markdown-service';
import { errorMessage } from '../../shared/errors';
import type { ChangeOrigin } from './space-history';

export async function exportMarkdownZip(store: DocStore, input: HostInput<'space.exportMarkdown'>): Promise<HostResult<'space.exportMarkdown'>> {
  const scope: ExportScope =
    input.scope === 'all' ? { kind: 'all' } : input.scope === 'note' ? { kind: 'note', spaceId: input.spaceId!, noteId: input.noteId! } : { kind: 'space', spaceId: input.spaceId! };
  try {
    const { files, name, noteCount } = await exportMarkdownFiles(storeSource(store), scope, { wikilinks: input.wikilinks, comments: input.comments });
    const fileName = `${safeBaseName(name.slice(0, 80), 'Commonplace')}.zip`;
    return { zip: zipExportFiles(files), fileName, noteCount };
  } catch (error) {
    if (error instanceof MarkdownExportError) throw new HostError('invalid-input', `space.exportMarkdown: ${error.message}`);
    throw error;
  }
}

/** Bodies written to the store in batches as an import produces them, so it never holds them all. */
export class BodyBatcher {
  private batch: Array<{ docId: string; update: Uint8Array }> = [];
  private bytes = 0;
  readonly noteIds: string[] = [];

  constructor(
    private readonly write: (updates: Array<{ docId: string; update: Uint8Array }>) => Promise<void>,
    private readonly maxDocs = 256,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  add = async (noteId: string, update: Uint8Array): Promise<void> => {
    this.batch.push({ docId: noteId, update });
    this.noteIds.push(noteId);
    this.bytes += update.byteLength;
    if (this.batch.length >= this.maxDocs || this.bytes >= this.maxBytes) await this.flush();
  };

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.bytes = 0;
    await this.write(batch);
  }
}

/** Where an import stores the files its notes show: a space's AttachmentStore (or anything with its `put` and `limit`). */
export interface AttachmentSink {
  put(bytes: Uint8Array): Promise<string>;
  readonly limit: number;
  /** For files a window stored before its import call (the space's AttachmentStore has both). */
  size?(hash: string): Promise<number | null>;
  read?(hash: string, offset: number, length: number): Promise<Uint8Array>;
}

/** Imports into a space of the store: attachments and bodies as they are written, then the catalog; durable before it is reported. */
export async function importIntoStore(
  space: SpaceStore,
  files: ImportFile[],
  options: { author: { id: string; name: string }; folderTags?: boolean; newSpaceName?: string; attachments?: AttachmentSink },
): Promise<{ catalogUpdate: Uint8Array | null; noteIds: string[]; summary: Awaited<ReturnType<typeof importIntoCatalog>>['summary'] }> {
  const origin: ChangeOrigin = { source: 'import', member: options.author.id };
  const bodies = new BodyBatcher((updates) => space.appendMany(updates, origin));
  const { attachments, ...rest } = options;
  try {
    const { catalogUpdate, summary } = await importIntoCatalog(space.catalog, files, {
      ...rest,
      onBody: bodies.add,
      storeAttachment: attachments ? (bytes) => attachments.put(bytes) : undefined,
      attachmentLimit: attachments?.limit,
    });
    await bodies.flush();
    if (catalogUpdate) await space.append(CATALOG_DOC_ID, catalogUpdate, origin);
    return { catalogUpdate, noteIds: bodies.noteIds, summary };
  } catch (error) {
    if (error instanceof InvalidUpdateError || error instanceof StoreError) throw new HostError('unavailable', `space.importMarkdown: ${error.message}`);
    throw error;
  }
}

/** Files a window stored before its import call, as the import reads them: only if a note shows them. */
async function storedFiles(listed: NonNullable<HostInput<'space.importMarkdown'>['attachments']>, sink: AttachmentSink | undefined): Promise<ImportFile[]> {
  const files: ImportFile[] = [];
  for (const { path, hash } of listed) {
    const size = sink?.size ? await sink.size(hash) : null;
    if (size === null || !sink?.read) {
      files.push({ path, refused: 'the window did not store this file before the import' });
      continue;
    }
    const read = sink.read.bind(sink);
    files.push({ path, deferred: { size, read: () => read(hash, 0, size) } });
  }
  return files;
}

/**
 * 'space.importMarkdown' on a host's store. `attachmentsOf` gives the space's AttachmentStore (the one
 * the host already holds: a second store on the same folder would drop the first one's partial files);
 * without it, files that are not Markdown are skipped.
 */
export async function importMarkdownIntoStore(
  store: DocStore,
  input: HostInput<'space.importMarkdown'>,
  attachmentsOf?: (spaceId: string) => Promise<AttachmentSink>,
): Promise<{ spaceId: string; catalogUpdate: Uint8Array | null; noteIds: string[]; result: HostResult<'space.importMarkdown'> }> {
  const attachments = attachmentsOf ? await attachmentsOf(input.spaceId) : undefined;
  let files: ImportFile[];
  if (input.zip) {
    try {
      files = unzipForImport(input.zip, { ...DEFAULT_UNZIP_LIMITS, maxAttachmentBytes: attachments?.limit ?? DEFAULT_UNZIP_LIMITS.maxAttachmentBytes });
    } catch (error) {
      throw new HostError('invalid-input', `space.importMarkdown: ${errorMessage(error)}`);
    }
  } else files = [...(input.files ?? []), ...(await storedFiles(input.attachments ?? [], attachments))];
  const space = await store.space(input.spaceId);
  // New is a space nobody has named yet (a window may have opened its folder already).
  const isNew = !catalogMeta(space.catalog).has('name');
  const { catalogUpdate, noteIds, summary } = await importIntoStore(space, files, {
    author: input.author ?? { id: IMPORT_AUTHOR_ID, name: 'Markdown import' },
    folderTags: input.folderTags,
    newSpaceName: isNew ? (input.spaceName ?? 'Imported notes') : undefined,
    attachments,
  });
  return { spaceId: input.spaceId, catalogUpdate, noteIds, result: { spaceId: input.spaceId, ...summary } };
}
