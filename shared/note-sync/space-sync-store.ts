/**
 * What document sync (shared/note-sync) sees of a space in this window: the documents it holds live
 * (the catalog and the open notes) are read and written here, so peers get unsaved edits and see
 * theirs at once; every other note is read from and written to the host, which holds them all.
 */
import * as Y from 'yjs';
import { catalogNotes } from '../catalog';
import { MAX_DOCS_PER_CALL, MAX_PUSH_BYTES, type HostApi } from '../host-api';
import { CATALOG_DOC_ID } from '../note-doc';
import type { DocUpdate, NoteSyncStore } from './engine';
import { tryApplyUpdate } from '../safe-update';
import { errorMessage } from '../errors';

/** The origin of updates that came from peers (so they are not sent back out as local edits). */
export const PEER_ORIGIN = Symbol('peer');

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class SpaceSyncStore implements NoteSyncStore {
  constructor(
    private readonly host: HostApi,
    private readonly spaceId: string,
    private readonly catalog: Y.Doc,
    /** The live document of a note this window holds, if it does. */
    private readonly live: (noteId: string) => Y.Doc | undefined,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
    /** false: the catalog is read here (what it lists) but stored by the host, like a note not held (a headless host's). */
    private readonly catalogLive = true,
  ) {}

  private doc(docId: string): Y.Doc | undefined {
    return docId === CATALOG_DOC_ID ? (this.catalogLive ? this.catalog : undefined) : this.live(docId);
  }

  async manifest(): Promise<Uint8Array> {
    return (await this.host.call('notes.manifest', { spaceId: this.spaceId })).manifest;
  }

  async bucketDocs(buckets: number[]) {
    return (await this.host.call('notes.bucketDocs', { spaceId: this.spaceId, buckets })).docs;
  }

  async stateVectors(docIds: string[]): Promise<Uint8Array[]> {
    const out = new Map<string, Uint8Array>();
    const stored: string[] = [];
    for (const id of docIds) {
      const doc = this.doc(id);
      if (doc) out.set(id, Y.encodeStateVector(doc));
      else stored.push(id);
    }
    for (const part of chunks(stored, MAX_DOCS_PER_CALL)) {
      const { stateVectors } = await this.host.call('notes.stateVectors', { spaceId: this.spaceId, docIds: part });
      part.forEach((id, i) => out.set(id, stateVectors[i]!));
    }
    return docIds.map((id) => out.get(id)!);
  }

  async diffs(requests: Array<{ docId: string; stateVector: Uint8Array }>): Promise<Uint8Array[]> {
    const out = new Map<number, Uint8Array>();
    const stored: Array<{ at: number; docId: string; stateVector: Uint8Array }> = [];
    requests.forEach(({ docId, stateVector }, at) => {
      const doc = this.doc(docId);
      if (!doc) stored.push({ at, docId, stateVector });
      else {
        try {
          out.set(at, Y.encodeStateAsUpdate(doc, stateVector));
        } catch {
          out.set(at, Y.encodeStateAsUpdate(doc));
        }
      }
    });
    for (const part of chunks(stored, MAX_DOCS_PER_CALL)) {
      const { updates } = await this.host.call('notes.pull', { spaceId: this.spaceId, requests: part.map(({ docId, stateVector }) => ({ docId, stateVector })) });
      part.forEach(({ at }, i) => out.set(at, updates[i]!));
    }
    return requests.map((_r, at) => out.get(at)!);
  }

  async apply(updates: DocUpdate[]): Promise<void> {
    const stored: DocUpdate[] = [];
    for (const entry of updates) {
      const doc = this.doc(entry.docId);
      if (doc) tryApplyUpdate(doc, entry.update, PEER_ORIGIN, (reason) => this.warn(`ignored an update of ${entry.docId} from a peer: ${reason}`));
      else stored.push(entry);
    }
    // Batches within the host's limits; the host checks every update before it stores it.
    let batch: DocUpdate[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const sending = batch;
      batch = [];
      bytes = 0;
      try {
        await this.host.call('notes.push', { spaceId: this.spaceId, updates: sending });
      } catch (error) {
        this.warn(`the host refused documents from a peer: ${errorMessage(error)}`);
      }
    };
    for (const entry of stored) {
      if (batch.length >= MAX_DOCS_PER_CALL || bytes + entry.update.byteLength > MAX_PUSH_BYTES / 2) await flush();
      batch.push(entry);
      bytes += entry.update.byteLength;
    }
    await flush();
  }

  isListed(docId: string): boolean {
    return docId === CATALOG_DOC_ID || catalogNotes(this.catalog).has(docId);
  }
}
