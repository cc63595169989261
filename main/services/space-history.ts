/**
 * The history of one space on this device: versions of every note (and of the catalog), who made
 * them, and what this member has seen. Every host keeps its own; nothing needs a server.
 *
 * A version is cut when a note has had no edit for 30 seconds, after 5 minutes of continuous
 * editing, when changes from peers follow the member's own after a pause (or the other way round),
 * before and after a restore, and whenever someone looks (History, What's new, leaving a note). It
 * is stored as the items created since the version before and the deletions made since
 * (history/version-update.ts), with the members whose edits it holds; a chain starts with a full
 * state. Showing a version replays the chain into a scratch document that keeps deleted content
 * (`gc: false`); restoring one, or undoing a member's changes, is a new edit made there
 * (history/revert.ts) and stored like any other. Garbage collection stays on in every live document.
 *
 * A note that arrives from a peer or an import is not a version by itself: its first edit after
 * that records its state before the edit as the chain's start, so joining a space does not copy it.
 */
import { discussionCounts } from '../../shared/comments';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { ObservableV2 } from 'lib0/observable';
import * as Y from 'yjs';
import { catalogMeta, catalogNotes, getEntry, entryTitle } from '../../shared/catalog';
import { clientMembers, nameClient } from '../../shared/doc-clients';
import { deletionsOf, decodeRanges, rangesHave, subtractRanges, unionRanges, type DeleteRanges } from '../../shared/history/delete-set';
import { revertChanges } from '../../shared/history/revert';
import { viewVersion, type Attribution } from '../../shared/history/version-view';
import { EMPTY_POINT, versionUpdate, type DocPoint } from '../../shared/history/version-update';
import { CATALOG_DOC_ID, noteBodyOf } from '../../shared/note-doc';
import { errorMessage } from '../../shared/errors';
import type { SpaceStore, StateCapture } from './doc-store';
import { chainStart, encodeVersion, HISTORY_FILE, HistoryLog, stateAtVersion, versionsByDoc, type VersionMeta } from './history-log';
import type { EntryChange, NoteNews, ShownVersion, VersionInfo, VersionKind } from '../../shared/history/history-types';
import { writeFileAtomic } from './private-files';

const SEEN_FILE = 'seen.json';

/** Where a change came from, as hosts tell the store when they append it. */
export type ChangeSource = 'local' | 'peers' | 'import' | 'host' | 'restore' | 'revert';

export interface ChangeOrigin {
  source: ChangeSource;
  /** The member who made it, when the host knows (its own member's edits, restores, reverts). */
  member?: string;
  label?: string;
  /** The client it came from (so it is not sent back there). */
  client?: unknown;
  /** A revert's deleted items that it wrote again (so undoing a member's changes later skips them). */
  redone?: DeleteRanges;
}

export function isChangeOrigin(value: unknown): value is ChangeOrigin {
  return typeof value === 'object' && value !== null && typeof (value as ChangeOrigin).source === 'string';
}

export interface HistoryTiming {
  /** A version is cut after this long without edits… */
  idleMs: number;
  /** …or after this long of continuous editing. */
  maxMs: number;
  /** Changes from another source start a new version when they follow a pause this long. */
  switchGapMs: number;
  now: () => number;
}

export const DEFAULT_TIMING: HistoryTiming = { idleMs: 30_000, maxMs: 5 * 60_000, switchGapMs: 2_000, now: () => Date.now() };

/** Changes that are versions of their own, never merged with edits around them. */
const OWN_VERSION: ReadonlySet<ChangeSource> = new Set(['import', 'host', 'restore', 'revert']);

interface Change {
  update: Uint8Array;
  origin: ChangeOrigin;
  /** Catalog changes: what the change did to notes' entries. */
  entries?: Array<[string, EntryChange]>;
}

interface Window {
  startedAt: number;
  lastAt: number;
  source: ChangeSource;
  /** Whether any of its changes came from peers. */
  fromPeers: boolean;
  changes: Change[];
  /** The stored state before the window's first change (read only if the document has no history). */
  before: StateCapture;
  timer: ReturnType<typeof setTimeout> | null;
}

/** A scratch replay of a chain: deleted content kept, so any version in it can be shown or restored. */
interface Scratch {
  doc: Y.Doc;
  /** Index in the document's version list of the chain's first version, and of the last one applied. */
  from: number;
  upTo: number;
  /** Each applied version's own deletions, by index. */
  deletions: Map<number, DeleteRanges>;
}

