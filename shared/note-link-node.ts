/**
 * A link from one note to another: an inline node that stores the target's id (so links survive
 * renames) and the title it had when linked (shown if the target is gone). The editor renders it with
 * the target's current title; exports write it as a relative link or a [[wiki-link]].
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

export type SerializedNoteLinkNode = Spread<{ noteId: string; title: string }, SerializedLexicalNode>;

export class NoteLinkNode extends DecoratorNode<unknown> {
  __noteId: string;
  __title: string;

  static override getType(): string {
    return 'note-link';
  }

  static override clone(node: NoteLinkNode): NoteLinkNode {
    return new NoteLinkNode(node.__noteId, node.__title, node.__key);
  }

  static override importJSON(json: SerializedNoteLinkNode): NoteLinkNode {
    return $createNoteLinkNode(json.noteId, json.title);
  }

  constructor(noteId: string, title: string, key?: NodeKey) {
    super(key);
    this.__noteId = noteId;
    this.__title = title;
  }

  override exportJSON(): SerializedNoteLinkNode {
    return { ...super.exportJSON(), type: 'note-link', version: 1, noteId: this.__noteId, title: this.__title };
  }

  getNoteId(): string {
    return this.getLatest().__noteId;
  }

  /** The title the target had when the link was made. */
  getLinkedTitle(): string {
    return this.getLatest().__title;
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
    a.textContent = this.__title;
    return { element: a };
  }

  override isInline(): true {
    return true;
  }

  override isKeyboardSelectable(): boolean {
    return true;
  }

  override getTextContent(): string {
    return this.getLatest().__title;
  }

  /** The interactive editor sets this to draw links (with the target's current title); headless editors draw nothing. */
  static render: ((noteId: string, linkedTitle: string) => unknown) | null = null;

  override decorate(): unknown {
    return NoteLinkNode.render ? NoteLinkNode.render(this.__noteId, this.__title) : null;
  }
}

export function $createNoteLinkNode(noteId: string, title: string): NoteLinkNode {
  return $applyNodeReplacement(new NoteLinkNode(noteId, title));
}

export function $isNoteLinkNode(node: LexicalNode | null | undefined): node is NoteLinkNode {
  return node instanceof NoteLinkNode;
}
