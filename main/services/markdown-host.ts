/** The host's side of 'space.exportMarkdown' and 'space.importMarkdown'. */
import { HostError, type HostInput, type HostResult } from '../../shared/host-api';
import { importAsUpdate, type ImportFile } from '../../shared/markdown/markdown-import';
import { safeBaseName } from '../../shared/markdown/file-names';
import { unzipForImport, zipTextFiles } from '../../shared/markdown/zip';
import { InvalidUpdateError, StoreError, type DurableStore } from './durable-store';
import { exportMarkdownFiles, MarkdownExportError, storeSource, type ExportScope } from './markdown-service';

export async function exportMarkdownZip(store: DurableStore, input: HostInput<'space.exportMarkdown'>): Promise<HostResult<'space.exportMarkdown'>> {
  const scope: ExportScope =
    input.scope === 'all' ? { kind: 'all' } : input.scope === 'note' ? { kind: 'note', spaceId: input.spaceId!, noteId: input.noteId! } : { kind: 'space', spaceId: input.spaceId! };
  try {
    const { files, name, noteCount } = await exportMarkdownFiles(storeSource(store), scope, { wikilinks: input.wikilinks });
    const fileName = `${safeBaseName(name.slice(0, 80), 'Commonplace')}.zip`;
    return { zip: zipTextFiles(files), fileName, noteCount };
  } catch (error) {
    if (error instanceof MarkdownExportError) throw new HostError('invalid-input', `space.exportMarkdown: ${error.message}`);
    throw error;
  }
}

/** Imports on a copy of the space, then appends the change to the store: durable before it is reported. */
export async function importMarkdownIntoStore(
  store: DurableStore,
  input: HostInput<'space.importMarkdown'>,
): Promise<{ spaceId: string; update: Uint8Array | null; result: HostResult<'space.importMarkdown'> }> {
  let files: ImportFile[];
  if (input.zip) {
    try {
      files = unzipForImport(input.zip);
    } catch (error) {
      throw new HostError('invalid-input', `space.importMarkdown: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else files = input.files ?? [];
  const isNew = !(await store.hasSpace(input.spaceId));
  const space = await store.space(input.spaceId);
  const { update, summary } = importAsUpdate(space.doc, files, {
    author: input.author ?? { id: 'markdown-import', name: 'Markdown import' },
    folderTags: input.folderTags,
    newSpaceName: isNew ? (input.spaceName ?? 'Imported notes') : undefined,
  });
  if (update) {
    try {
      await space.append(update);
    } catch (error) {
      if (error instanceof InvalidUpdateError || error instanceof StoreError) throw new HostError('unavailable', `space.importMarkdown: ${error.message}`);
      throw error;
    }
  }
  return { spaceId: input.spaceId, update, result: { spaceId: input.spaceId, ...summary } };
}
