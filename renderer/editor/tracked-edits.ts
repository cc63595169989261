/**
 * Edits made for the member outside the editor (restoring a version of a note): applied through the
 * editor bound to the note, when there is one, so its undo takes them back like typing.
 */
import * as Y from 'yjs';

const appliers = new WeakMap<Y.Doc, (update: Uint8Array) => void>();
const UNTRACKED = Symbol('edit-without-editor');

/** Called by the editor bound to `doc`; returns how to stop. */
export function onTrackedEdits(doc: Y.Doc, apply: (update: Uint8Array) => void): () => void {
  appliers.set(doc, apply);
  return () => {
    if (appliers.get(doc) === apply) appliers.delete(doc);
  };
}

/** Applies an edit to a note's document as the member's own, undoable where an editor shows it. */
export function applyMemberEdit(doc: Y.Doc, update: Uint8Array): void {
  const apply = appliers.get(doc);
  if (apply) apply(update);
  else Y.applyUpdate(doc, update, UNTRACKED);
}
