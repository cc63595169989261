/**
 * A file in a note: an inline node that names the file by its SHA-256 (the bytes live in the host's
 * attachment store and travel between peers by that name), with what a reader needs before the bytes
 * arrive: its name, type and size, an image's dimensions and alt text, and who attached it (so a
 * missing file can say who may have it). Images the page can afford are drawn; anything else is a chip.
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
import { isAttachmentHash, isShownInline } from './attachment';

export type AttachmentFacts = {
  hash: string;
  name: string;
  mime: string;
  size: number;
  /** An image's alt text ('' for other files). */
  alt: string;
  /** An image's dimensions in pixels (0 when not an image the page shows). */
  width: number;
  height: number;
  /** The member id of whoever attached it ('' when unknown, as for an import). */
  by: string;
};

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0);

/** Facts as any peer may have written them (a Yjs attribute holds any value): strings, whole counts, a real hash or ''. */
export function cleanFacts(raw: { [K in keyof AttachmentFacts]: unknown }): AttachmentFacts {
  return {
    hash: isAttachmentHash(raw.hash) ? raw.hash : '',
    name: text(raw.name, 255),
    mime: text(raw.mime, 128),
    size: count(raw.size),
    alt: text(raw.alt, 1000),
    width: count(raw.width),
    height: count(raw.height),
    by: text(raw.by, 64),
  };
}

const NO_FACTS: AttachmentFacts = { hash: '', name: '', mime: '', size: 0, alt: '', width: 0, height: 0, by: '' };

export type SerializedAttachmentNode = Spread<AttachmentFacts, SerializedLexicalNode>;

export class AttachmentNode extends DecoratorNode<unknown> {
  __hash: string;
  __name: string;
  __mime: string;
  __size: number;
  __alt: string;
  __width: number;
  __height: number;
  __by: string;

  static override getType(): string {
    return 'attachment';
  }

  static override clone(node: AttachmentNode): AttachmentNode {
    return new AttachmentNode(node.facts(), node.__key);
  }

  static override importJSON(json: SerializedAttachmentNode): AttachmentNode {
    return $createAttachmentNode(json);
  }

  // Lexical constructs every node class once without arguments when an editor is created.
  constructor(facts: AttachmentFacts = NO_FACTS, key?: NodeKey) {
    super(key);
    this.__hash = facts.hash;
    this.__name = facts.name;
    this.__mime = facts.mime;
    this.__size = facts.size;
    this.__alt = facts.alt;
    this.__width = facts.width;
    this.__height = facts.height;
    this.__by = facts.by;
  }

  /** The node's facts as one value (read through getLatest, so it is safe on any version of the node). */
  getFacts(): AttachmentFacts {
    return this.getLatest().facts();
  }

  // Yjs sets these properties straight from what peers wrote: every reader gets them checked.
  private facts(): AttachmentFacts {
    return cleanFacts({ hash: this.__hash, name: this.__name, mime: this.__mime, size: this.__size, alt: this.__alt, width: this.__width, height: this.__height, by: this.__by });
  }

  setAlt(alt: string): void {
    this.getWritable().__alt = alt;
  }

  override exportJSON(): SerializedAttachmentNode {
    return { ...super.exportJSON(), type: 'attachment', version: 1, ...this.facts() };
  }

  // createDOM/exportDOM run only in editors attached to a DOM, never in headless ones.
  override createDOM(): HTMLElement {
    // eslint-disable-next-line no-restricted-globals
    const span = document.createElement('span');
    const { mime, width, height } = this.facts();
    span.className = isShownInline(mime, width, height) ? 'attachment-host attachment-host-image' : 'attachment-host';
    return span;
  }

  override updateDOM(): false {
    return false;
  }

  override exportDOM(): DOMExportOutput {
    // eslint-disable-next-line no-restricted-globals
    const span = document.createElement('span');
    const { hash, alt, name } = this.facts();
    span.setAttribute('data-attachment', hash);
    span.textContent = alt || name;
    return { element: span };
  }

  override isInline(): true {
    return true;
  }

  override isKeyboardSelectable(): boolean {
    return true;
  }

  override getTextContent(): string {
    const { alt, name } = this.getFacts();
    return alt || name;
  }

  /** The interactive editor sets this to draw attachments; headless editors draw nothing. */
  static render: ((facts: AttachmentFacts, nodeKey: NodeKey) => unknown) | null = null;

  override decorate(): unknown {
    return AttachmentNode.render ? AttachmentNode.render(this.facts(), this.__key) : null;
  }
}

export function $createAttachmentNode(facts: AttachmentFacts): AttachmentNode {
  return $applyNodeReplacement(new AttachmentNode(facts));
}

export function $isAttachmentNode(node: LexicalNode | null | undefined): node is AttachmentNode {
  return node instanceof AttachmentNode;
}
