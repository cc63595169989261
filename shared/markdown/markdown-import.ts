/**
 * Markdown files (a folder, an Obsidian vault, or a zip's entries) into notes of a space: titles,
 * tags and times from front matter, [[wiki-links]] and relative links between the files resolved to
 * note links, the other files notes show stored as attachments, and a report per file. A bad file is
 * reported and skipped; the rest carry on.
 */
import * as Y from 'yjs';
import { addTag, type AuthorRef, catalogNotes, createEntry, getEntry, initSpace, recordMember, setEntryFolder, setEntryTimes } from '../catalog';
import { createNoteEditor } from '../note-body';
import { newNoteDoc } from '../note-doc';
import { dirOf, isIgnoredPath, resolveRelative, safeRelativePath } from './file-names';
import { frontMatterAliases, frontMatterString, frontMatterTags, frontMatterTime, splitFrontMatter } from './front-matter';
import { MAX_FILE_BYTES, MAX_IMPORT_FILES } from './limits';
import { verbatimBlock } from './markdown-preprocess';
import type { ImportLinkResolver, NoteLinkTarget } from './file-transformers';
import { markdownToNoteBody } from './note-markdown';
import { INDEX_MARKER } from './space-export';
import { errorMessage } from '../errors';
import { ImportAttachments } from './markdown-attachments';

export interface ImportFile {
  path: string;
  /** The file's bytes; absent when the reader already refused it (then `refused` says why). */
  bytes?: Uint8Array;
  refused?: string;
  /** A file read only if a note shows it (a folder's attachments): its size, and how to read it. */
  deferred?: { size: number; read: () => Promise<Uint8Array> };
}

/** The author id of an import nobody in particular made (the command line's, the API's default). */
export const IMPORT_AUTHOR_ID = 'markdown-import';

export type FileStatus = 'imported' | 'skipped' | 'failed';

export interface FileReport {
  path: string;
  status: FileStatus;
  noteId?: string;
  title?: string;
  /** Warnings for imported files, the reason for skipped and failed ones. */
  messages: string[];
}

export interface ImportOptions {
  author: AuthorRef;
  /** Takes each imported note's body as one update, as soon as it is written (the body is then dropped). */
  onBody: (noteId: string, update: Uint8Array) => Promise<void> | void;
  now?: number;
  /** Tag each note with the folders it sits in (`git/rebase.md` gets the tag `git`). */
  folderTags?: boolean;
  onProgress?: (done: number, total: number) => void;
  /**
   * Stores a file a note shows and resolves to its hash (hosts: the space's attachment store). Without
   * it, files that are not Markdown are skipped and references to them stay as written.
   */
  storeAttachment?: (bytes: Uint8Array) => Promise<string>;
  /** Largest attachment stored (the host's limit); larger files are refused unread. */
  attachmentLimit?: number;
}

export interface ImportSummary {
  reports: FileReport[];
  imported: number;
  skipped: number;
  failed: number;
}

const MARKDOWN_EXTENSION = /\.(md|markdown|mdown|mkd)$/i;

/** Decodes a file as UTF-8 text, or says why it is not text. */
export function decodeMarkdown(bytes: Uint8Array): { text: string; warning: string | null } | { error: string } {
  if (bytes.byteLength > MAX_FILE_BYTES) return { error: `larger than the ${MAX_FILE_BYTES / 1024 / 1024} MB limit for one file` };
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return { error: 'a binary file, not Markdown text' };
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), warning: null };
  } catch {
    return { text: new TextDecoder('utf-8').decode(body), warning: 'not valid UTF-8: undecodable bytes were replaced with U+FFFD' };
  }
}

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function stripExtension(path: string): string {
  return path.replace(MARKDOWN_EXTENSION, '');
}

interface Planned {
  report: FileReport;
  path: string;
  body: string;
  id: string;
  title: string;
  tags: string[];
  created: number | null;
  updated: number | null;
}

