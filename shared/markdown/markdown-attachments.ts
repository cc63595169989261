/**
 * The files notes show, in Markdown. Export: each attachment once, as `attachments/NAME` (safe, unique
 * names; the same file, the same name), linked as `![alt](…)`, `[NAME](…)` or `![[NAME]]`. Import: the
 * non-Markdown files of an import that notes embed or link to (by path, or by bare name as Obsidian
 * does) are stored once each and become attachment nodes; anything else stays as written.
 */
import { cleanFileName, DEFAULT_ATTACHMENT_LIMIT_BYTES, formatBytes, readImageFacts } from '../attachments/attachment';
import type { AttachmentFacts } from '../attachments/attachment-node';
import { errorMessage } from '../errors';
import { EMBED_PATTERN, typeFromName, unescapeMarkdown } from './attachment-syntax';
import { dirOf, FolderNames, resolveRelative } from './file-names';
import type { ImportAttachmentResolver } from './file-transformers';
import { MAX_IMPORT_TOTAL_BYTES } from './limits';
import type { FileReport, ImportFile } from './markdown-import';
import { MAX_INLINE_LINE } from './markdown-preprocess';

/** The folder of an export (or of each space's folder in an export of everything) that holds attachments. */
export const ATTACHMENT_FOLDER = 'attachments';
/** The destination of any inline link or image (for finding what a note may refer to). */
const LINK_DESTINATION = /\]\(\s*(?:<((?:\\.|[^<>\n\\])*)>|((?:\\\S|\([^\s()]*\)|[^\s()\\])+))/g;

/** A file's name split so the extension survives making it unique (`photo 2.png`). */
function splitExtension(name: string): [string, string] {
  const extension = /\.[A-Za-z0-9]{1,16}$/.exec(name)?.[0] ?? '';
  const base = name.slice(0, name.length - extension.length);
  return base.trim() ? [base, extension] : [name, ''];
}

/** The files an export writes for the attachments its notes show: one per file (by hash), uniquely named. */
export class ExportAttachments {
  private readonly pathOf = new Map<string, string>();

  /** `names` are the names taken in the attachments folder; `wikiSafe` keeps `[ ] # ^` out of names. */
  constructor(
    private readonly names: FolderNames,
    private readonly wikiSafe: boolean,
  ) {}

  /** The path from the export's root that the attachment is written to. */
  fileFor(facts: AttachmentFacts): string {
    let path = this.pathOf.get(facts.hash);
    if (path === undefined) {
      const clean = cleanFileName(facts.name);
      const [base, extension] = splitExtension(this.wikiSafe ? clean.replace(/[[\]#^]/g, '-') : clean);
      path = `${ATTACHMENT_FOLDER}/${this.names.pick(base, extension)}`;
      this.pathOf.set(facts.hash, path);
    }
    return path;
  }

  /** Every file named so far, in the order the notes showed them. */
  files(): Array<{ hash: string; path: string }> {
    return [...this.pathOf].map(([hash, path]) => ({ hash, path }));
  }
}

/** How an import stores the files its notes show. */
export interface AttachmentImportOptions {
  /** Stores a file's bytes; resolves to its hash. */
  store: (bytes: Uint8Array) => Promise<string>;
  /** Largest file stored (the host's attachment limit). */
  limit?: number;
  /** All the files one import stores, together. */
  maxTotalBytes?: number;
  /** The member id the nodes name as having attached the files ('' when unknown). */
  by: string;
}

interface Candidate {
  path: string;
  file: ImportFile;
  report: FileReport;
  /** Undefined until tried; null when it could not be stored (the report says why). */
  stored?: AttachmentFacts | null;
  used?: boolean;
}

/** Fenced code and code spans hold no references. */
function linesOutsideCode(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split(/\r?\n/)) {
    const open = /^[ \t]{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (open && open[1]!.startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') fence = null;
    } else if (open) fence = open[1]!;
    else if (line.length <= MAX_INLINE_LINE) lines.push(line.replace(/`[^`\n]*`/g, ''));
  }
  return lines;
}

/** The non-Markdown files of one import, stored when a note first refers to them. */
export class ImportAttachments {
  private readonly byPath = new Map<string, Candidate>();
  private readonly byName = new Map<string, Candidate[]>();
  private readonly candidates: Candidate[] = [];
  private total = 0;
  private readonly limit: number;
  private readonly maxTotalBytes: number;

  constructor(private readonly options: AttachmentImportOptions) {
    this.limit = options.limit ?? DEFAULT_ATTACHMENT_LIMIT_BYTES;
    this.maxTotalBytes = options.maxTotalBytes ?? MAX_IMPORT_TOTAL_BYTES;
  }

  /** A non-Markdown file of the import (`path` already checked safe); its report is settled by `finish`. */
  add(path: string, file: ImportFile, report: FileReport): void {
    const candidate: Candidate = { path, file, report };
    this.candidates.push(candidate);
    if (!this.byPath.has(path.toLowerCase())) this.byPath.set(path.toLowerCase(), candidate);
    const name = path.split('/').pop()!.toLowerCase();
    this.byName.set(name, [...(this.byName.get(name) ?? []), candidate]);
  }

  /** A file by bare name or partial path, as Obsidian finds it: the note's own folder first. */
  private locateName(target: string, fromDir: string): Candidate | null {
    const wanted = target.trim().replace(/^\/+/, '').toLowerCase();
    if (!wanted) return null;
    const named = this.byName.get(wanted.split('/').pop()!) ?? [];
    const matching = wanted.includes('/') ? named.filter((c) => c.path.toLowerCase() === wanted || c.path.toLowerCase().endsWith(`/${wanted}`)) : named;
    return matching.find((c) => dirOf(c.path) === fromDir) ?? matching[0] ?? null;
  }

  /** A file a relative destination points to (URL-decoded, from the note's folder), else by its bare name. */
  private locatePath(href: string, fromDir: string): Candidate | null {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href.startsWith('//')) return null;
    const resolved = resolveRelative(fromDir, href);
    if (resolved === null) return null;
    const found = this.byPath.get(resolved.toLowerCase());
    if (found) return found;
    const bare = resolveRelative('', href);
    return bare && !bare.includes('/') ? this.locateName(bare, fromDir) : null;
  }

  /** Every file of the import a note's Markdown refers to (a superset: text in HTML blocks counts too). */
  private referencedBy(markdown: string, fromDir: string): Candidate[] {
    const found = new Set<Candidate>();
    const add = (candidate: Candidate | null) => candidate && found.add(candidate);
    for (const line of linesOutsideCode(markdown)) {
      if (!line.includes('](') && !line.includes('![[')) continue;
      for (const match of line.matchAll(new RegExp(EMBED_PATTERN.source, 'g'))) add(this.locateName(match[1]!, fromDir));
      for (const match of line.matchAll(LINK_DESTINATION)) add(this.locatePath(unescapeMarkdown(match[1] ?? match[2] ?? ''), fromDir));
    }
    return [...found];
  }

  /** Stores the files a note refers to (each once per import); returns a warning per file that could not be. */
  async prepare(markdown: string, notePath: string): Promise<string[]> {
    const warnings: string[] = [];
    for (const candidate of this.referencedBy(markdown, dirOf(notePath))) {
      if (candidate.stored === undefined) candidate.stored = await this.store(candidate);
      if (candidate.stored === null) warnings.push(`${candidate.path} was not imported (see its report): the reference stays as written`);
    }
    return warnings;
  }

  private fail(candidate: Candidate, reason: string): null {
    candidate.report.status = 'failed';
    candidate.report.messages.push(reason);
    return null;
  }

  private async store(candidate: Candidate): Promise<AttachmentFacts | null> {
    const { file } = candidate;
    if (file.refused) return this.fail(candidate, file.refused);
    const size = file.bytes?.byteLength ?? file.deferred?.size;
    if (size === undefined) return this.fail(candidate, 'could not be read');
    if (size > this.limit) return this.fail(candidate, `larger than the ${formatBytes(this.limit)} limit for attachments (${formatBytes(size)}): not imported`);
    if (this.total + size > this.maxTotalBytes) return this.fail(candidate, `the import's attachments pass ${formatBytes(this.maxTotalBytes)} in total: not imported`);
    this.total += size;
    let bytes: Uint8Array;
    try {
      bytes = file.bytes ?? (await file.deferred!.read());
    } catch (error) {
      return this.fail(candidate, `could not be read: ${errorMessage(error)}`);
    }
    // A file that grew after it was listed is held to the same limit.
    if (bytes.byteLength > this.limit) return this.fail(candidate, `larger than the ${formatBytes(this.limit)} limit for attachments: not imported`);
    let hash: string;
    try {
      hash = await this.options.store(bytes);
    } catch (error) {
      return this.fail(candidate, `could not be stored: ${errorMessage(error)}`);
    }
    const name = cleanFileName(candidate.path.split('/').pop()!);
    const image = readImageFacts(bytes);
    return { hash, name, mime: image?.mime ?? typeFromName(name), size: bytes.byteLength, alt: '', width: image?.width ?? 0, height: image?.height ?? 0, by: this.options.by };
  }

  /** What the transformers of one note look files up in (only files already stored by `prepare`). */
  resolver(notePath: string): ImportAttachmentResolver {
    const fromDir = dirOf(notePath);
    return {
      byName: (target) => this.locateName(target, fromDir)?.stored ?? null,
      byPath: (href) => this.locatePath(href, fromDir)?.stored ?? null,
    };
  }

  /** Marks the stored files a note ended up showing. */
  markUsed(hashes: Iterable<string>): void {
    const used = new Set(hashes);
    for (const candidate of this.candidates) if (candidate.stored && used.has(candidate.stored.hash)) candidate.used = true;
  }

  /** Settles each file's report: imported when a note shows it, skipped when none does. */
  finish(): void {
    for (const candidate of this.candidates) {
      if (candidate.report.status === 'failed') continue;
      // A file no note shows is skipped whatever its size: nothing needed it.
      if (candidate.used) candidate.report.status = 'imported';
      else candidate.report.messages.push('not a Markdown file, and no note shows it: skipped');
    }
  }
}