interface SeenFile {
  since: number;
  notes: Record<string, [number, number]>;
}

export interface SpaceHistoryEvents {
  /** Versions were recorded for these documents, by these members. */
  recorded: (docIds: string[], authors: string[]) => void;
  /** Changes from peers started arriving for a document (they become a version later). */
  pending: (docId: string) => void;
}

const SCRATCH_CACHE = 6;
const TIP_CACHE = 512;

function isEmptyState(update: Uint8Array): boolean {
  return update.byteLength <= 2;
}

function docFrom(docId: string, state: Uint8Array, gc = true): Y.Doc {
  const doc = new Y.Doc({ guid: docId, gc });
  Y.applyUpdate(doc, state);
  return doc;
}

function intersectRanges(a: DeleteRanges, b: DeleteRanges): DeleteRanges {
  return subtractRanges(a, subtractRanges(a, b));
}

/** Each client's items created after `from` and up to `to`, as ranges. */
function createdBetween(from: Map<number, number>, to: Map<number, number>, clients?: (client: number) => boolean): DeleteRanges {
  const out: DeleteRanges = new Map();
  for (const [client, clock] of to) {
    const start = from.get(client) ?? 0;
    if (clock > start && (!clients || clients(client))) out.set(client, [[start, clock - start]]);
  }
  return out;
}

/** The deletions a stored version made (or, for one Yjs wrote with pending updates, every deletion it carries). */
function versionDeletions(meta: VersionMeta, update: Uint8Array): DeleteRanges {
  return meta.deletionsAt >= 0 ? decodeRanges(update.subarray(meta.deletionsAt)) : deletionsOf(update);
}

function catalogScope(doc: Y.Doc) {
  return [catalogNotes(doc), catalogMeta(doc)];
}

export class SpaceHistory extends ObservableV2<SpaceHistoryEvents> {
  private log: HistoryLog | null = null;
  private readonly versions = new Map<string, VersionMeta[]>();
  private readonly windows = new Map<string, Window>();
  private readonly scratches = new Map<string, Scratch>();
  private readonly tips = new Map<string, { index: number; point: DocPoint }>();
  private queue: Promise<unknown> = Promise.resolve();
  private seen: SeenFile = { since: 0, notes: {} };
  private seenSaveTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly offStore: () => void;
  private readonly entryObserver: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => void;
  private pendingEntries = new Map<string, EntryChange>();
  readonly ready: Promise<void>;

  constructor(
    private readonly store: SpaceStore,
    private readonly localMember: () => string,
    private readonly warn: (message: string) => void,
    private readonly timing: HistoryTiming = DEFAULT_TIMING,
  ) {
    super();
    this.offStore = store.onUpdate((docId, update, origin) => this.onChange(docId, update, isChangeOrigin(origin) ? origin : { source: 'local' }));
    // What each catalog change did to entries, read from the change itself (old values included).
    this.entryObserver = (events) => {
      for (const event of events) {
        const [noteId] = event.path as [string | undefined];
        if (noteId === undefined) {
          for (const [key, change] of (event as Y.YMapEvent<unknown>).changes.keys) if (change.action === 'add') this.pendingEntries.set(key, 'created');
          continue;
        }
        if (event.path.length !== 1) continue;
        for (const [key, change] of (event as Y.YMapEvent<unknown>).changes.keys) {
          const entry = getEntry(store.catalog, noteId);
          const value = entry?.get(key);
          let what: EntryChange | null = null;
          if (key === 'title') what = 'renamed';
          else if (key.startsWith('tag:')) what = 'tags';
          else if (key === 'deletedAt' && change.action !== 'delete') what = 'deleted';
          else if (key === 'trashedAt') what = typeof value === 'number' ? 'trashed' : 'restored';
          if (what && this.pendingEntries.get(noteId) !== 'created') this.pendingEntries.set(noteId, what);
        }
      }
    };
    catalogNotes(store.catalog).observeDeep(this.entryObserver);
    this.ready = this.load().catch((error: unknown) => this.warn(`history of space ${store.spaceId}: ${errorMessage(error)}`));
  }

