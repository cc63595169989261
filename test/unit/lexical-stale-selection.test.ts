/**
 * The smallest form of what the pinned fuzz seeds hit: a selection whose offset lies past the end of
 * its text node (in the fuzz, a remote change shrank the node under a headless editor's selection),
 * then a local edit that removes text. Lexical's development build checks the offset and throws
 * "$getTextNodeOffset: invalid offset"; the production build the app ships clamps it and edits. This
 * file runs under both builds (`npm run test:unit` runs it again with NODE_ENV=production).
 */
import { $createParagraphNode, $createRangeSelection, $createTextNode, $getRoot, $setSelection } from 'lexical';
import { describe, expect, it } from 'vitest';
import { createNoteEditor } from '../../shared/note-body';

const PRODUCTION_LEXICAL = process.env.NODE_ENV === 'production';

function removeTextPastTheEnd(): string {
  const editor = createNoteEditor();
  editor.update(
    () => {
      const text = $createTextNode('abcd');
      $getRoot().clear().append($createParagraphNode().append(text));
      const selection = $createRangeSelection();
      selection.anchor.set(text.getKey(), 21, 'text');
      selection.focus.set(text.getKey(), 21, 'text');
      $setSelection(selection);
      selection.removeText();
    },
    { discrete: true },
  );
  return editor.getEditorState().read(() => $getRoot().getTextContent());
}

describe('a selection past the end of its text node', () => {
  it.runIf(!PRODUCTION_LEXICAL)('makes the development build throw the error the pinned fuzz seeds throw', () => {
    expect(removeTextPastTheEnd).toThrow(/\$getTextNodeOffset: invalid offset 21 for size 4/);
  });

  it.runIf(PRODUCTION_LEXICAL)('is clamped by the production build, which edits and keeps the text', () => {
    expect(removeTextPastTheEnd()).toBe('abcd');
  });
});
