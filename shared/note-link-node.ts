/**
 * A link from one note to another: an inline node that stores the target's id (so links survive
 * renames), the title it had when linked (shown if the target is gone), and, when the link was written
 * so, a label of its own and an anchor in the target (a heading or a ^block). The editor renders the
 * label, or the target's current title; exports write it as a relative link or a [[wiki-link]].
 */
import {
  $applyNodeReplacement,
  DecoratorNode,
  type DOMExportOutput,
  type LexicalNode,
  type NodeKey,
  type SerializedLexicalNode,
  type Spread,
} from 'lexical';

export type SerializedNoteLinkNode = Spread<{ noteId: string; title: string; label?: string; anchor?: string }, SerializedLexicalNode>;

export class NoteLinkNode extends DecoratorNode<unknown> {
  __noteId: string;
  __title: string;
  /** The link's own text as inline Markdown (code spans, emphasis), when it is not the target's title ('' when it is). */
  __label: string;
  /** Where in the target it points, as written after `#` ('' for the note itself). */
  __anchor: string;

  static override getType(): string {
    return 'note-link';
  }

  static override clone(node: NoteLinkNode): NoteLinkNode {
    return new NoteLinkNode(node.__noteId, node.__title, node.__key, node.__label, node.__anchor);
  }

  static override importJSON(json: SerializedNoteLinkNode): NoteLinkNode {
    return $createNoteLinkNode(json.noteId, json.title, json.label ?? '', json.anchor ?? '');
  }

  constructor(noteId: string, title: string, key?: NodeKey, label = '', anchor = '') {
    super(key);
    this.__noteId = noteId;
    this.__title = title;
    this.__label = label;
    this.__anchor = anchor;
  }

  override exportJSON(): SerializedNoteLinkNode {
    return { ...super.exportJSON(), type: 'note-link', version: 1, noteId: this.__noteId, title: this.__title, label: this.__label, anchor: this.__anchor };
  }

  getNoteId(): string {
    return this.getLatest().__noteId;
  }

  /** The title the target had when the link was made. */
  getLinkedTitle(): string {
    return this.getLatest().__title;
  }

  /** The link's own text ('' when it shows the target's title). */
  getLabel(): string {
    return this.getLatest().__label ?? '';
  }

  /** The heading or block in the target it points to ('' for the note itself). */
  getAnchor(): string {
    return this.getLatest().__anchor ?? '';
  }

  // createDOM/exportDOM run only in editors attached to a DOM, never in headless ones.
  override createDOM(): HTMLElement {
    // eslint-disable-next-line no-restricted-globals
    const span = document.createElement('span');
    span.className = 'note-link-host';
    return span;
  }

  override updateDOM(): false {
    return false;
  }

  override exportDOM(): DOMExportOutput {
    // eslint-disable-next-line no-restricted-globals
    const a = document.createElement('a');
    a.setAttribute('data-note-id', this.__noteId);
    a.textContent = this.__label || this.__title;
    return { element: a };
  }

  override isInline(): true {
    return true;
  }

  override isKeyboardSelectable(): boolean {
    return true;
  }

  override getTextContent(): string {
    const latest = this.getLatest();
    return latest.__label ? labelText(latest.__label) : latest.__title;
  }

  /** The interactive editor sets this to draw links (the label, or the target's current title); headless editors draw nothing. */
  static render: ((noteId: string, linkedTitle: string, label: string, anchor: string) => unknown) | null = null;

  override decorate(): unknown {
    return NoteLinkNode.render ? NoteLinkNode.render(this.__noteId, this.__title, this.__label ?? '', this.__anchor ?? '') : null;
  }
}

export function $createNoteLinkNode(noteId: string, title: string, label = '', anchor = ''): NoteLinkNode {
  // A label that is the title says nothing more: the link then follows the target's renames.
  return $applyNodeReplacement(new NoteLinkNode(noteId, title, undefined, label === title ? '' : label, anchor));
}

export function $isNoteLinkNode(node: LexicalNode | null | undefined): node is NoteLinkNode {
  return node instanceof NoteLinkNode;
}

/**
 * A label's parts to show: code spans apart from plain text; emphasis markers and escapes dropped.
 * (Labels keep the few inline formats links carry in real notes; a link is not a place for more.)
 */
export function labelParts(label: string): Array<{ text: string; code: boolean }> {
  const parts: Array<{ text: string; code: boolean }> = [];
  const pattern = /(?<!\\)(`+)([\s\S]*?[^`])\1(?!`)/g;
  let last = 0;
  // Emphasis is written with `*` (see the importer); `_` is a letter here, as in snake_case.
  const plain = (text: string) => text.replace(/(?<!\\)\*+/g, '').replace(/\\([\\`*_[\]])/g, '$1');
  for (const match of label.matchAll(pattern)) {
    if (match.index > last) parts.push({ text: plain(label.slice(last, match.index)), code: false });
    parts.push({ text: match[2]!.replace(/^ (.*) $/, '$1'), code: true });
    last = match.index + match[0].length;
  }
  if (last < label.length) parts.push({ text: plain(label.slice(last)), code: false });
  return parts.filter((p) => p.text !== '');
}

/** A label as plain text (for a [[wiki-link]], search, the tooltip). */
export function labelText(label: string): string {
  return labelParts(label).map((p) => p.text).join('');
}

/** Plain text (a [[wiki-link]]'s label) as a label: the characters inline Markdown would read are escaped. */
export function labelFromText(text: string): string {
  return text.replace(/([\\`*_[\]])/g, '\\$1');
}