  private async load(): Promise<void> {
    const { log, versions } = await HistoryLog.open(join(this.store.dir, HISTORY_FILE), (offset, detail) =>
      this.warn(`history of space ${this.store.spaceId}: a damaged record at byte ${offset} was skipped (${detail})`),
    );
    if (this.closed) {
      await log.close();
      return;
    }
    this.log = log;
    for (const [docId, list] of versionsByDoc(versions)) this.versions.set(docId, list);
    try {
      const parsed = JSON.parse(await readFile(join(this.store.dir, SEEN_FILE), 'utf8')) as Partial<SeenFile>;
      if (typeof parsed.since === 'number' && typeof parsed.notes === 'object' && parsed.notes) this.seen = { since: parsed.since, notes: parsed.notes as SeenFile['notes'] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`what was seen in space ${this.store.spaceId} could not be read: ${errorMessage(error)}`);
    }
    if (!this.seen.since) {
      this.seen.since = this.timing.now();
      this.saveSeenSoon();
    }
  }

  // ---------------------------------------------------------------- recording

  private onChange(docId: string, update: Uint8Array, origin: ChangeOrigin): void {
    if (this.closed) return;
    const now = this.timing.now();
    let window = this.windows.get(docId);
    const ownVersion = OWN_VERSION.has(origin.source);
    if (window && (ownVersion || OWN_VERSION.has(window.source) || (origin.source !== window.source && now - window.lastAt >= this.timing.switchGapMs))) {
      this.cut(docId, this.store.captureState(docId, 1));
      window = undefined;
    }
    if (!window) {
      window = { startedAt: now, lastAt: now, source: origin.source, changes: [], before: this.store.captureState(docId, 1), timer: null, fromPeers: false };
      this.windows.set(docId, window);
    }
    const change: Change = { update, origin };
    if (origin.source === 'peers' && !window.fromPeers) {
      window.fromPeers = true;
      this.emit('pending', [docId]);
    }
    if (docId === CATALOG_DOC_ID && this.pendingEntries.size > 0) {
      change.entries = [...this.pendingEntries];
      this.pendingEntries = new Map();
    }
    window.changes.push(change);
    window.lastAt = now;
    if (window.timer !== null) clearTimeout(window.timer);
    if (ownVersion || now - window.startedAt >= this.timing.maxMs) {
      this.cut(docId, this.store.captureState(docId));
      return;
    }
    const timer = setTimeout(() => {
      if (this.windows.get(docId)?.timer === timer) this.cut(docId, this.store.captureState(docId));
    }, this.timing.idleMs);
    timer.unref?.();
    window.timer = timer;
  }

  /** Closes a document's open window (its state fixed now) and records it as a version in the background. */
  private cut(docId: string, state: StateCapture): Promise<void> {
    const window = this.windows.get(docId);
    if (!window) {
      state.release();
      return this.queued(async () => {});
    }
    this.windows.delete(docId);
    if (window.timer !== null) clearTimeout(window.timer);
    return this.queued(() => this.record(docId, window, state)).finally(() => {
      window.before.release();
      state.release();
    }).catch((error: unknown) => {
      this.warn(`history of ${docId} in space ${this.store.spaceId}: a version could not be recorded: ${errorMessage(error)}`);
      this.scratches.delete(docId);
      this.tips.delete(docId);
    });
  }

