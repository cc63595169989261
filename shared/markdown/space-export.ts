/**
 * A space as a folder of Markdown files: one file per active note with YAML front matter, links
 * between notes as relative links (or [[wiki-links]]), an index.md listing the notes by tag, and
 * the files the notes show, each once, in attachments/.
 */
import type * as Y from 'yjs';
import { catalogMembers, entryAuthors, getEntry, listNotes, spaceName, type NoteSummary } from '../catalog';
import { createNoteEditor } from '../note-body';
import { FolderNames, safeBaseName, safeRelativePath } from './file-names';
import { formatFrontMatter } from './front-matter';
import { encodeLinkPath, escapeLinkText } from './markdown-escape';
import type { ExportLinkResolver } from './file-transformers';
import { noteBodyToMarkdown } from './note-markdown';
import { labelText } from '../note-link-node';
import { readThreads, type CommentThread } from '../comments';
import { isAttachmentHash } from '../attachments/attachment';
import { ATTACHMENT_FOLDER, ExportAttachments } from './markdown-attachments';
import { attachmentEmbed, attachmentLink } from './attachment-syntax';

export interface ExportedFile {
  /** Forward-slash path relative to the export's root. */
  path: string;
  /** A Markdown file's text ('' for a binary file). */
  text: string;
  /** A binary file's content (an attachment). */
  bytes?: Uint8Array;
}

export interface SpaceExportOptions {
  /** Write links between notes as [[wiki-links]] instead of relative Markdown links. */
  wikilinks?: boolean;
  /** Export only these notes (no index.md); by default every active note. */
  noteIds?: string[];
  /** Write each note's open comment threads after its body, in a "Discussion" section (the default). */
  comments?: boolean;
  /** A folder inside the export to put the files in (for exports of every space). */
  folder?: string;
  onProgress?: (done: number, total: number) => void;
  /** An attachment's bytes, or null when this device does not have them (the file is then linked, not written). */
  readAttachment?: (hash: string) => Promise<Uint8Array | null>;
  /** Told of each attachment the notes show that could not be included (`path` as it is linked). */
  onMissingAttachment?: (attachment: { hash: string; path: string }) => void;
}

/** Marks the generated table of contents, so importing an export does not make it a note. */
export const INDEX_MARKER = 'commonplace-index';

