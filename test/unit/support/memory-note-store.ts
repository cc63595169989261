/** A NoteSyncStore over Y.Docs in memory: a replica of a space for tests of document sync. */
import * as Y from 'yjs';
import { docDigest } from '../../../shared/doc-digest';
import { catalogNotes } from '../../../shared/catalog';
import { CATALOG_DOC_ID } from '../../../shared/note-doc';
import type { DocUpdate, NoteSyncStore } from '../../../shared/note-sync/engine';
import { ManifestIndex } from '../../../shared/note-sync/manifest';
import { tryApplyUpdate } from '../../../shared/safe-update';

export const FROM_PEER = Symbol('from a peer');

export class MemoryNoteStore implements NoteSyncStore {
  readonly docs = new Map<string, Y.Doc>();
  readonly index = new ManifestIndex(async (id) => (this.docs.has(id) ? docDigest(id, this.docs.get(id)!) : null));
  /** Every document applied from a peer, in order (to check what crossed). */
  readonly applied: string[] = [];

  constructor() {
    this.doc(CATALOG_DOC_ID);
  }

  get catalog(): Y.Doc {
    return this.docs.get(CATALOG_DOC_ID)!;
  }

  /** The document (created empty when missing); every change to it is counted in the manifest. */
  doc(docId: string): Y.Doc {
    let doc = this.docs.get(docId);
    if (!doc) {
      doc = new Y.Doc({ guid: docId });
      doc.on('update', () => this.index.touch(docId));
      this.docs.set(docId, doc);
      this.index.touch(docId);
    }
    return doc;
  }

  manifest(): Promise<Uint8Array> {
    return this.index.manifest();
  }

  bucketDocs(buckets: number[]) {
    return this.index.bucketDocs(buckets);
  }

  async stateVectors(docIds: string[]): Promise<Uint8Array[]> {
    return docIds.map((id) => (this.docs.has(id) ? Y.encodeStateVector(this.docs.get(id)!) : new Uint8Array([0])));
  }

  async diffs(requests: Array<{ docId: string; stateVector: Uint8Array }>): Promise<Uint8Array[]> {
    return requests.map(({ docId, stateVector }) => Y.encodeStateAsUpdate(this.docs.get(docId) ?? new Y.Doc(), stateVector));
  }

  async apply(updates: DocUpdate[]): Promise<void> {
    for (const { docId, update } of updates) {
      this.applied.push(docId);
      tryApplyUpdate(this.doc(docId), update, FROM_PEER);
    }
  }

  isListed(docId: string): boolean {
    return docId === CATALOG_DOC_ID || catalogNotes(this.catalog).has(docId);
  }
}