  private queued<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Records open windows now (before History or What's new answers, and when the host stops); optionally only those of changes from peers. */
  flushWindows(docIds?: string[], onlyFromPeers = false): Promise<void> {
    const ids = (docIds ?? [...this.windows.keys()]).filter((id) => !onlyFromPeers || this.windows.get(id)?.fromPeers);
    return Promise.all(ids.map((id) => this.cut(id, this.store.captureState(id)))).then(() => {});
  }

  private list(docId: string): VersionMeta[] {
    let list = this.versions.get(docId);
    if (!list) this.versions.set(docId, (list = []));
    return list;
  }

  private async deletionsOfVersion(meta: VersionMeta): Promise<DeleteRanges> {
    return versionDeletions(meta, await this.log!.read(meta));
  }

  /** The point the document's newest version reached, when its chain is whole. */
  private async tip(docId: string): Promise<{ index: number; point: DocPoint } | null> {
    const list = this.list(docId);
    const cached = this.tips.get(docId);
    if (cached && cached.index === list.length - 1) return cached;
    const start = chainStart(list);
    if (start < 0) return null;
    const parts: DeleteRanges[] = [];
    for (let i = start; i < list.length; i++) parts.push(await this.deletionsOfVersion(list[i]!));
    const tip = { index: list.length - 1, point: { stateVector: list[list.length - 1]!.stateVector, deleted: unionRanges(...parts) } };
    this.rememberTip(docId, tip);
    return tip;
  }

  private rememberTip(docId: string, tip: { index: number; point: DocPoint }): void {
    this.tips.delete(docId);
    this.tips.set(docId, tip);
    for (const key of this.tips.keys()) {
      if (this.tips.size <= TIP_CACHE) break;
      this.tips.delete(key);
    }
  }

  private async record(docId: string, window: Window, state: StateCapture): Promise<void> {
    await this.ready;
    if (!this.log) return;
    const list = this.list(docId);
    let tip = await this.tip(docId);
    if (!tip) {
      const before = await window.before.read();
      if (isEmptyState(before) && window.source !== 'local' && list.length === 0) return; // arrived whole (from a peer, or an import): its first edit records it as a chain's start
      if (!isEmptyState(before)) {
        const doc = docFrom(docId, before);
        try {
          tip = await this.append(docId, doc, { index: -1, point: EMPTY_POINT }, { kind: 'baseline', at: window.startedAt, base: true, window: null });
        } finally {
          doc.destroy();
        }
      }
      tip ??= { index: -1, point: EMPTY_POINT };
    }
    const doc = docFrom(docId, await state.read());
    // Kept decoded by the store from now on, so the next version is read from memory, not replayed from disk.
    if (docId !== CATALOG_DOC_ID) await this.store.doc(docId).catch(() => {});
    try {
      const kind: VersionKind = window.source === 'restore' ? 'restore' : window.source === 'revert' ? 'revert' : window.source === 'import' ? 'import' : 'edit';
      const label = window.changes.find((c) => c.origin.label)?.origin.label;
      await this.append(docId, doc, tip, { kind, at: window.lastAt, base: tip.index < 0, window, label });
    } finally {
      doc.destroy();
    }
  }

  /** The one member whose clients wrote in an update ('' when none or several). */
  private writerOf(update: Uint8Array, members: Map<number, string>): string {
    const writers = new Set([...Y.parseUpdateMeta(update).to.keys()].map((c) => members.get(c) ?? ''));
    return writers.size === 1 ? [...writers][0]! : '';
  }

  /** Who made each change's deletions: the member the host knows, else the clients that wrote with it. */
  private deletionAuthors(window: Window, members: Map<number, string>, deletions: DeleteRanges): Array<[string, DeleteRanges]> {
    const byMember = new Map<string, DeleteRanges[]>();
    for (const { update, origin } of window.changes) {
      const removed = intersectRanges(deletionsOf(update), deletions);
      if (removed.size === 0) continue;
      let member = origin.member;
      if (!member) {
        const writers = new Set([...Y.parseUpdateMeta(update).to.keys()].map((c) => members.get(c) ?? ''));
        // An edit that only deleted its own writing (an undo) names no one: the items' author did it.
        if (writers.size === 0) for (const client of removed.keys()) writers.add(members.get(client) ?? '');
        member = writers.size === 1 ? [...writers][0]! : '';
      }
      byMember.set(member, [...(byMember.get(member) ?? []), removed]);
    }
    return [...byMember].map(([member, parts]) => [member, unionRanges(...parts)]);
  }

  private async append(
    docId: string,
    doc: Y.Doc,
    tip: { index: number; point: DocPoint },
    options: { kind: VersionKind; at: number; base: boolean; window: Window | null; label?: string },
  ): Promise<{ index: number; point: DocPoint } | null> {
    const version = versionUpdate(doc, tip.point);
    if (!version) return null;
    const list = this.list(docId);
    const members = clientMembers(doc);
    const writers = new Set<string>();
    for (const client of createdBetween(tip.point.stateVector, version.point.stateVector).keys()) writers.add(members.get(client) ?? '');
    writers.delete('');
    let deletedBy = options.window ? this.deletionAuthors(options.window, members, version.deletions) : [];
    for (const [member] of deletedBy) if (member) writers.add(member);
    if (writers.size === 0) for (const change of options.window?.changes ?? []) if (change.origin.member) writers.add(change.origin.member);
    if (writers.size === 0 && (version.deletions.size > 0 || !options.base)) writers.add('');
    // One author deleted everything: no need to say who deleted what.
    if (deletedBy.length === 1 && writers.size === 1 && writers.has(deletedBy[0]![0])) deletedBy = [];
    let wordsAdded = 0;
    let wordsRemoved = 0;
    const n = tip.index >= 0 ? list[tip.index]!.n + 1 : (list[list.length - 1]?.n ?? -1) + 1;
    const meta: Omit<VersionMeta, 'offset' | 'length'> = {
      doc: docId,
      n,
      at: options.at,
      kind: options.kind,
      base: options.base,
      stateVector: version.point.stateVector,
      authors: [...writers].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b))),
      wordsAdded: 0,
      wordsRemoved: 0,
      deletionsAt: version.deletionsAt ?? -1,
    };
    if (deletedBy.length > 0) meta.deletedBy = deletedBy;
    if (options.label) meta.label = options.label;
    const redone = unionRanges(...(options.window?.changes ?? []).map((c) => c.origin.redone ?? new Map()));
    if (redone.size > 0) meta.redone = redone;
    if (docId === CATALOG_DOC_ID && options.window) {
      // Each entry change is named after the change that made it (the member's own, or its writers').
      const entries: Array<[string, EntryChange, string]> = [];
      for (const change of options.window.changes) {
        if (!change.entries) continue;
        const member = change.origin.member ?? this.writerOf(change.update, members);
        for (const [noteId, what] of change.entries) entries.push([noteId, what, member]);
      }
      if (entries.length > 0) meta.entries = entries;
    }
    if (docId !== CATALOG_DOC_ID && !options.base) {
      // Words added and removed, read from a replay of the chain with this version applied.
      const scratch = await this.scratch(docId, tip.index);
      if (scratch) {
        const before = discussionCounts(scratch.doc);
        Y.applyUpdate(scratch.doc, version.update);
        const after = discussionCounts(scratch.doc);
        meta.discussion = [Math.max(0, after.comments - before.comments), Math.max(0, after.resolved - before.resolved)];
        scratch.upTo = tip.index + 1;
        scratch.deletions.set(tip.index + 1, version.deletions);
        const view = viewVersion(noteBodyOf(scratch.doc, docId), version.point, tip.point);
        wordsAdded = view.wordsAdded;
        wordsRemoved = view.wordsRemoved;
      }
    } else if (docId !== CATALOG_DOC_ID) {
      const view = viewVersion(noteBodyOf(doc, docId), version.point, EMPTY_POINT);
      wordsAdded = view.wordsAdded;
      const counts = discussionCounts(doc);
      meta.discussion = [counts.comments, counts.resolved];
    }
    meta.wordsAdded = wordsAdded;
    meta.wordsRemoved = wordsRemoved;
    const record = encodeVersion(meta, version.update);
    const start = await this.log!.append(record);
    const stored: VersionMeta = { ...meta, offset: start + record.length - version.update.length, length: version.update.length };
    list.push(stored);
    const next = { index: list.length - 1, point: version.point };
    this.rememberTip(docId, next);
    if (options.base) this.scratches.delete(docId);
    this.emit('recorded', [[docId], meta.authors]);
    return next;
  }

  /** A scratch replay of the chain that holds version `index`, with at least that version applied. */
  private async scratch(docId: string, index: number): Promise<Scratch | null> {
    const list = this.list(docId);
    if (index < 0 || index >= list.length) return null;
    const from = chainStart(list, index);
    if (from < 0) return null;
    let scratch = this.scratches.get(docId);
    if (!scratch || scratch.from !== from || scratch.upTo > list.length - 1) {
      scratch?.doc.destroy();
      scratch = { doc: new Y.Doc({ guid: docId, gc: false }), from, upTo: from - 1, deletions: new Map() };
    }
    this.scratches.delete(docId);
    this.scratches.set(docId, scratch);
    for (const key of this.scratches.keys()) {
      if (this.scratches.size <= SCRATCH_CACHE) break;
      this.scratches.get(key)?.doc.destroy();
      this.scratches.delete(key);
    }
    // Versions of the same chain up to `index`: later ones may follow (the chain is unbroken).
    for (let i = scratch.upTo + 1; i <= index; i++) {
      const meta = list[i]!;
      if (i > from && meta.n !== list[i - 1]!.n + 1) break;
      const update = await this.log!.read(meta);
      Y.applyUpdate(scratch.doc, update);
      scratch.deletions.set(i, versionDeletions(meta, update));
      scratch.upTo = i;
    }
    return scratch.upTo >= index ? scratch : null;
  }

  /** The point version `index` reached (its chain must be in `scratch`). */
  private pointAt(list: VersionMeta[], scratch: Scratch, index: number): DocPoint {
    const parts: DeleteRanges[] = [];
    for (let i = scratch.from; i <= index; i++) parts.push(scratch.deletions.get(i) ?? new Map());
    return { stateVector: list[index]!.stateVector, deleted: unionRanges(...parts) };
  }

  // ---------------------------------------------------------------- reading

  private info(list: VersionMeta[], index: number): VersionInfo {
    const meta = list[index]!;
    const info: VersionInfo = {
      n: meta.n,
      at: meta.at,
      kind: meta.kind,
      authors: meta.authors,
      wordsAdded: meta.wordsAdded,
      wordsRemoved: meta.wordsRemoved,
      available: chainStart(list, index) >= 0,
    };
    if (meta.n === 0 && meta.kind === 'edit') info.first = true;
    if (meta.discussion?.[0]) info.comments = meta.discussion[0];
    if (meta.discussion?.[1]) info.resolved = meta.discussion[1];
    if (meta.label) info.label = meta.label;
    return info;
  }

  /** A note's versions, newest first (what is open is recorded first). */
  async versionsOf(docId: string): Promise<VersionInfo[]> {
    await this.ready;
    await this.flushWindows([docId]);
    const list = this.list(docId);
    const out: VersionInfo[] = [];
    for (let i = list.length - 1; i >= 0; i--) out.push(this.info(list, i));
    return out;
  }

  private indexOf(list: VersionMeta[], n: number): number {
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.n === n) return mid;
      if (list[mid]!.n < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private attribution(list: VersionMeta[], scratch: Scratch, fromIndex: number, toIndex: number): Attribution {
    const members = clientMembers(scratch.doc);
    return {
      clientMember: (client) => members.get(client),
      deletedBy: (client, clock) => {
        for (let i = fromIndex + 1; i <= toIndex; i++) {
          const meta = list[i]!;
          if (meta.deletedBy) {
            for (const [member, ranges] of meta.deletedBy) if (rangesHave(ranges, client, clock)) return member || undefined;
          } else if (meta.authors.length === 1 && meta.authors[0]) {
            // One author made every deletion this version holds.
            const deletions = scratch.deletions.get(i);
            if (deletions && rangesHave(deletions, client, clock)) return meta.authors[0];
          }
        }
        return undefined;
      },
    };
  }

  /**
   * Version `n` of a note, with what changed since version `against` (by default the one before it;
   * -1 compares with nothing); null when it cannot be rebuilt.
   */
  async view(docId: string, n: number, against?: number): Promise<ShownVersion | null> {
    await this.ready;
    return this.queued(async () => {
      const list = this.list(docId);
      const index = this.indexOf(list, n);
      if (index < 0) return null;
      const scratch = await this.scratch(docId, index);
      if (!scratch) return null;
      let previousIndex = against === undefined ? index - 1 : against < 0 ? -1 : this.indexOf(list, against);
      if (previousIndex >= index) previousIndex = index; // the same version: a plain view
      if (previousIndex < scratch.from) previousIndex = scratch.from - 1; // before this chain: compared with nothing
      const current = this.pointAt(list, scratch, index);
      const previous = previousIndex >= scratch.from ? this.pointAt(list, scratch, previousIndex) : EMPTY_POINT;
      const view = viewVersion(noteBodyOf(scratch.doc, docId), current, previous, this.attribution(list, scratch, previousIndex, index));
      return { ...view, version: this.info(list, index), against: previousIndex >= scratch.from ? list[previousIndex]!.n : null };
    });
  }

  /** A version's whole state (for exports), or null when it cannot be rebuilt. */
  async stateAt(docId: string, n: number): Promise<Uint8Array | null> {
    await this.ready;
    return this.queued(() => stateAtVersion(this.list(docId), n, (meta) => this.log!.read(meta)));
  }

  // ---------------------------------------------------------------- taking changes back

  /**
   * The edit that brings version `n` of a note back, made in a replay and returned (not applied: the
   * host appends it like any edit). Open changes become a version first.
   */
  async restoreUpdate(docId: string, n: number, member: string): Promise<{ update: Uint8Array; redone: DeleteRanges } | null> {
    await this.ready;
    await this.flushWindows([docId]);
    return this.queued(async () => {
      const list = this.list(docId);
      const index = this.indexOf(list, n);
      const tip = await this.tip(docId);
      if (index < 0 || !tip) return null;
      const scratch = await this.scratch(docId, tip.index);
      if (!scratch || index < scratch.from) return null;
      const target = this.pointAt(list, scratch, index);
      const inserted = createdBetween(target.stateVector, tip.point.stateVector);
      const deleted = subtractRanges(tip.point.deleted, target.deleted);
      return this.revertIn(scratch, docId, inserted, deleted, member);
    });
  }

  private revertIn(scratch: Scratch, docId: string, inserted: DeleteRanges, deleted: DeleteRanges, member: string): { update: Uint8Array; redone: DeleteRanges } | null {
    const scope = docId === CATALOG_DOC_ID ? catalogScope(scratch.doc) : [noteBodyOf(scratch.doc, docId)];
    const reverted = revertChanges(scratch.doc, scope, inserted, deleted);
    if (!reverted) return null;
    // The scratch now holds an edit no version has yet: replay afresh next time.
    this.scratches.delete(docId);
    const named: Uint8Array[] = [];
    const capture = (u: Uint8Array) => named.push(u);
    scratch.doc.on('update', capture);
    nameClient(scratch.doc, member);
    scratch.doc.off('update', capture);
    scratch.doc.destroy();
    return { update: named.length > 0 ? Y.mergeUpdates([reverted.update, ...named]) : reverted.update, redone: reverted.redone };
  }

  /** The documents a member changed since `since`, and for each the edit that takes those changes back. */
  async revertMember(memberId: string, since: number, by: string, apply: boolean): Promise<Array<{ docId: string; reverted: { update: Uint8Array; redone: DeleteRanges } | null }>> {
    await this.ready;
    await this.flushWindows();
    return this.queued(async () => {
      const out: Array<{ docId: string; reverted: { update: Uint8Array; redone: DeleteRanges } | null }> = [];
      for (const [docId, list] of this.versions) {
        // A baseline holds what was there before history began, whenever it was written: not "since".
        const first = list.findIndex((meta) => meta.at >= since && meta.kind !== 'baseline' && meta.authors.includes(memberId));
        if (first < 0) continue;
        if (!apply) {
          out.push({ docId, reverted: null });
          continue;
        }
        const tip = await this.tip(docId);
        if (!tip) continue;
        const scratch = await this.scratch(docId, tip.index);
        if (!scratch) continue;
        // Where the member's changes start: the last version before `since` (or the chain's start).
        let startIndex = first - 1;
        while (startIndex >= scratch.from && list[startIndex]!.at >= since) startIndex--;
        const start = startIndex >= scratch.from ? this.pointAt(list, scratch, startIndex) : EMPTY_POINT;
        const members = clientMembers(scratch.doc);
        const inserted = createdBetween(start.stateVector, tip.point.stateVector, (client) => members.get(client) === memberId);
        const deletedParts: DeleteRanges[] = [];
        const redoneParts: DeleteRanges[] = [];
        for (let i = Math.max(startIndex + 1, scratch.from); i <= tip.index; i++) {
          const meta = list[i]!;
          if (meta.redone) redoneParts.push(meta.redone);
          if (meta.deletedBy) {
            for (const [member, ranges] of meta.deletedBy) if (member === memberId) deletedParts.push(ranges);
          } else if (meta.authors.length === 1 && meta.authors[0] === memberId) deletedParts.push(scratch.deletions.get(i) ?? new Map());
        }
        // What a restore already wrote again is not written a second time.
        const deleted = subtractRanges(unionRanges(...deletedParts), unionRanges(...redoneParts));
        out.push({ docId, reverted: this.revertIn(scratch, docId, inserted, deleted, by) });
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- what this member has seen

  private saveSeenSoon(): void {
    if (this.seenSaveTimer !== null) return;
    this.seenSaveTimer = setTimeout(() => void this.saveSeen(), 1000);
    this.seenSaveTimer.unref?.();
  }

  private async saveSeen(): Promise<void> {
    if (this.seenSaveTimer !== null) clearTimeout(this.seenSaveTimer);
    this.seenSaveTimer = null;
    await writeFileAtomic(join(this.store.dir, SEEN_FILE), JSON.stringify(this.seen)).catch((error: unknown) =>
      this.warn(`what was seen in space ${this.store.spaceId} could not be saved: ${errorMessage(error)}`),
    );
  }

  /** Records that the member has seen notes as they are now (with `flush`, open changes become a version first). */
  async markSeen(docIds: string[], flush = true): Promise<void> {
    await this.ready;
    if (flush) await this.flushWindows(docIds.filter((id) => this.windows.has(id)));
    await this.queued(async () => {});
    const now = this.timing.now();
    for (const docId of docIds) {
      const list = this.versions.get(docId);
      this.seen.notes[docId] = [list?.length ? list[list.length - 1]!.n : -1, now];
    }
    this.saveSeenSoon();
  }

  /** What the member last saw of a note: the newest version then, and when; undefined if never. */
  seenOf(docId: string): { n: number; at: number } | undefined {
    const seen = this.seen.notes[docId];
    return seen ? { n: seen[0], at: seen[1] } : undefined;
  }

  /** The version the member last saw of a note (before any record, the last one before history began for them). */
  private seenVersion(docId: string): number | null {
    const seen = this.seenOf(docId);
    if (seen) return seen.n >= 0 ? seen.n : null;
    const list = this.versions.get(docId) ?? [];
    let last: number | null = null;
    for (const meta of list) if (meta.at < this.seen.since) last = meta.n;
    return last;
  }

  private othersVersions(docId: string, me: string): VersionInfo[] {
    const list = this.versions.get(docId);
    if (!list) return [];
    const seen = this.seenOf(docId);
    const out: VersionInfo[] = [];
    for (let i = list.length - 1; i >= 0; i--) {
      const meta = list[i]!;
      if (seen ? meta.n <= seen.n : meta.at < this.seen.since) break;
      if (meta.kind === 'baseline' || !meta.authors.some((a) => a !== me)) continue;
      out.push(this.info(list, i));
    }
    return out;
  }

  /** Notes others changed since the member last saw them (their body, or their entry). */
  async news(noteIds?: string[]): Promise<NoteNews[]> {
    await this.ready;
    const me = this.localMember();
    const byNote = new Map<string, NoteNews>();
    const ids = noteIds ?? [...this.versions.keys()].filter((id) => id !== CATALOG_DOC_ID);
    for (const id of ids) {
      const versions = this.othersVersions(id, me);
      if (versions.length > 0) byNote.set(id, { noteId: id, versions, entries: [], seen: this.seenVersion(id) });
    }
    const catalog = this.versions.get(CATALOG_DOC_ID) ?? [];
    for (let i = catalog.length - 1; i >= 0; i--) {
      const meta = catalog[i]!;
      if (meta.at < this.seen.since) break;
      if (!meta.entries) continue;
      for (const [noteId, change, member] of meta.entries) {
        if (member === me || (noteIds && !noteIds.includes(noteId))) continue;
        const seen = this.seenOf(noteId);
        if (seen && meta.at <= seen.at) continue;
        let news = byNote.get(noteId);
        if (!news) byNote.set(noteId, (news = { noteId, versions: [], entries: [], seen: this.seenVersion(noteId) }));
        news.entries.push({ change, at: meta.at, authors: [member] });
      }
    }
    // Changes from peers not yet a version: new all the same (who made them is told once they are one).
    for (const [docId, window] of this.windows) {
      if (docId === CATALOG_DOC_ID || !window.fromPeers || byNote.has(docId) || (noteIds && !noteIds.includes(docId))) continue;
      const seen = this.seenOf(docId);
      if (seen && window.lastAt <= seen.at) continue;
      byNote.set(docId, { noteId: docId, versions: [], entries: [], seen: this.seenVersion(docId), pending: true });
    }
    return [...byNote.values()];
  }

  /** When each member last made a version this device recorded (any note, or the catalog). */
  lastSeenByMember(): Map<string, number> {
    const out = new Map<string, number>();
    for (const list of this.versions.values()) {
      for (const meta of list) for (const author of meta.authors) if (author && meta.at > (out.get(author) ?? 0)) out.set(author, meta.at);
    }
    return out;
  }

  /** Bytes of history stored for this space. */
  get bytes(): number {
    return this.log?.bytes ?? 0;
  }

  titleOf(noteId: string): string {
    const entry = getEntry(this.store.catalog, noteId);
    return entry ? entryTitle(entry) : '';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushWindows().catch(() => {});
    this.closed = true;
    this.offStore();
    catalogNotes(this.store.catalog).unobserveDeep(this.entryObserver);
    await this.queue.catch(() => {});
    if (this.seenSaveTimer !== null) await this.saveSeen();
    for (const scratch of this.scratches.values()) scratch.doc.destroy();
    this.scratches.clear();
    await this.log?.close();
  }
}

