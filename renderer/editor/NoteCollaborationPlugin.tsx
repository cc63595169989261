/**
 * Binds the editor to one note's body inside the space's Y.Doc through @lexical/yjs, with Yjs
 * undo/redo. Lexical's CollaborationPlugin expects a document that starts empty and fills from a
 * provider; a note already in the space doc would mount blank, so we bind with the same primitives
 * and load what the body holds first. Remount (React key) to edit another note.
 */
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { createUndoManager, type Provider } from '@lexical/yjs';
import { mergeRegister } from '@lexical/utils';
import {
  CAN_REDO_COMMAND,
  CAN_UNDO_COMMAND,
  COMMAND_PRIORITY_EDITOR,
  REDO_COMMAND,
  UNDO_COMMAND,
} from 'lexical';
import { useEffect, useRef } from 'react';
import type * as Y from 'yjs';
import { bindNoteBody } from '../../shared/note-body';

export function NoteCollaborationPlugin({
  doc,
  noteId,
  provider,
  onLocalEdit,
}: {
  doc: Y.Doc;
  noteId: string;
  provider?: Provider;
  /** Called after each local change reaches the doc (to record who edited and when). */
  onLocalEdit?: () => void;
}): null {
  const [editor] = useLexicalComposerContext();
  const onLocalEditRef = useRef(onLocalEdit);
  useEffect(() => {
    onLocalEditRef.current = onLocalEdit;
  }, [onLocalEdit]);

  useEffect(() => {
    const { binding, dispose } = bindNoteBody(doc, noteId, { editor, provider });
    const undoManager = createUndoManager(binding, binding.root.getSharedType());
    const reportStacks = () => {
      editor.dispatchCommand(CAN_UNDO_COMMAND, undoManager.undoStack.length > 0);
      editor.dispatchCommand(CAN_REDO_COMMAND, undoManager.redoStack.length > 0);
    };
    undoManager.on('stack-item-added', reportStacks);
    undoManager.on('stack-item-popped', reportStacks);
    undoManager.on('stack-cleared', reportStacks);
    const onTransaction = (transaction: Y.Transaction) => {
      if (transaction.origin === binding && transaction.changed.size > 0) onLocalEditRef.current?.();
    };
    doc.on('afterTransaction', onTransaction);
    const unregister = mergeRegister(
      editor.registerCommand(UNDO_COMMAND, () => (undoManager.undo(), true), COMMAND_PRIORITY_EDITOR),
      editor.registerCommand(REDO_COMMAND, () => (undoManager.redo(), true), COMMAND_PRIORITY_EDITOR),
    );
    return () => {
      unregister();
      doc.off('afterTransaction', onTransaction);
      undoManager.destroy();
      dispose();
    };
  }, [doc, noteId, editor, provider]);

  return null;
}
