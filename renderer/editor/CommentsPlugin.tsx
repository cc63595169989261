/**
 * Comments on a passage: "Comment" (toolbar, Ctrl/Cmd+Alt+M) on a selection asks the page for a first
 * comment, then marks the passage with the thread's id (@lexical/mark); the marks present are reported,
 * so a thread whose passage was deleted shows as detached. The threads themselves live in the note's
 * document (shared/comments.ts), not in the editor.
 */
import { $isMarkNode, $wrapSelectionInMarkNode } from '@lexical/mark';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $dfs, mergeRegister } from '@lexical/utils';
import { $getSelection, $isRangeSelection, COMMAND_PRIORITY_EDITOR, COMMAND_PRIORITY_NORMAL, createCommand, KEY_DOWN_COMMAND, type LexicalCommand } from 'lexical';
import { useEffect } from 'react';

export const OPEN_COMMENT_COMMAND: LexicalCommand<void> = createCommand('OPEN_COMMENT_COMMAND');

/** A passage chosen for a new thread: its text, and how to mark it once the thread exists. */
export interface CommentDraft {
  quote: string;
  anchor: (threadId: string) => void;
}

export function CommentsPlugin({ onDraft, onMarks }: { onDraft: (draft: CommentDraft | null) => void; onMarks: (ids: ReadonlySet<string>) => void }): null {
  const [editor] = useLexicalComposerContext();
  useEffect(() => {
    let last = '';
    const reportMarks = () =>
      editor.getEditorState().read(() => {
        const ids = new Set<string>();
        for (const { node } of $dfs()) if ($isMarkNode(node)) for (const id of node.getIDs()) ids.add(id);
        const key = [...ids].sort().join(' ');
        if (key !== last) {
          last = key;
          onMarks(ids);
        }
      });
    reportMarks();
    return mergeRegister(
      editor.registerUpdateListener(reportMarks),
      editor.registerCommand(
        OPEN_COMMENT_COMMAND,
        () => {
          if (!editor.isEditable()) return false;
          const draft = editor.getEditorState().read((): CommentDraft | null => {
            const selection = $getSelection();
            if (!$isRangeSelection(selection) || selection.isCollapsed()) return null;
            const chosen = selection.clone();
            return {
              quote: selection.getTextContent(),
              anchor: (threadId) => editor.update(() => $wrapSelectionInMarkNode(chosen, chosen.isBackward(), threadId)),
            };
          });
          onDraft(draft);
          return true;
        },
        COMMAND_PRIORITY_EDITOR,
      ),
      editor.registerCommand(
        KEY_DOWN_COMMAND,
        (event: KeyboardEvent) => {
          // The physical key: with Alt held, some layouts give `key` another character.
          if (!(event.ctrlKey || event.metaKey) || !event.altKey || event.shiftKey || event.code !== 'KeyM') return false;
          event.preventDefault();
          return editor.dispatchCommand(OPEN_COMMENT_COMMAND, undefined);
        },
        COMMAND_PRIORITY_NORMAL,
      ),
    );
  }, [editor, onDraft, onMarks]);
  return null;
}
