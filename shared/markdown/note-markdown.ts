/**
 * One note's body to and from Markdown, headless: a Lexical editor with the editor's node list bound
 * to the note's Y.XmlText through @lexical/yjs, so an import is the same Yjs change typing would make.
 */
import { $isCodeNode } from '@lexical/code';
import { $isLinkNode, type LinkNode } from '@lexical/link';
import { $convertFromMarkdownString, $convertToMarkdownString, type Transformer } from '@lexical/markdown';
import { $isHeadingNode } from '@lexical/rich-text';
import { $createParagraphNode, $getRoot, $isElementNode, $isTextNode, type LexicalEditor, type LexicalNode } from 'lexical';
import type * as Y from 'yjs';
import { $createNoteLinkNode, labelText } from '../note-link-node';
import { createEntry } from '../catalog';
import { bindNoteBody, createNoteEditor, readNoteBodyWith } from '../note-body';
import { CODE_BACKSLASH, preprocessMarkdown } from './markdown-preprocess';
import { exportTransformers, importTransformers, TABLE_LANGUAGE, VERBATIM_LANGUAGE, type ExportLinkResolver, type ImportAttachmentResolver, type ImportLinkResolver } from './file-transformers';
import { $tableFromMarkdown, parseMarkdownTable } from './markdown-table';
import { $createAttachmentNode, $isAttachmentNode } from '../attachments/attachment-node';
import { altFor } from './attachment-syntax';

export interface ReadOptions {
  links?: ExportLinkResolver | null;
  /** Reuse one headless editor across many notes (faster for whole-space exports). */
  editor?: LexicalEditor;
}

/** A note's body as Markdown (no front matter). */
export function noteBodyToMarkdown(doc: Y.Doc, noteId: string, options: ReadOptions = {}): string {
  const transformers = exportTransformers(options.links ?? null);
  return readNoteBodyWith(doc, noteId, options.editor ?? createNoteEditor(), () => $convertToMarkdownString(transformers));
}

export interface WriteOptions {
  links?: ImportLinkResolver | null;
  /** Files of the import that embeds, images and links to files become attachments of. */
  attachments?: ImportAttachmentResolver | null;
  editor?: LexicalEditor;
  /** The member writing (history names them). */
  author?: string;
}

export interface WriteResult {
  /** Inline #tags found in the text (outside code and headings). */
  tags: string[];
  warnings: string[];
  /** How many links became links to notes. */
  noteLinks: number;
  /** The hashes of the files the body shows. */
  attachments: string[];
}

/** Replaces a note's body with Markdown, resolving links to other notes and collecting inline #tags. */
export function markdownToNoteBody(doc: Y.Doc, noteId: string, markdown: string, options: WriteOptions = {}): WriteResult {
  const { markdown: prepared, warnings } = preprocessMarkdown(markdown);
  const { editor, dispose } = bindNoteBody(doc, noteId, { editor: options.editor ?? createNoteEditor(), author: options.author });
  const links = options.links ?? null;
  const attachments = options.attachments ?? null;
  let result: WriteResult = { tags: [], warnings, noteLinks: 0, attachments: [] };
  const transformers = importTransformers(links, attachments);
  try {
    editor.update(
      () => {
        $convertFromMarkdownString(prepared, transformers, undefined, false, true);
        // Every body starts with a block, written by the device that makes the note (see initNoteBody).
        if ($getRoot().getChildrenSize() === 0) $getRoot().append($createParagraphNode());
        $tablesFromFences(transformers);
        $restoreCodeBackslashes();
        if (attachments) $linksToAttachments(attachments);
        const noteLinks = links ? $linksToNotes(links) : 0;
        result = { tags: $inlineTags(), warnings, noteLinks, attachments: $attachmentHashes() };
      },
      { discrete: true },
    );
  } finally {
    dispose();
  }
  return result;
}

/**
 * Writes a new note's first content (at least one empty paragraph). Written once, by the creating
 * device: if every device that opened an empty note added a paragraph, they would all be kept.
 */
export function initNoteBody(doc: Y.Doc, noteId: string, markdown = '', author?: string): void {
  markdownToNoteBody(doc, noteId, markdown, { author });
}

/** Adds a note to the catalog with its body written into `body` (the note's document); returns its id. */
export function createNoteWithBody(catalog: Y.Doc, body: Y.Doc, options: Omit<Parameters<typeof createEntry>[1], 'id'>, markdown = ''): string {
  const id = createEntry(catalog, { ...options, id: body.guid });
  initNoteBody(body, id, markdown, options.author.id);
  return id;
}