/**
 * Imports Markdown files as new notes: their entries into `doc` (the space's catalog), their bodies
 * one at a time to `options.onBody`, so an import never holds more than one body. Every file gets a report.
 */
export async function importMarkdownFiles(doc: Y.Doc, files: ImportFile[], options: ImportOptions): Promise<ImportSummary> {
  const now = options.now ?? Date.now();
  const reports: FileReport[] = [];
  const planned: Planned[] = [];
  const aliases = new Map<string, Planned>();
  let markdownFiles = 0;
  const by = options.author.id === IMPORT_AUTHOR_ID ? '' : options.author.id;
  const attachments = options.storeAttachment ? new ImportAttachments({ store: options.storeAttachment, limit: options.attachmentLimit, by }) : null;

  for (const file of files) {
    const path = safeRelativePath(file.path);
    const report: FileReport = { path: path ?? file.path, status: 'skipped', messages: [] };
    reports.push(report);
    if (path === null) {
      report.status = 'failed';
      report.messages.push('unsafe file name (absolute, or climbs out with ..): ignored');
      continue;
    }
    if (isIgnoredPath(path)) {
      report.messages.push('app settings or trash folder: skipped');
      continue;
    }
    if (!MARKDOWN_EXTENSION.test(path)) {
      if (attachments) attachments.add(path, file, report);
      else report.messages.push('not a Markdown file (attachment): skipped');
      continue;
    }
    if (++markdownFiles > MAX_IMPORT_FILES) {
      report.status = 'failed';
      report.messages.push(`more than ${MAX_IMPORT_FILES} Markdown files in one import`);
      continue;
    }
    if (file.refused || !file.bytes) {
      report.status = 'failed';
      report.messages.push(file.refused ?? 'could not be read');
      continue;
    }
    const decoded = decodeMarkdown(file.bytes);
    if ('error' in decoded) {
      report.status = 'failed';
      report.messages.push(decoded.error);
      continue;
    }
    if (decoded.warning) report.messages.push(decoded.warning);
    const front = splitFrontMatter(decoded.text);
    let body = front.body;
    const data = front.data ?? {};
    if (front.error) {
      report.messages.push(`${front.error}: imported with the front matter kept as text`);
      body = `${verbatimBlock(front.raw!.replace(/\r?\n$/, '').split(/\r?\n/))}\n\n${body}`;
    }
    if (data[INDEX_MARKER] === true) {
      report.messages.push('the table of contents of an export: skipped');
      continue;
    }
    const baseName = stripExtension(path.split('/').pop()!);
    let title = frontMatterString(data.title) ?? baseName;
    // A first heading that merely repeats the title is the title, not part of the body.
    // Linear-time match (a lazy group before a [ \t#]* tail backtracks quadratically on hostile lines).
    const headingLine = /^\s*#[ \t]+([^\r\n]*)(?:\r?\n|$)/.exec(body);
    const headingText = headingLine ? trimClosingHashes(headingLine[1]!) : '';
    if (headingLine && headingText && slug(headingText) === slug(title)) {
      if (frontMatterString(data.title) === null) title = headingText;
      body = body.slice(headingLine[0].length).replace(/^\s*\n/, '');
    }
    const tags = frontMatterTags(data);
    if (options.folderTags) tags.push(...dirOf(path).split('/').filter(Boolean));
    const created = data.created ?? data.date ?? data.createdAt;
    const updated = data.updated ?? data.modified ?? data.updatedAt;
    const createdTime = frontMatterTime(created);
    const updatedTime = frontMatterTime(updated);
    if (created !== undefined && createdTime === null) report.messages.push('created is not a valid date: ignored');
    if (updated !== undefined && updatedTime === null) report.messages.push('updated is not a valid date: ignored');
    report.title = title;
    planned.push({ report, path, body, id: '', title, tags, created: createdTime, updated: updatedTime });
    for (const alias of frontMatterAliases(data)) aliases.set(slug(alias), planned[planned.length - 1]!);
  }

  // Notes first, so links between the files can be resolved while the bodies are written.
  const byTitle = new Map<string, NoteLinkTarget>();
  const byPath = new Map<string, NoteLinkTarget>();
  doc.transact(() => {
    for (const plan of planned) {
      plan.id = createEntry(doc, { title: plan.title, author: options.author, now });
      // The note remembers its folder: the list can show notes by folder, and export writes it back there.
      setEntryFolder(getEntry(doc, plan.id)!, dirOf(plan.path));
      const target = { id: plan.id, title: plan.title };
      byPath.set(stripExtension(plan.path).toLowerCase(), target);
      for (const key of [slug(plan.title), slug(stripExtension(plan.path.split('/').pop()!)), slug(stripExtension(plan.path))]) {
        if (!byTitle.has(key)) byTitle.set(key, target);
      }
    }
    for (const [alias, plan] of aliases) if (!byTitle.has(alias)) byTitle.set(alias, { id: plan.id, title: plan.title });
  });

  const editor = createNoteEditor();
  for (const [index, plan] of planned.entries()) {
    const links: ImportLinkResolver = {
      byTitle: (title) => byTitle.get(slug(title)) ?? null,
      byPath: (href) => {
        const resolved = resolveRelative(dirOf(plan.path), href);
        return resolved === null ? null : (byPath.get(stripExtension(resolved).toLowerCase()) ?? null);
      },
    };
    if (attachments) plan.report.messages.push(...(await attachments.prepare(plan.body, plan.path)));
    const body = newNoteDoc(plan.id);
    let update: Uint8Array | null = null;
    try {
      const result = markdownToNoteBody(body, plan.id, plan.body, { links, editor, attachments: attachments?.resolver(plan.path) });
      attachments?.markUsed(result.attachments);
      update = Y.encodeStateAsUpdate(body);
      const entry = getEntry(doc, plan.id)!;
      doc.transact(() => {
        for (const tag of [...plan.tags, ...result.tags]) addTag(entry, tag);
        setEntryTimes(entry, plan.created ?? plan.updated ?? now, plan.updated ?? plan.created ?? now);
      });
      plan.report.messages.push(...result.warnings);
    } catch (error) {
      // The note was made by this import and never shared: take it out again.
      catalogNotes(doc).delete(plan.id);
      plan.report.status = 'failed';
      plan.report.messages.push(`could not be converted: ${errorMessage(error)}`);
    } finally {
      body.destroy();
    }
    if (update) {
      await options.onBody(plan.id, update);
      plan.report.status = 'imported';
      plan.report.noteId = plan.id;
    }
    options.onProgress?.(index + 1, planned.length);
  }
  attachments?.finish();

  return {
    reports,
    imported: reports.filter((r) => r.status === 'imported').length,
    skipped: reports.filter((r) => r.status === 'skipped').length,
    failed: reports.filter((r) => r.status === 'failed').length,
  };
}

/**
 * Runs an import on a copy of a space's catalog and returns the catalog's change as one Yjs update
 * (bodies go to `options.onBody` as they are written), so a host can make it durable and broadcast it
 * like any other edit. `newSpaceName` names a space made by this import.
 */
export async function importIntoCatalog(
  catalog: Y.Doc,
  files: ImportFile[],
  options: ImportOptions & { newSpaceName?: string },
): Promise<{ catalogUpdate: Uint8Array | null; summary: ImportSummary }> {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(catalog));
  const before = Y.encodeStateVector(copy);
  if (options.newSpaceName !== undefined) initSpace(copy, options.newSpaceName, options.now);
  if (options.author.name) recordMember(copy, options.author);
  const summary = await importMarkdownFiles(copy, files, options);
  const changed = summary.imported > 0 || options.newSpaceName !== undefined;
  const catalogUpdate = changed ? Y.encodeStateAsUpdate(copy, before) : null;
  copy.destroy();
  return { catalogUpdate, summary };
}

/** An ATX heading's text without its optional closing run of #, spaces and tabs. */
function trimClosingHashes(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === '#' || text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(0, end);
}
