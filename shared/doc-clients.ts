/**
 * Which member wrote with which Yjs client id, kept in the document itself (a root map `clients`:
 * client id → member id), so every replica can name the authors of any change it receives. A client
 * writes its entry once; an edit that only deletes writes it again, so the update that carries the
 * deletion names its author (a deletion carries no id of the one who made it). Overwriting one key
 * leaves one merged tombstone, so this costs a few bytes per client, not per edit.
 */
import * as Y from 'yjs';

export const CLIENTS_MAP = 'clients';

function clientsOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(CLIENTS_MAP);
}

/** Names this document's own client as `memberId`'s (writes only when not yet named so). */
export function nameClient(doc: Y.Doc, memberId: string): void {
  if (!memberId) return;
  const clients = clientsOf(doc);
  if (clients.get(String(doc.clientID)) !== memberId) clients.set(String(doc.clientID), memberId);
}

/** Marks the current transaction as `memberId`'s: call inside a transaction that only deleted. */
export function markDeletion(doc: Y.Doc, memberId: string): void {
  if (memberId) clientsOf(doc).set(String(doc.clientID), memberId);
}

/**
 * Runs `edit` in one transaction and makes sure the update it produces names its author: the client is
 * named on its first write, and again when the edit only deleted.
 */
export function transactAs(doc: Y.Doc, memberId: string | undefined, origin: unknown, edit: () => void): void {
  doc.transact((transaction) => {
    edit();
    if (!memberId) return;
    const before = transaction.beforeState.get(doc.clientID) ?? 0;
    const wrote = Y.getState(doc.store, doc.clientID) > before;
    if (wrote) nameClient(doc, memberId);
    else if (transaction.deleteSet.clients.size > 0) markDeletion(doc, memberId);
  }, origin);
}

/** client id → member id, as the document records it. */
export function clientMembers(doc: Y.Doc): Map<number, string> {
  const out = new Map<number, string>();
  if (!doc.share.has(CLIENTS_MAP)) return out;
  clientsOf(doc).forEach((value, key) => {
    const client = Number(key);
    if (typeof value === 'string' && Number.isSafeInteger(client)) out.set(client, value);
  });
  return out;
}
