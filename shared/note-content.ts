/**
 * Reads a note body's Yjs structure directly (no editor): its plain text for search and snippets, and the
 * notes it links to. The body is Lexical's Yjs layout: an XmlText per element, text runs preceded by a
 * Y.Map of their properties, decorators (such as note links) as XmlElements with `__`-prefixed attributes.
 */
import * as Y from 'yjs';

const BLOCK_BREAK = '\n';

function visit(text: Y.XmlText, out: string[], links: Set<string> | null): void {
  for (const op of text.toDelta() as Array<{ insert: unknown }>) {
    const insert = op.insert;
    if (typeof insert === 'string') out.push(insert);
    else if (insert instanceof Y.XmlText) {
      visit(insert, out, links);
      out.push(BLOCK_BREAK);
    } else if (insert instanceof Y.XmlElement) {
      if (insert.getAttribute('__type') === 'note-link') {
        const title = insert.getAttribute('__title');
        const target = insert.getAttribute('__noteId');
        if (typeof title === 'string') out.push(title);
        if (links && typeof target === 'string') links.add(target);
      }
    }
  }
}

/** The body as plain text, one line per block. */
export function bodyText(body: Y.XmlText): string {
  const out: string[] = [];
  visit(body, out, null);
  return out.join('').replace(/\n+$/, '');
}

/** The ids of the notes a body links to. */
export function bodyLinks(body: Y.XmlText): Set<string> {
  const links = new Set<string>();
  visit(body, [], links);
  return links;
}
