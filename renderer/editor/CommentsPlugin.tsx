/**
 * Comments on a passage: "Comment" (toolbar, Ctrl/Cmd+Alt+M) on a selection asks the page for a first
 * comment, then marks the passage with the thread's id (@lexical/mark); the marks present are reported,
 * so a thread whose passage was deleted shows as detached. The threads themselves live in the note's
 * document (shared/comments.ts), not in the editor.
 */
import { $isMarkNode, $wrapSelectionInMarkNode, MarkNode } from '@lexical/mark';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { mergeRegister } from '@lexical/utils';
import { $getNearestNodeFromDOMNode, $getNodeByKey, $getSelection, $isRangeSelection, COMMAND_PRIORITY_EDITOR, COMMAND_PRIORITY_NORMAL, createCommand, KEY_DOWN_COMMAND, type LexicalCommand } from 'lexical';
import { useEffect, useRef } from 'react';

export const OPEN_COMMENT_COMMAND: LexicalCommand<void> = createCommand('OPEN_COMMENT_COMMAND');

/** A passage chosen for a new thread: its text, and how to mark it once the thread exists. */
export interface CommentDraft {
  quote: string;
  anchor: (threadId: string) => void;
}

/** What the page can ask of the editor about a thread. */
export interface CommentsEditorApi {
  /** Selects the thread's passage and scrolls it into view; false when it is not in the note. */
  reveal(threadId: string): boolean;
}

export function CommentsPlugin({
  onDraft,
  onMarks,
  onMarkClick,
  onApi,
}: {
  onDraft: (draft: CommentDraft | null) => void;
  onMarks: (ids: ReadonlySet<string>) => void;
  /** A marked passage was clicked: the threads on it. */
  onMarkClick?: (threadIds: string[]) => void;
  onApi?: (api: CommentsEditorApi | null) => void;
}): null {
  const [editor] = useLexicalComposerContext();
  /** The threads of each mark node in the note, by node key (kept by the mutation listener below). */
  const idsByMark = useRef(new Map<string, string[]>());
  useEffect(() => {
    if (!onApi) return;
    onApi({
      reveal: (threadId) => {
        // The thread's first passage in the note (a passage split by an edit has several marks).
        const key = editor.getEditorState().read(() => {
          let first: MarkNode | null = null;
          for (const [markKey, ids] of idsByMark.current) {
            const mark = ids.includes(threadId) ? $getNodeByKey(markKey) : null;
            if ($isMarkNode(mark) && (!first || mark.isBefore(first))) first = mark;
          }
          return first?.getKey() ?? null;
        });
        if (key === null) return false;
        editor.update(() => {
          const mark = $getNodeByKey(key);
          if ($isMarkNode(mark)) mark.select(0, mark.getChildrenSize());
        });
        editor.getElementByKey(key)?.scrollIntoView({ block: 'center' });
        return true;
      },
    });
    return () => onApi(null);
  }, [editor, onApi]);
  useEffect(() => {
    if (!onMarkClick) return;
    const onClick = (event: MouseEvent) => {
      const element = (event.target as Element | null)?.closest?.('mark');
      if (!element) return;
      // Reading DOM nodes back needs the editor itself (not only its state) to be the active one.
      editor.read(() => {
        const node = $getNearestNodeFromDOMNode(element);
        const mark = $isMarkNode(node) ? node : node?.getParents().find($isMarkNode);
        if (mark) onMarkClick(mark.getIDs());
      });
    };
    // Unregistering calls the listener once more with no root, which takes the handler off the last one.
    return editor.registerRootListener((root, previous) => {
      previous?.removeEventListener('click', onClick);
      root?.addEventListener('click', onClick);
    });
  }, [editor, onMarkClick]);
  useEffect(() => {
    // Only mark nodes are followed (not every update: typing costs this nothing).
    const marks = idsByMark.current;
    marks.clear();
    let last = '';
    const report = () => {
      const ids = new Set([...marks.values()].flat());
      const key = [...ids].sort().join(' ');
      if (key !== last) {
        last = key;
        onMarks(ids);
      }
    };
    report();
    return mergeRegister(
      editor.registerMutationListener(MarkNode, (mutations) => {
        editor.getEditorState().read(() => {
          for (const [key, mutation] of mutations) {
            const node = mutation === 'destroyed' ? null : $getNodeByKey(key);
            if ($isMarkNode(node)) marks.set(key, node.getIDs());
            else marks.delete(key);
          }
        });
        report();
      }),
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
