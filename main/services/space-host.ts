/**
 * One space as a host serves it: its stored documents, its search index, the bucket digests peers
 * compare, and the check that keeps a concurrent edit from being lost to "Delete forever".
 */
import * as Y from 'yjs';
import { bodyEscapesDeletion, catalogNotes, deletionOf, entryState, getEntry, restoreEntry, summarizeEntry, trashEntry } from '../../shared/catalog';
import type { SummaryRow } from '../../shared/host-api';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import { ManifestIndex } from '../../shared/note-sync/manifest';
import type { SpaceStore } from './doc-store';
import { SpaceSearch } from './space-search';
import { SpaceHistory, type ChangeOrigin, type HistoryTiming } from './space-history';
import { SpaceMembership } from './space-membership';
import type { Identity } from './member-crypto';
import { errorMessage } from '../../shared/errors';
import { join } from 'node:path';
import { DEFAULT_ATTACHMENT_LIMIT_BYTES } from '../../shared/attachments/attachment';
import { AttachmentStore } from './attachment-store';

/** The origin of catalog edits the host makes itself (bringing a deleted note back to the trash). */
export const HOST_ORIGIN: ChangeOrigin = Object.freeze({ source: 'host' });

export class SpaceHost {
  readonly search: SpaceSearch;
  readonly history: SpaceHistory;
  readonly membership: SpaceMembership;
  /** The files the space's notes show, stored once by their SHA-256. */
  readonly attachments: AttachmentStore;
  private manifestIndex: ManifestIndex | null = null;
  private readonly offUpdate: () => void;
  private readonly observer: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  private readonly toCheck = new Set<string>();
  /** Active notes, counted again only after the catalog changed (a list of spaces asks for it). */
  private activeNotes: number | null = null;
  /** The list rows of every note that is not deleted (JSON), computed again only after the catalog changed. */
  private summaryRows: string | null = null;
  private checking: Promise<void> = Promise.resolve();

  constructor(
    readonly store: SpaceStore,
    private readonly onCatalogEdit: (update: Uint8Array) => void,
    private readonly warn: (message: string) => void,
    localMember: () => string = () => '',
    historyTiming?: HistoryTiming,
    identity: () => Promise<Identity> = () => Promise.reject(new Error('this host has no identity')),
    memberName: () => string = () => '',
    attachmentLimit = DEFAULT_ATTACHMENT_LIMIT_BYTES,
  ) {
    this.attachments = new AttachmentStore(join(store.dir, 'attachments'), attachmentLimit);
    this.search = new SpaceSearch(store, warn);
    this.history = new SpaceHistory(store, localMember, warn, historyTiming);
    this.membership = new SpaceMembership(store, identity, () => ({ id: localMember(), name: memberName() }), onCatalogEdit);
    this.offUpdate = store.onUpdate((docId) => {
      this.manifestIndex?.touch(docId);
      if (docId === CATALOG_DOC_ID) {
        this.activeNotes = null;
        this.summaryRows = null;
      }
      if (docId !== CATALOG_DOC_ID) this.checkDeletion(docId);
    });
    this.observer = (events) => {
      for (const event of events) {
        const [noteId] = event.path as [string | undefined];
        if (noteId !== undefined) this.checkDeletion(noteId);
        else for (const key of (event as Y.YMapEvent<unknown>).keysChanged) this.checkDeletion(key);
      }
    };
    catalogNotes(store.catalog).observeDeep(this.observer);
    // Notes deleted while this host was not running may have bodies that escaped the deletion.
    catalogNotes(store.catalog).forEach((_entry, id) => this.checkDeletion(id));
  }

  /** How many notes of the space are active (neither in the trash nor deleted). */
  activeNoteCount(): number {
    if (this.activeNotes === null) {
      let count = 0;
      catalogNotes(this.store.catalog).forEach((entry) => {
        if (entry instanceof Y.Map && entryState(entry) === 'active') count++;
      });
      this.activeNotes = count;
    }
    return this.activeNotes;
  }

