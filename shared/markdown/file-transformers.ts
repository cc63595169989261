/**
 * The transformer sets the headless converter uses: the editor's own set plus what a file needs and
 * typing does not (note links, attachments, underline, verbatim blocks, minimal escaping, hard line breaks).
 */
import { $isCodeNode, CodeNode } from '@lexical/code';
import { $convertToMarkdownString, type ElementTransformer, type MultilineElementTransformer, type TextMatchTransformer, type Transformer } from '@lexical/markdown';
import { $isTableNode, TableCellNode, TableNode, TableRowNode } from '@lexical/table';
import { tableToMarkdown } from './markdown-table';
import { $createTextNode, $isLineBreakNode, $isParagraphNode, $isTextNode, LineBreakNode, ParagraphNode, TextNode } from 'lexical';
import { $isQuoteNode } from '@lexical/rich-text';
import { COMMONPLACE_TRANSFORMERS } from '../markdown-shortcuts';
import { $createNoteLinkNode, $isNoteLinkNode, labelFromText, NoteLinkNode } from '../note-link-node';
import { encodeLinkPath, escapeBlockStart, joinEmphasisAroundLinks, protectUnescapedCharacters, restoreKept } from './markdown-escape';
import { $createAttachmentNode, $isAttachmentNode, AttachmentNode, type AttachmentFacts } from '../attachments/attachment-node';
import { cleanFileName } from '../attachments/attachment';
import { altFor, attachmentLink, EMBED_PATTERN, embedAlt, IMAGE_PATTERN, unescapeMarkdown } from './attachment-syntax';

/**
 * The code-block language that marks Markdown Commonplace cannot represent (tables, HTML, math,
 * footnotes...): shown as a code block, exported verbatim without a fence.
 */
export const VERBATIM_LANGUAGE = 'markdown-verbatim';

/** The code-block language the pre-processor wraps a table in, for the importer to make it a table. */
export const TABLE_LANGUAGE = 'commonplace-table';

export interface NoteLinkTarget {
  id: string;
  title: string;
}

/** What a note link says besides its target: its own text and where in the target it points. */
export interface NoteLinkDetail {
  /** Inline Markdown; '' when the link shows the target's title. */
  label: string;
  /** As written after `#` ('' for the note itself). */
  anchor: string;
}

/** How an export writes links between notes, and the files notes show. */
export interface ExportLinkResolver {
  /** Markdown for a link to the note, or null to write the link's text as plain text. */
  noteLink(noteId: string, linkedTitle: string, detail: NoteLinkDetail): string | null;
  /** Markdown for an attachment (by default an image or link to its bare name). */
  attachment?(facts: AttachmentFacts): string;
}

/** How an import finds the notes that links point to. */
export interface ImportLinkResolver {
  byTitle(title: string): NoteLinkTarget | null;
  /** A relative link destination (as written, not decoded) from the file being imported. */
  byPath(href: string): NoteLinkTarget | null;
}

/** How an import finds the files of the import that notes show (already stored, with their facts; alt ''). */
export interface ImportAttachmentResolver {
  /** The file an `![[embed]]` names (a bare name or partial path). */
  byName(target: string): AttachmentFacts | null;
  /** The file a relative link or image destination (as written, not decoded) points to. */
  byPath(href: string): AttachmentFacts | null;
}

const VERBATIM: MultilineElementTransformer = {
  dependencies: [CodeNode],
  export: (node) => ($isCodeNode(node) && node.getLanguage() === VERBATIM_LANGUAGE ? node.getTextContent() : null),
  // Import goes through the code fence the pre-processor writes; this one never matches.
  regExpStart: /^(?!)/,
  replace: () => false,
  type: 'multiline-element',
};

/** Paragraph lines that would read as another block are escaped. */
const PARAGRAPH: ElementTransformer = {
  dependencies: [ParagraphNode],
  export: (node, exportChildren) => {
    if (!$isParagraphNode(node)) return null;
    return exportChildren(node)
      .split('\n')
      .map((line) => escapeBlockStart(joinEmphasisAroundLinks(line)))
      .join('\n');
  },
  regExp: /^(?!)/,
  replace: () => false,
  type: 'element',
};

/**
 * A line break inside a paragraph, heading or list item is a hard break (`\` at the end of the line),
 * so it survives re-import; inside a quote each line gets its own `> ` and the importer rejoins them.
 */
const LINE_BREAK: TextMatchTransformer = {
  dependencies: [LineBreakNode],
  export: (node) => ($isLineBreakNode(node) ? ($isQuoteNode(node.getParent()) ? '\n' : '\\\n') : null),
  regExp: /^(?!)/,
  type: 'text-match',
};

/** Plain text with minimal escaping, and underline (which Markdown lacks) as `<u>…</u>`. */
const TEXT: TextMatchTransformer = {
  dependencies: [TextNode],
  export: (node, _exportChildren, exportFormat) => {
    if (!$isTextNode(node) || node.hasFormat('code') || $isLineBreakNode(node)) return null;
    const text = node.getTextContent();
    const protectedText = protectUnescapedCharacters(text);
    let out = protectedText === null ? exportFormat(node, text) : restoreKept(exportFormat(node, protectedText));
    if (node.hasFormat('underline') && text.trim() !== '') out = out.replace(/^(\s*)([\s\S]*?)(\s*)$/, '$1<u>$2</u>$3');
    // `!` right before an attachment's `[name](…)` would make it an image.
    if (out.endsWith('!') && $isAttachmentNode(node.getNextSibling())) out = `${out.slice(0, -1)}\\!`;
    return out;
  },
  importRegExp: /<u>([^<>\n]+)<\/u>/,
  regExp: /<u>([^<>\n]+)<\/u>$/,
  replace: (textNode, match) => {
    const node = $createTextNode(match[1] ?? '');
    node.setFormat(textNode.getFormat());
    node.toggleFormat('underline');
    textNode.replace(node);
    return node;
  },
  trigger: '>',
  type: 'text-match',
};