/** Every node under the root, without recursion (imported documents may nest deeply). */
function $allNodes(): LexicalNode[] {
  const nodes: LexicalNode[] = [];
  const stack: LexicalNode[] = [...$getRoot().getChildren()].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    nodes.push(node);
    if ($isElementNode(node)) stack.push(...[...node.getChildren()].reverse());
  }
  return nodes;
}

/** The tables the pre-processor fenced become tables, each cell's Markdown read with the same transformers. */
function $tablesFromFences(transformers: Transformer[]): void {
  for (const node of $allNodes()) {
    if (!$isCodeNode(node) || node.getLanguage() !== TABLE_LANGUAGE) continue;
    const table = parseMarkdownTable(node.getTextContent().split('\n'));
    if (!table) {
      node.setLanguage(VERBATIM_LANGUAGE);
      continue;
    }
    node.replace(
      $tableFromMarkdown(table, (cell, markdown) => {
        const { markdown: prepared } = preprocessMarkdown(markdown.replace(/<br\s*\/?>/gi, '\n'));
        $convertFromMarkdownString(prepared, transformers, cell, false, false);
      }),
    );
  }
}

function $restoreCodeBackslashes(): void {
  for (const node of $allNodes()) {
    if ($isTextNode(node) && node.getTextContent().includes(CODE_BACKSLASH)) node.setTextContent(node.getTextContent().replaceAll(CODE_BACKSLASH, '\\'));
  }
}

/** Relative links to files of the import become note links; the rest stay ordinary links. */
function $linksToNotes(links: ImportLinkResolver): number {
  let count = 0;
  for (const node of $allNodes()) {
    if (!$isLinkNode(node)) continue;
    const href = (node as LinkNode).getURL();
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href.startsWith('//')) continue;
    const target = links.byPath(href);
    if (!target) continue;
    const hash = href.indexOf('#');
    const label = $labelMarkdown(node as LinkNode);
    node.replace($createNoteLinkNode(target.id, target.title, labelText(label) === target.title ? '' : label, hash >= 0 ? href.slice(hash + 1) : ''));
    count++;
  }
  return count;
}

/** Links to files of the import become attachments, their text the alt text when it is not the file's name. */
function $linksToAttachments(attachments: ImportAttachmentResolver): void {
  for (const node of $allNodes()) {
    if (!$isLinkNode(node)) continue;
    const found = attachments.byPath((node as LinkNode).getURL());
    if (found) node.replace($createAttachmentNode({ ...found, alt: altFor(node.getTextContent(), found.name) }));
  }
}

function $attachmentHashes(): string[] {
  return [...new Set($allNodes().filter($isAttachmentNode).map((node) => node.getFacts().hash))];
}

/** A link's text as the inline Markdown a label keeps: code spans and emphasis, brackets escaped. */
function $labelMarkdown(link: LinkNode): string {
  let out = '';
  for (const child of link.getChildren()) {
    if (!$isTextNode(child)) {
      out += child.getTextContent().replace(/([\\`[\]])/g, '\\$1');
      continue;
    }
    const text = child.getTextContent();
    if (child.hasFormat('code')) {
      const fence = text.includes('`') ? '``' : '`';
      out += `${fence}${text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text}${fence}`;
      continue;
    }
    let written = text.replace(/([\\`*[\]])/g, '\\$1');
    if (child.hasFormat('bold')) written = `**${written}**`;
    if (child.hasFormat('italic')) written = `*${written}*`;
    out += written;
  }
  return out;
}

const INLINE_TAG = /(?:^|[\s(,;])#([\p{L}\p{N}_/-]*[\p{L}_/-][\p{L}\p{N}_/-]*)/gu;

/** `#tags` written in the text (Obsidian style), not inside code, links or headings. */
function $inlineTags(): string[] {
  const tags = new Set<string>();
  for (const node of $allNodes()) {
    if (!$isTextNode(node) || node.hasFormat('code')) continue;
    const parent = node.getParent();
    if (!parent || $isCodeNode(parent) || $isHeadingNode(parent) || $isLinkNode(parent)) continue;
    for (const match of node.getTextContent().matchAll(INLINE_TAG)) {
      const tag = match[1]!.replace(/[/-]+$/, '');
      if (tag) tags.add(tag);
    }
  }
  return [...tags];
}