  /** The notes as lists show them (a JSON array of rows), for a window that has not decoded the catalog yet. */
  summaries(): string {
    if (this.summaryRows === null) {
      const rows: SummaryRow[] = [];
      catalogNotes(this.store.catalog).forEach((entry, id) => {
        if (!(entry instanceof Y.Map)) return;
        const state = entryState(entry);
        if (state === 'deleted') return;
        const s = summarizeEntry(id, entry);
        rows.push([id, s.title, s.tags, s.createdAt, s.createdBy, s.updatedAt, s.updatedBy, s.trashedAt, state, s.folder]);
      });
      this.summaryRows = JSON.stringify(rows);
    }
    return this.summaryRows;
  }

  /** Bucket digests of every document of the space, built on first use and kept current. */
  manifest(): ManifestIndex {
    if (!this.manifestIndex) {
      const index = new ManifestIndex((docId) => this.store.digest(docId));
      index.touch(CATALOG_DOC_ID);
      for (const id of this.store.noteIds()) index.touch(id);
      this.manifestIndex = index;
    }
    return this.manifestIndex;
  }

  /**
   * A note counts as deleted only while its deleting replica had seen every edit of it. Hosts hold
   * every body, so they are the ones to notice an edit that escaped: the note comes back to the trash
   * with it, as an ordinary catalog edit every member receives.
   */
  private checkDeletion(noteId: string): void {
    const entry = getEntry(this.store.catalog, noteId);
    if (!entry || entryState(entry) !== 'deleted' || this.toCheck.has(noteId)) return;
    this.toCheck.add(noteId);
    this.checking = this.checking.then(async () => {
      this.toCheck.delete(noteId);
      const current = getEntry(this.store.catalog, noteId);
      const deletion = current && entryState(current) === 'deleted' ? deletionOf(current) : null;
      if (!current || !deletion || !this.store.has(noteId)) return;
      const body = Y.decodeStateVector(await this.store.stateVector(noteId));
      if (!bodyEscapesDeletion(body, deletion.bodySeen)) return;
      let update: Uint8Array | null = null;
      const capture = (u: Uint8Array, origin: unknown) => {
        if (origin === HOST_ORIGIN) update = u;
      };
      this.store.catalog.on('update', capture);
      try {
        this.store.catalog.transact(() => {
          restoreEntry(current);
          trashEntry(current, deletion.at);
        }, HOST_ORIGIN);
      } finally {
        this.store.catalog.off('update', capture);
      }
      if (update) {
        this.warn(`note ${noteId} was edited where its deletion had not been seen: it is back in the trash`);
        // Already applied to the host's catalog; appending records it on disk and reaches every client.
        await this.store.append(CATALOG_DOC_ID, update, HOST_ORIGIN);
        this.onCatalogEdit(update);
      }
    }).catch((error: unknown) => this.warn(`checking deleted note ${noteId}: ${errorMessage(error)}`));
  }

  /** Attachments the space's notes show that this device does not have, with the notes that show each. */
  async missingAttachments(): Promise<Array<{ hash: string; noteIds: string[] }>> {
    const refs = await this.search.attachmentRefs();
    const stored = new Set(await this.attachments.list());
    return [...refs].filter(([hash]) => !stored.has(hash)).map(([hash, noteIds]) => ({ hash, noteIds }));
  }

  /** Resolves once every pending deletion check is done. */
  async idle(): Promise<void> {
    let seen: Promise<void> | null = null;
    while (seen !== this.checking) {
      seen = this.checking;
      await seen;
    }
  }

  async close(): Promise<void> {
    this.offUpdate();
    catalogNotes(this.store.catalog).unobserveDeep(this.observer);
    await this.checking;
    this.membership.close();
    await this.history.close();
    await this.search.close();
  }
}
