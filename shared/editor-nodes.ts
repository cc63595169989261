/** The node list every Commonplace editor uses, interactive or headless: one list, so notes mean the same everywhere. */
import { CodeHighlightNode, CodeNode } from '@lexical/code';
import { HorizontalRuleNode } from '@lexical/extension';
import { AutoLinkNode, LinkNode } from '@lexical/link';
import { ListItemNode, ListNode } from '@lexical/list';
import { MarkNode } from '@lexical/mark';
import { TableCellNode, TableNode, TableRowNode } from '@lexical/table';
import { HeadingNode, QuoteNode } from '@lexical/rich-text';
import { ParagraphNode, TabNode, TextNode, type Klass, type LexicalNode } from 'lexical';
import { NoteLinkNode } from './note-link-node';
import { AttachmentNode } from './attachments/attachment-node';

export const EDITOR_NODES: ReadonlyArray<Klass<LexicalNode>> = [
  HeadingNode,
  QuoteNode,
  ListNode,
  ListItemNode,
  CodeNode,
  CodeHighlightNode,
  LinkNode,
  AutoLinkNode,
  HorizontalRuleNode,
  NoteLinkNode,
  // A file or image, named by its SHA-256 (the bytes are the host's: shared/attachments).
  AttachmentNode,
  // A commented passage (the thread is in the note's document, shared/comments.ts).
  MarkNode,
  TableNode,
  TableRowNode,
  TableCellNode,
];

/**
 * Node properties that never reach the Y.Doc. Each synced property is a Yjs item on every text run and
 * block, and a space of thousands of notes pays for them at every open; these are either unused by
 * Commonplace (inline styles, token modes) or derived again by each editor (text direction, the format
 * of text typed next into an empty block). Every binding must use the same set.
 */
const ELEMENT_LOCAL = ['__style', '__dir', '__textFormat', '__textStyle'];
/** Lists, code blocks and links are never aligned or indented by hand (list nesting is structural). */
const BLOCK_LOCAL = [...ELEMENT_LOCAL, '__format', '__indent'];
const TEXT_LOCAL = ['__style', '__mode', '__detail'];

const excluded = (klass: Klass<LexicalNode>, names: string[]): [Klass<LexicalNode>, Set<string>] => [klass, new Set(names)];

export const EXCLUDED_PROPERTIES: Map<Klass<LexicalNode>, Set<string>> = new Map([
  excluded(TextNode, TEXT_LOCAL),
  excluded(TabNode, TEXT_LOCAL),
  excluded(CodeHighlightNode, TEXT_LOCAL),
  excluded(ParagraphNode, ELEMENT_LOCAL),
  excluded(HeadingNode, ELEMENT_LOCAL),
  excluded(QuoteNode, ELEMENT_LOCAL),
  excluded(ListNode, BLOCK_LOCAL),
  excluded(ListItemNode, BLOCK_LOCAL),
  excluded(CodeNode, BLOCK_LOCAL),
  excluded(LinkNode, [...BLOCK_LOCAL, '__target', '__rel', '__title']),
  excluded(AutoLinkNode, [...BLOCK_LOCAL, '__target', '__rel', '__title']),
]);
