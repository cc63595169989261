/**
 * Markdown on disk: reading a folder, an Obsidian vault, a zip or one file for an import (within the
 * limits, without reading refused files; other files only when a note shows them), and writing an
 * export to a folder or a zip.
 */
import { writeFileAtomic } from './private-files';
import { lstat, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { safeRelativePath } from '../../shared/markdown/file-names';
import { MAX_FILE_BYTES, MAX_IMPORT_FILES, MAX_IMPORT_TOTAL_BYTES } from '../../shared/markdown/limits';
import type { ImportFile } from '../../shared/markdown/markdown-import';
import type { ExportedFile } from '../../shared/markdown/space-export';
import { DEFAULT_UNZIP_LIMITS, looksLikeZip, unzipForImport, zipExportFiles } from '../../shared/markdown/zip';
import { DEFAULT_ATTACHMENT_LIMIT_BYTES, formatBytes } from '../../shared/attachments/attachment';

/** A zip larger than this is refused before it is read. */
export const MAX_ZIP_BYTES = MAX_IMPORT_TOTAL_BYTES;
const SKIPPED_FOLDERS = new Set(['.obsidian', '.trash', '.git', 'node_modules', '__MACOSX']);
const MARKDOWN = /\.(md|markdown|mdown|mkd)$/i;

async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * What an import reads from a path: a folder (vault), a .zip, or a single Markdown file. Files that are
 * not Markdown are read only when a note shows them, and none over `attachmentLimit` (the host's).
 */
export async function readImportSource(path: string, options: { attachmentLimit?: number } = {}): Promise<{ files: ImportFile[]; skippedFolders: string[] }> {
  const attachmentLimit = options.attachmentLimit ?? DEFAULT_ATTACHMENT_LIMIT_BYTES;
  const info = await lstat(path);
  if (info.isFile()) {
    if (looksLikeZip(await readHead(path, 4))) {
      if (info.size > MAX_ZIP_BYTES) throw new Error(`${basename(path)} is larger than the ${MAX_ZIP_BYTES / 1024 / 1024} MB limit for a zip`);
      return { files: unzipForImport(new Uint8Array(await readFile(path)), { ...DEFAULT_UNZIP_LIMITS, maxAttachmentBytes: attachmentLimit }), skippedFolders: [] };
    }
    return { files: [await readOneFile(path, basename(path), info.size)], skippedFolders: [] };
  }
  if (!info.isDirectory()) throw new Error(`${path} is neither a folder nor a file`);
  const files: ImportFile[] = [];
  const skippedFolders: string[] = [];
  let total = 0;
  // Breadth-first with an explicit queue: deep folder trees cannot exhaust the stack.
  const queue = [path];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = relative(path, full).split(sep).join('/');
      if (entry.isDirectory()) {
        if (SKIPPED_FOLDERS.has(entry.name)) skippedFolders.push(`${rel}/`);
        else queue.push(full);
        continue;
      }
      if (!entry.isFile()) {
        files.push({ path: rel, refused: 'not a regular file (a link or device): skipped' });
        continue;
      }
      if (!MARKDOWN.test(entry.name)) {
        files.push(await deferredFile(full, rel, attachmentLimit));
        continue;
      }
      if (files.length >= MAX_IMPORT_FILES) {
        files.push({ path: rel, refused: `more than ${MAX_IMPORT_FILES} files in one import` });
        continue;
      }
      const size = (await lstat(full)).size;
      if (total + Math.min(size, MAX_FILE_BYTES) > MAX_IMPORT_TOTAL_BYTES) {
        files.push({ path: rel, refused: `the import passes ${MAX_IMPORT_TOTAL_BYTES / 1024 / 1024} MB in total` });
        continue;
      }
      const file = await readOneFile(full, rel, size);
      total += file.bytes?.byteLength ?? 0;
      files.push(file);
    }
  }
  return { files, skippedFolders };
}

/** Reads one file, or refuses it by its size alone (a 50 MB file is never read). */
async function readOneFile(full: string, rel: string, size: number): Promise<ImportFile> {
  if (size > MAX_FILE_BYTES) return { path: rel, refused: `larger than the ${MAX_FILE_BYTES / 1024 / 1024} MB limit for one file (${size} bytes): not read` };
  return { path: rel, bytes: new Uint8Array(await readFile(full)) };
}

/** A file that is not Markdown: its size now, its bytes only if a note shows it (refused unread over the limit). */
async function deferredFile(full: string, rel: string, limit: number): Promise<ImportFile> {
  const size = (await lstat(full)).size;
  if (size > limit) return { path: rel, refused: `larger than the ${formatBytes(limit)} limit for attachments (${formatBytes(size)}): not read` };
  return { path: rel, deferred: { size, read: async () => new Uint8Array(await readFile(full)) } };
}

/** Mode of exported files (the umask applies): readable like any file the member writes. */
const SHARED_FILE_MODE = 0o644;

/** Writes an export: a zip file, or a folder that must be new or empty. */
export async function writeExport(files: ExportedFile[], out: string, asZip: boolean): Promise<void> {
  const target = resolve(out);
  if (asZip) {
    await mkdir(dirname(target), { recursive: true });
    // The same durability policy as the host's own files; an export is made to be shared, so not 0600.
    await writeFileAtomic(target, zipExportFiles(files), SHARED_FILE_MODE);
    return;
  }
  const existing = await readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0) throw new Error(`${out} is not empty; export into a new or empty folder`);
  for (const file of files) {
    const rel = safeRelativePath(file.path);
    if (rel === null) throw new Error(`refusing to write ${JSON.stringify(file.path)}`);
    const full = join(target, ...rel.split('/'));
    if (!full.startsWith(target + sep)) throw new Error(`refusing to write outside ${out}`);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, file.bytes ?? file.text, { flag: 'wx' });
  }
}
