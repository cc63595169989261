/**
 * Reads a note body's Yjs structure directly (no editor): its plain text for search and snippets, and the
 * notes it links to and the files it shows. The body is Lexical's Yjs layout: an XmlText per element, text runs preceded by a
 * Y.Map of their properties, decorators (such as note links) as XmlElements with `__`-prefixed attributes.
 */
import * as Y from 'yjs';
import { isAttachmentHash } from './attachments/attachment';

const BLOCK_BREAK = '\n';

interface Found {
  links?: Set<string>;
  attachments?: Set<string>;
}

/**
 * Whether a delta insert starts a text run: its properties map, which its letters follow (a line break is
 * a map alone). Letters before any run's properties are not shown: a load drops them (see note-body.ts).
 */
export function startsTextRun(insert: unknown): boolean {
  return insert instanceof Y.Map && insert.get('__type') !== 'linebreak';
}

/** Whether a delta insert is a list left with no items (every item deleted elsewhere): a load removes it. */
export function isEmptyList(insert: unknown): boolean {
  return insert instanceof Y.XmlText && insert.length === 0 && insert.getAttribute('__type') === 'list';
}

function visit(text: Y.XmlText, out: string[], found: Found): void {
  let inTextRun = false;
  for (const op of text.toDelta() as Array<{ insert: unknown }>) {
    const insert = op.insert;
    if (typeof insert === 'string') {
      if (inTextRun) out.push(insert);
      continue;
    }
    inTextRun = startsTextRun(insert);
    if (insert instanceof Y.XmlText) {
      visit(insert, out, found);
      out.push(BLOCK_BREAK);
    } else if (insert instanceof Y.XmlElement) {
      if (insert.getAttribute('__type') === 'note-link') {
        const title = insert.getAttribute('__title');
        const target = insert.getAttribute('__noteId');
        if (typeof title === 'string') out.push(title);
        if (found.links && typeof target === 'string') found.links.add(target);
      } else if (insert.getAttribute('__type') === 'attachment') {
        const alt = insert.getAttribute('__alt');
        const name = insert.getAttribute('__name');
        const hash = insert.getAttribute('__hash');
        out.push(typeof alt === 'string' && alt !== '' ? alt : typeof name === 'string' ? name : '');
        if (found.attachments && isAttachmentHash(hash)) found.attachments.add(hash);
      }
    }
  }
}

/** The body as plain text, one line per block. */
export function bodyText(body: Y.XmlText): string {
  const out: string[] = [];
  visit(body, out, {});
  return out.join('').replace(/\n+$/, '');
}

/** The ids of the notes a body links to. */
export function bodyLinks(body: Y.XmlText): Set<string> {
  const links = new Set<string>();
  visit(body, [], { links });
  return links;
}

/** The SHA-256 names of the files a body shows. */
export function bodyAttachments(body: Y.XmlText): Set<string> {
  const attachments = new Set<string>();
  visit(body, [], { attachments });
  return attachments;
}