function iso(time: number): string | undefined {
  return time > 0 && Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

/** Reads a note's body document (it may be read, converted and dropped one note at a time). */
export type BodyReader = (noteId: string) => Promise<Y.Doc>;

/** Every active note of the space (or the chosen ones) as Markdown files, reading one body at a time. */
export async function exportSpace(doc: Y.Doc, readBody: BodyReader, options: SpaceExportOptions = {}): Promise<ExportedFile[]> {
  const all = listNotes(doc, { sort: 'title' });
  const wanted = options.noteIds ? new Set(options.noteIds) : null;
  const notes = wanted ? all.filter((n) => wanted.has(n.id)) : all;
  const prefix = options.folder ? `${options.folder}/` : '';
  // Each note goes back into the folder it came from, its name unique there (index.md is the root's).
  const folders = new Map<string, FolderNames>([['', new FolderNames(wanted ? [] : ['index.md'])]]);
  const fileOf = new Map<string, string>();
  for (const note of notes) {
    // Chosen notes (one note's export) are written side by side; a whole space keeps its folders.
    const folder = wanted ? '' : exportFolder(note.folder);
    if (!folders.has(folder)) folders.set(folder, new FolderNames());
    const name = folders.get(folder)!.pick(note.title, '.md');
    fileOf.set(note.id, folder ? `${folder}/${name}` : name);
  }
  // A wiki-link names a file by its name, or by its path when two folders hold that name.
  const nameCount = new Map<string, number>();
  for (const file of fileOf.values()) {
    const name = file.split('/').pop()!.toLowerCase();
    nameCount.set(name, (nameCount.get(name) ?? 0) + 1);
  }
  const members = catalogMembers(doc);
  const titles = new Map(all.map((n) => [n.id, n.title]));
  const titleOf = (id: string): string | null => titles.get(id) ?? null;

  if (!folders.has(ATTACHMENT_FOLDER)) folders.set(ATTACHMENT_FOLDER, new FolderNames());
  const attachments = new ExportAttachments(folders.get(ATTACHMENT_FOLDER)!, Boolean(options.wikilinks));

  const wikiText = (text: string) => text.replace(/[[\]|]/g, ' ');
  /** A link written in a file in `fromFolder`; `label` is the note's title (plain text), or a link's own label (inline Markdown). */
  const linkTo = (fromFolder: string, id: string, label: { title: string } | { markdown: string }, anchor = ''): string => {
    const file = fileOf.get(id)!;
    const name = file.split('/').pop()!;
    const base = (nameCount.get(name.toLowerCase())! > 1 ? file : name).slice(0, -3);
    const hash = anchor ? `#${anchor}` : '';
    if (options.wikilinks) {
      const text = 'title' in label ? label.title : labelText(label.markdown);
      return base === text ? `[[${base}${hash}]]` : `[[${base}${hash}|${wikiText(text)}]]`;
    }
    const text = 'title' in label ? escapeLinkText(label.title) : label.markdown;
    return `[${text}](${encodeLinkPath(relativePath(fromFolder, file))}${hash ? `#${anchor.replace(/[\s()<>]/g, encodeURIComponent)}` : ''})`;
  };
  /** How the links of a note written in `fromFolder` are written (relative links start there). */
  const linksFrom = (fromFolder: string): ExportLinkResolver => ({
    noteLink: (id, linkedTitle, { label, anchor }) => {
      const current = titleOf(id);
      if (current !== null && fileOf.has(id)) return linkTo(fromFolder, id, label ? { markdown: label } : { title: current || 'Untitled' }, anchor);
      // The target is not in this export: a wiki-link keeps the reference, a relative link would dangle.
      // (A target that is gone keeps the title it had when linked.)
      if (options.wikilinks) {
        const title = wikiText(current ?? linkedTitle);
        const text = label ? wikiText(labelText(label)) : '';
        return `[[${title}${anchor ? `#${anchor}` : ''}${text && text !== title ? `|${text}` : ''}]]`;
      }
      return null;
    },
    attachment: (facts) => {
      const file = attachments.fileFor(facts);
      const name = file.slice(ATTACHMENT_FOLDER.length + 1);
      return options.wikilinks ? attachmentEmbed(facts, name) : attachmentLink(facts, encodeLinkPath(relativePath(fromFolder, file)), name);
    },
  });

  const editor = createNoteEditor();
  const files: ExportedFile[] = [];
  for (const [index, note] of notes.entries()) {
    const authors = entryAuthors(getEntry(doc, note.id)!).map((id) => members.get(id)?.name || id);
    const front = formatFrontMatter({
      title: note.title,
      tags: note.tags,
      created: iso(note.createdAt),
      updated: iso(note.updatedAt),
      authors,
      id: note.id,
    });
    const bodyDoc = await readBody(note.id);
    const body = noteBodyToMarkdown(bodyDoc, note.id, { links: linksFrom(wanted ? '' : exportFolder(note.folder)), editor });
    const discussion = options.comments === false ? '' : discussionSection(readThreads(bodyDoc));
    const text = `${front}\n${body}${body.endsWith('\n') || body === '' ? '' : '\n'}`;
    files.push({ path: prefix + fileOf.get(note.id)!, text: discussion ? `${text}\n${discussion}` : text });
    options.onProgress?.(index + 1, notes.length);
  }
  if (!wanted) files.unshift({ path: `${prefix}index.md`, text: indexFile(spaceName(doc), notes, (id, label) => linkTo('', id, label)) });
  files.push(...(await attachmentFiles(attachments, prefix, options)));
  return files;
}

/** The attachments the notes showed, read one after another; one this device lacks is linked and reported. */
async function attachmentFiles(attachments: ExportAttachments, prefix: string, options: SpaceExportOptions): Promise<ExportedFile[]> {
  const files: ExportedFile[] = [];
  for (const { hash, path } of attachments.files()) {
    // A hash that is no hash (a hostile peer's node) is never handed on as a file name.
    const bytes = isAttachmentHash(hash) && options.readAttachment ? await options.readAttachment(hash).catch(() => null) : null;
    if (bytes) files.push({ path: prefix + path, text: '', bytes });
    else options.onMissingAttachment?.({ hash, path: prefix + path });
  }
  return files;
}

/** A note's folder as it may be written (a hostile or unusable one goes to the root). */
function exportFolder(folder: string): string {
  if (!folder) return '';
  const safe = safeRelativePath(folder);
  return safe ? safe.split('/').map((part) => safeBaseName(part, '_')).join('/') : '';
}

/** `to` (a path from the export's root) as seen from the folder `from`. */
function relativePath(from: string, to: string): string {
  const fromParts = from ? from.split('/') : [];
  const toParts = to.split('/');
  let same = 0;
  while (same < fromParts.length && same < toParts.length - 1 && fromParts[same] === toParts[same]) same++;
  return [...fromParts.slice(same).map(() => '..'), ...toParts.slice(same)].join('/');
}

/** Comment text as Markdown that shows it as written: characters Markdown would read as markup are escaped. */
function plainMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>#|~])/g, '\\$1');
}

/** A note's open threads: each passage quoted, then its comments with author and date. */
export function discussionSection(threads: CommentThread[]): string {
  const open = threads.filter((t) => !t.resolved);
  if (open.length === 0) return '';
  const lines = ['## Discussion', ''];
  for (const thread of open) {
    for (const line of (thread.quote || '(no text)').split('\n')) lines.push(`> ${plainMarkdown(line)}`);
    lines.push('');
    for (const c of thread.comments) {
      const [first, ...rest] = c.text.split('\n');
      lines.push(`- **${plainMarkdown(c.author.name || 'A member')}** (${new Date(c.at).toISOString().slice(0, 10)}): ${plainMarkdown(first ?? '')}`);
      for (const line of rest) lines.push(`  ${plainMarkdown(line)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The space's table of contents: one section per tag, untagged notes last. */
function indexFile(name: string, notes: NoteSummary[], linkTo: (id: string, label: { title: string }) => string): string {
  const byTag = new Map<string, NoteSummary[]>();
  const untagged: NoteSummary[] = [];
  for (const note of notes) {
    if (note.tags.length === 0) untagged.push(note);
    for (const tag of note.tags) byTag.set(tag, [...(byTag.get(tag) ?? []), note]);
  }
  const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  const lines = [formatFrontMatter({ title: name || 'Commonplace', [INDEX_MARKER]: true }), `# ${escapeLinkText(name || 'Commonplace')}`, ''];
  const section = (heading: string, list: NoteSummary[]) => {
    lines.push(`## ${escapeLinkText(heading)}`, '');
    for (const note of list) lines.push(`- ${linkTo(note.id, { title: note.title || 'Untitled' })}`);
    lines.push('');
  };
  for (const tag of [...byTag.keys()].sort(collator.compare)) section(tag, byTag.get(tag)!);
  if (untagged.length) section('Untagged', untagged);
  if (notes.length === 0) lines.push('This space has no notes.', '');
  return lines.join('\n');
}
