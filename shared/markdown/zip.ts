/**
 * Zip archives for exports and imports (fflate). Reading inflates in small steps and stops an entry,
 * or the whole archive, as soon as it passes the limits: a zip bomb costs at most the limits.
 */
import { Unzip, UnzipInflate, strToU8, zipSync, type Zippable } from 'fflate';
import { isIgnoredPath, safeRelativePath } from './file-names';
import { MAX_FILE_BYTES, MAX_IMPORT_FILES, MAX_IMPORT_TOTAL_BYTES } from './limits';
import type { ImportFile } from './markdown-import';
import { errorMessage } from '../errors';
import { DEFAULT_ATTACHMENT_LIMIT_BYTES, formatBytes } from '../attachments/attachment';

/** Packs an export's files into a zip: text, and the bytes of binary files (attachments). */
export function zipExportFiles(files: Array<{ path: string; text: string; bytes?: Uint8Array }>): Uint8Array {
  const tree: Zippable = {};
  // Attachments are mostly compressed already (images, PDFs): a light level costs little and still shrinks text.
  for (const file of files) tree[file.path] = file.bytes ? [file.bytes, { level: 1 }] : [strToU8(file.text), { level: 6 }];
  return zipSync(tree);
}

export interface UnzipLimits {
  /** A Markdown file. */
  maxFileBytes: number;
  /** Any other file (an attachment): the host's attachment limit. */
  maxAttachmentBytes?: number;
  maxFiles: number;
  maxTotalBytes: number;
}

export const DEFAULT_UNZIP_LIMITS: UnzipLimits = {
  maxFileBytes: MAX_FILE_BYTES,
  maxAttachmentBytes: DEFAULT_ATTACHMENT_LIMIT_BYTES,
  maxFiles: MAX_IMPORT_FILES,
  maxTotalBytes: MAX_IMPORT_TOTAL_BYTES,
};

/** Bytes of compressed input handed to the inflater per step (deflate expands at most ~1032×). */
const STEP = 16 * 1024;

/**
 * The entries of a zip as import files, Markdown and attachments. Unsafe names are returned refused
 * (never used as paths); entries over their limit are refused without being inflated further; once
 * the archive passes the file-count or total-size limit, the remaining entries are refused.
 */
export function unzipForImport(zip: Uint8Array, limits: UnzipLimits = DEFAULT_UNZIP_LIMITS): ImportFile[] {
  const files: ImportFile[] = [];
  let total = 0;
  let count = 0;
  let error: string | null = null;
  const unzip = new Unzip((entry) => {
    if (entry.name.endsWith('/')) return;
    const file: ImportFile = { path: entry.name };
    files.push(file);
    const path = safeRelativePath(entry.name);
    if (path === null) {
      file.refused = 'unsafe file name (absolute, or climbs out with ..): not extracted';
      return;
    }
    file.path = path;
    if (++count > limits.maxFiles) {
      file.refused = `the zip holds more than ${limits.maxFiles} files: not extracted`;
      return;
    }
    if (isIgnoredPath(path)) {
      file.bytes = new Uint8Array(0); // app settings, trash, version control: reported by the import, never inflated
      return;
    }
    const markdown = /\.(md|markdown|mdown|mkd)$/i.test(path);
    const maxBytes = markdown ? limits.maxFileBytes : (limits.maxAttachmentBytes ?? DEFAULT_ATTACHMENT_LIMIT_BYTES);
    const kind = markdown ? 'one file' : 'attachments';
    if (entry.originalSize !== undefined && entry.originalSize > maxBytes) {
      file.refused = `larger than the ${formatBytes(maxBytes)} limit for ${kind} (declared ${entry.originalSize} bytes)`;
      return;
    }
    if (total >= limits.maxTotalBytes) {
      file.refused = `the zip inflates to more than ${formatBytes(limits.maxTotalBytes)}: not extracted`;
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    let stopped = false;
    entry.ondata = (err, data, final) => {
      if (stopped) return;
      if (err) {
        stopped = true;
        file.refused = `could not be inflated: ${err.message}`;
        return;
      }
      size += data.length;
      total += data.length;
      if (size > maxBytes || total > limits.maxTotalBytes) {
        stopped = true;
        file.refused =
          size > maxBytes ? `inflates to more than the ${formatBytes(maxBytes)} limit for ${kind}: not extracted` : `the zip inflates to more than ${formatBytes(limits.maxTotalBytes)}: not extracted`;
        entry.terminate();
        return;
      }
      chunks.push(data);
      if (final) {
        const bytes = new Uint8Array(size);
        let offset = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, offset);
          offset += chunk.length;
        }
        file.bytes = bytes;
      }
    };
    try {
      entry.start();
    } catch (e) {
      file.refused = `unsupported compression: ${errorMessage(e)}`;
    }
  });
  unzip.register(UnzipInflate);
  try {
    for (let offset = 0; offset < zip.length; offset += STEP) {
      unzip.push(zip.subarray(offset, Math.min(zip.length, offset + STEP)), offset + STEP >= zip.length);
    }
  } catch (e) {
    error = errorMessage(e);
  }
  if (error !== null && files.length === 0) throw new Error(`not a readable zip: ${error}`);
  for (const file of files) if (!file.bytes && !file.refused) file.refused = error ? `cut short: ${error}` : 'empty or unreadable entry';
  return files;
}

/** Whether bytes start like a zip archive. */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}