function noteLinkTransformer(exportLinks: ExportLinkResolver | null, importLinks: ImportLinkResolver | null): TextMatchTransformer {
  return {
    dependencies: [NoteLinkNode],
    export: (node) => {
      if (!$isNoteLinkNode(node)) return null;
      const written = exportLinks?.noteLink(node.getNoteId(), node.getLinkedTitle(), { label: node.getLabel(), anchor: node.getAnchor() });
      if (written != null) return written;
      return node.getLabel() || node.getLinkedTitle().replace(/([\\*_`~[\]<])/g, '\\$1');
    },
    // [[Title]], [[Title#Heading]], [[Title#^block]], [[Title|label]], [[Title#Heading|label]]
    importRegExp: /\[\[([^[\]\n|#^]+)(?:#([^[\]\n|]*))?(?:\|([^[\]\n]*))?\]\]/,
    regExp: /\[\[([^[\]\n|#^]+)(?:#([^[\]\n|]*))?(?:\|([^[\]\n]*))?\]\]$/,
    replace: (textNode, match) => {
      const target = importLinks?.byTitle((match[1] ?? '').trim());
      if (!target) return; // unresolved: stays text, never dropped
      const link = $createNoteLinkNode(target.id, target.title, match[3] && match[3] !== target.title ? labelFromText(match[3]) : '', match[2] ?? '');
      textNode.replace(link);
    },
    trigger: ']',
    type: 'text-match',
  };
}

/** An attachment as its resolver writes it, or as an image or link to its bare name. */
function attachmentExport(exportLinks: ExportLinkResolver | null): TextMatchTransformer {
  return {
    dependencies: [AttachmentNode],
    export: (node) => {
      if (!$isAttachmentNode(node)) return null;
      const facts = node.getFacts();
      if (exportLinks?.attachment) return exportLinks.attachment(facts);
      const name = cleanFileName(facts.name);
      return attachmentLink(facts, encodeLinkPath(name), name);
    },
    regExp: /^(?!)/,
    type: 'text-match',
  };
}

/** Makes `match` an attachment node when `facts` names a stored file; says where the match ends, or false. */
function attachmentImport(pattern: RegExp, facts: (match: RegExpMatchArray) => AttachmentFacts | null, keepAsText: (match: RegExpMatchArray) => boolean): TextMatchTransformer {
  return {
    dependencies: [AttachmentNode],
    importRegExp: pattern,
    regExp: /^(?!)/,
    // A reference to no file of the import is left to the other transformers (a link, a wiki-link), or kept as text.
    getEndIndex: (_node, match) => (facts(match) || keepAsText(match) ? (match.index ?? 0) + match[0].length : false),
    replace: (textNode, match) => {
      const found = facts(match);
      if (found) textNode.replace($createAttachmentNode(found));
    },
    type: 'text-match',
  };
}

/** `![[file]]` and `![alt](path)` as attachment nodes (links to files are made attachments after the import). */
function attachmentImports(attachments: ImportAttachmentResolver): TextMatchTransformer[] {
  const embed = (match: RegExpMatchArray): AttachmentFacts | null => {
    const found = attachments.byName(match[1]!);
    return found && { ...found, alt: altFor(embedAlt(match[2] ?? ''), found.name) };
  };
  const image = (match: RegExpMatchArray): AttachmentFacts | null => {
    const found = attachments.byPath(unescapeMarkdown(match[2] ?? match[3] ?? ''));
    return found && { ...found, alt: altFor(unescapeMarkdown(match[1]!), found.name) };
  };
  // `![](x)` is no link either: kept whole, so what follows it is still read.
  return [attachmentImport(EMBED_PATTERN, embed, () => false), attachmentImport(IMAGE_PATTERN, image, (match) => match[1] === '')];
}

/** A table as GFM lines, each cell's content read with the same transformers. */
function tableTransformer(transformers: Transformer[]): ElementTransformer {
  return {
    dependencies: [TableNode, TableRowNode, TableCellNode],
    export: (node) => ($isTableNode(node) ? tableToMarkdown(node, (cell) => $convertToMarkdownString(transformers, cell)) : null),
    // Import goes through the code fence the pre-processor writes (see note-markdown.ts); this one never matches.
    regExp: /^(?!)/,
    replace: () => false,
    type: 'element',
  };
}

/** Transformers for reading a note out as Markdown. */
export function exportTransformers(links: ExportLinkResolver | null): Transformer[] {
  const transformers: Transformer[] = [];
  transformers.push(VERBATIM, tableTransformer(transformers), ...COMMONPLACE_TRANSFORMERS, PARAGRAPH, noteLinkTransformer(links, null), attachmentExport(links), LINE_BREAK, TEXT);
  return transformers;
}

/** Transformers for writing Markdown into a note. */
export function importTransformers(links: ImportLinkResolver | null, attachments: ImportAttachmentResolver | null = null): Transformer[] {
  // Embeds and wiki-links first: on a tie Lexical keeps the earlier transformer, and LINK would read `[[a]] [b](c)` as one link.
  return [...(attachments ? attachmentImports(attachments) : []), noteLinkTransformer(null, links), ...COMMONPLACE_TRANSFORMERS, TEXT];
}
