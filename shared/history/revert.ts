/**
 * Taking changes back as a new edit, never by rewriting history: the items some changes inserted are
 * deleted, and the items they deleted are written again (as new items, by a new client), the way
 * Yjs's UndoManager undoes a local edit. The document must still hold the deleted content
 * (`gc: false`), as history's scratch documents do. Later edits by others to the same key win, as they
 * do for an undo.
 */
import * as Y from 'yjs';
import { subtractRanges, unionRanges, type DeleteRanges } from './delete-set';

function yjsDeleteSet(ranges: DeleteRanges): ReturnType<typeof Y.createDeleteSet> {
  const ds = Y.createDeleteSet();
  for (const [client, list] of ranges) ds.clients.set(client, list.map(([clock, len]) => ({ clock, len })) as never);
  return ds;
}

/** Of the items in `deleted`, those the undo wrote again (so a later revert does not write them a second time). */
function redoneOf(doc: Y.Doc, deleted: DeleteRanges): DeleteRanges {
  const found: DeleteRanges = new Map();
  for (const client of deleted.keys()) {
    const pieces: Array<[number, number]> = [];
    for (const struct of doc.store.clients.get(client) ?? []) {
      if (struct instanceof Y.Item && struct.redone !== null) pieces.push([struct.id.clock, struct.length]);
    }
    if (pieces.length > 0) found.set(client, pieces);
  }
  const redone = unionRanges(found);
  // Only what was asked for: the pieces of items that straddle a range's edge are cut back to it.
  return subtractRanges(redone, subtractRanges(redone, deleted));
}

/**
 * Reverts what `inserted` created and `deleted` removed, inside `scope`: returns the update that does
 * it (null when nothing in scope changed) and which deleted items it wrote again. Runs in `doc`, which
 * the caller throws away after.
 */
export function revertChanges(
  doc: Y.Doc,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types are invariant in their event type
  scope: Array<Y.AbstractType<any>>,
  inserted: DeleteRanges,
  deleted: DeleteRanges,
): { update: Uint8Array; redone: DeleteRanges } | null {
  const undoManager = new Y.UndoManager(scope, { captureTimeout: 0, trackedOrigins: new Set() });
  const updates: Uint8Array[] = [];
  const capture = (update: Uint8Array) => updates.push(update);
  doc.on('update', capture);
  try {
    // A stack item of our own making: the UndoManager reads only these three fields of it.
    undoManager.undoStack.push({ insertions: yjsDeleteSet(inserted), deletions: yjsDeleteSet(deleted), meta: new Map() } as never);
    undoManager.undo();
  } finally {
    doc.off('update', capture);
    undoManager.destroy();
  }
  if (updates.length === 0) return null;
  return { update: updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates), redone: redoneOf(doc, deleted) };
}
