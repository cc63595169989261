/** The host's side of 'space.exportMarkdown' and 'space.importMarkdown'. */
import { catalogMeta } from '../../shared/catalog';
import { HostError, type HostInput, type HostResult } from '../../shared/host-api';
import { importIntoCatalog, type ImportFile } from '../../shared/markdown/markdown-import';
import { safeBaseName } from '../../shared/markdown/file-names';
import { unzipForImport, zipTextFiles } from '../../shared/markdown/zip';
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
    return { zip: zipTextFiles(files), fileName, noteCount };
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

/** Imports into a space of the store: bodies as they are written, then the catalog; durable before it is reported. */
export async function importIntoStore(
  space: SpaceStore,
  files: ImportFile[],
  options: { author: { id: string; name: string }; folderTags?: boolean; newSpaceName?: string },
): Promise<{ catalogUpdate: Uint8Array | null; noteIds: string[]; summary: Awaited<ReturnType<typeof importIntoCatalog>>['summary'] }> {
  const origin: ChangeOrigin = { source: 'import', member: options.author.id };
  const bodies = new BodyBatcher((updates) => space.appendMany(updates, origin));
  try {
    const { catalogUpdate, summary } = await importIntoCatalog(space.catalog, files, { ...options, onBody: bodies.add });
    await bodies.flush();
    if (catalogUpdate) await space.append(CATALOG_DOC_ID, catalogUpdate, origin);
    return { catalogUpdate, noteIds: bodies.noteIds, summary };
  } catch (error) {
    if (error instanceof InvalidUpdateError || error instanceof StoreError) throw new HostError('unavailable', `space.importMarkdown: ${error.message}`);
    throw error;
  }
}

export async function importMarkdownIntoStore(
  store: DocStore,
  input: HostInput<'space.importMarkdown'>,
): Promise<{ spaceId: string; catalogUpdate: Uint8Array | null; noteIds: string[]; result: HostResult<'space.importMarkdown'> }> {
  let files: ImportFile[];
  if (input.zip) {
    try {
      files = unzipForImport(input.zip);
    } catch (error) {
      throw new HostError('invalid-input', `space.importMarkdown: ${errorMessage(error)}`);
    }
  } else files = input.files ?? [];
  const space = await store.space(input.spaceId);
  // New is a space nobody has named yet (a window may have opened its folder already).
  const isNew = !catalogMeta(space.catalog).has('name');
  const { catalogUpdate, noteIds, summary } = await importIntoStore(space, files, {
    author: input.author ?? { id: 'markdown-import', name: 'Markdown import' },
    folderTags: input.folderTags,
    newSpaceName: isNew ? (input.spaceName ?? 'Imported notes') : undefined,
  });
  return { spaceId: input.spaceId, catalogUpdate, noteIds, result: { spaceId: input.spaceId, ...summary } };
}
