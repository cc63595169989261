/**
 * Binds the editor to a note's body in the note's own Y.Doc through @lexical/yjs, with Yjs undo/redo.
 * Lexical's CollaborationPlugin expects a document that starts empty and fills from a provider; a
 * note already loaded would mount blank, so we bind with the same primitives and load what the body
 * holds first. Remount (React key) to edit another note.
 */
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { createUndoManager, initLocalState, type Binding, setLocalStateFocus, syncCursorPositions, type Provider } from '@lexical/yjs';
import { mergeRegister } from '@lexical/utils';
import {
  BLUR_COMMAND,
  FOCUS_COMMAND,
  CAN_REDO_COMMAND,
  CAN_UNDO_COMMAND,
  COMMAND_PRIORITY_EDITOR,
  REDO_COMMAND,
  UNDO_COMMAND,
} from 'lexical';
import type { LexicalEditor } from 'lexical';
import { useEffect, useRef, useState } from 'react';
import * as Y from 'yjs';
import { bindNoteBody } from '../../shared/note-body';
import { noteBodyOf } from '../../shared/note-doc';
import { onTrackedEdits } from './tracked-edits';

export function NoteCollaborationPlugin({
  doc,
  noteId,
  provider,
  member,
  authorId,
  onLocalEdit,
}: {
  doc: Y.Doc;
  noteId: string;
  /** Awareness scoped to this note: remote cursors and selections of the peers on it are drawn. */
  provider?: Provider;
  /** How this member's cursor looks to others. */
  member?: () => { name: string; color: string };
  /** The member editing (recorded in the note, so history names them). */
  authorId?: string;
  /** Called after each local change reaches the doc (to record who edited and when). */
  onLocalEdit?: () => void;
}): null {
  const [editor] = useLexicalComposerContext();
  const onLocalEditRef = useRef(onLocalEdit);
  useEffect(() => {
    onLocalEditRef.current = onLocalEdit;
  }, [onLocalEdit]);

  // Bumped when a remote change left the editor out of step with the note: the binding is rebuilt.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const body = noteBodyOf(doc, noteId);
    // A migrated body that arrives after the editor bound lives at its schema-1 place: bind again there.
    const onMoved = () => {
      if (noteBodyOf(doc, noteId) !== body) setGeneration((g) => g + 1);
    };
    doc.on('update', onMoved);
    const { binding, dispose } = bindNoteBody(doc, noteId, {
      editor,
      provider,
      author: authorId,
      onDesync: () => {
        console.warn('editor out of step with the note after a remote change: reloading it from the document');
        setTimeout(() => setGeneration((g) => g + 1), 0);
      },
    });
    const undoManager = createUndoManager(binding, binding.root.getSharedType());
    // Edits made for the member outside the editor (restoring a version) are undone like typing.
    const trackedOrigin = { kind: 'tracked-edit' };
    undoManager.addTrackedOrigin(trackedOrigin);
    const offTracked = onTrackedEdits(doc, (update) => {
      undoManager.stopCapturing();
      Y.applyUpdate(doc, update, trackedOrigin);
      undoManager.stopCapturing();
    });
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
    const stopCursors = provider ? showRemoteCursors(editor, binding, provider, noteId, member ?? (() => ({ name: '', color: '#888' }))) : () => {};
    return () => {
      offTracked();
      doc.off('update', onMoved);
      stopCursors();
      unregister();
      doc.off('afterTransaction', onTransaction);
      undoManager.destroy();
      dispose();
    };
  }, [doc, noteId, editor, provider, member, authorId, generation]);

  return null;
}

/**
 * Publishes this member's cursor for the note and draws the cursors and selections of peers on the
 * same note (the provider's awareness is already filtered to them), in a layer over the editor.
 */
function showRemoteCursors(
  editor: LexicalEditor,
  binding: Binding,
  provider: Provider,
  noteId: string,
  member: () => { name: string; color: string },
): () => void {
  const layer = document.createElement('div');
  layer.className = 'remote-cursors';
  layer.setAttribute('aria-hidden', 'true');
  binding.cursorsContainer = layer;
  const placeLayer = (root: HTMLElement | null) => {
    if (root?.parentElement && layer.parentElement !== root.parentElement) root.parentElement.appendChild(layer);
  };
  const awarenessData = { noteId };
  const root = editor.getRootElement();
  initLocalState(provider, member().name, member().color, root !== null && document.activeElement === root, awarenessData);
  const redraw = () => {
    try {
      // The provider's states are the peers on this note only (PeerSync.noteProvider), never this window.
      syncCursorPositions(binding, provider);
    } catch (error) {
      console.warn('could not draw remote cursors:', error);
    }
  };
  provider.awareness.on('update', redraw);
  const unregister = mergeRegister(
    editor.registerRootListener((rootElement) => placeLayer(rootElement)),
    editor.registerCommand(FOCUS_COMMAND, () => (setLocalStateFocus(provider, member().name, member().color, true, awarenessData), false), COMMAND_PRIORITY_EDITOR),
    editor.registerCommand(BLUR_COMMAND, () => (setLocalStateFocus(provider, member().name, member().color, false, awarenessData), false), COMMAND_PRIORITY_EDITOR),
  );
  placeLayer(root);
  redraw();
  return () => {
    unregister();
    provider.awareness.off('update', redraw);
    const state = provider.awareness.getLocalState();
    if (state) provider.awareness.setLocalState({ ...state, anchorPos: null, focusPos: null, focusing: false, awarenessData: { noteId: null } });
    layer.remove();
  };
}
