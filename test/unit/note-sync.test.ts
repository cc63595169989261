/**
 * Document sync between members (shared/note-sync): replicas of a space in memory, joined by links
 * that deliver bytes asynchronously and count them. What must hold: everyone ends with everything,
 * only changed notes cross, the open note comes first, live edits are relayed, and bad messages are
 * refused without stopping sync.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createEntry, getEntry } from '../../shared/catalog';
import { docDigest } from '../../shared/doc-digest';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import { NoteSyncEngine, type NoteSyncLink, type NoteSyncOptions } from '../../shared/note-sync/engine';
import { decodeNoteSyncMessage, encodeNoteSyncMessage, NOTE_SYNC_MESSAGE } from '../../shared/note-sync/protocol';
import { FROM_PEER, MemoryNoteStore } from './support/memory-note-store';

const author = { id: 'member-0001', name: 'Ada' };

class Replica {
  readonly store = new MemoryNoteStore();
  readonly warnings: string[] = [];
  readonly engine: NoteSyncEngine;

  constructor(
    readonly name: string,
    options: NoteSyncOptions = {},
  ) {
    this.engine = new NoteSyncEngine(this.store, { warn: (m) => this.warnings.push(m), resyncEveryMs: 0, unlistedHoldMs: 200, ...options });
    // Local edits go to peers live, as the app does for the notes it has open.
    const broadcast = (docId: string) => (update: Uint8Array, origin: unknown) => {
      if (origin !== FROM_PEER) this.engine.broadcast(docId, update);
    };
    this.store.catalog.on('update', broadcast(CATALOG_DOC_ID));
    this.watch = (docId) => this.store.doc(docId).on('update', broadcast(docId));
  }

  readonly watch: (docId: string) => void;

  /** A note with its entry in the catalog and `text` in its body. */
  note(id: string, text: string): void {
    createEntry(this.store.catalog, { id, title: id, author });
    this.watch(id);
    this.store.doc(id).getText('body').insert(0, text);
  }

  text(id: string): string {
    return this.store.docs.get(id)?.getText('body').toString() ?? '';
  }
}

/** A two-way link that delivers asynchronously (as a data channel does) and counts what it carries. */
function connect(a: Replica, b: Replica) {
  const stats = { bytes: 0, docsSent: [] as string[] };
  let open = true;
  const link = (to: Replica, from: Replica): NoteSyncLink & { peer?: NoteSyncLink } => ({
    send: (message) => {
      if (!open) return;
      stats.bytes += message.byteLength;
      const decoded = decodeNoteSyncMessage(message);
      if (decoded.ok && decoded.message.kind === 'docs') stats.docsSent.push(...decoded.message.updates.filter((u) => u.update.byteLength > 2).map((u) => u.docId));
      setTimeout(() => open && to.engine.receive(back.get(to)!, message), 0);
      void from;
    },
  });
  const aToB = link(b, a);
  const bToA = link(a, b);
  // What each side's engine calls its link to the other.
  const back = new Map<Replica, NoteSyncLink>([
    [b, bToA],
    [a, aToB],
  ]);
  a.engine.addLink(aToB);
  b.engine.addLink(bToA);
  return {
    stats,
    aToB,
    /** Messages stop arriving either way, and neither side is told (a connection that died quietly). */
    silence: () => {
      open = false;
    },
    cut: () => {
      open = false;
      a.engine.removeLink(aToB);
      b.engine.removeLink(bToA);
    },
  };
}

async function settle(...replicas: Replica[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (replicas.every((r) => !r.engine.status().syncing)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (replicas.every((r) => !r.engine.status().syncing)) return;
    }
  }
  throw new Error('sync did not settle');
}

function sameDocs(a: Replica, b: Replica): void {
  const ids = new Set([...a.store.docs.keys(), ...b.store.docs.keys()]);
  for (const id of ids) {
    expect(docDigest(id, a.store.doc(id)), id).toEqual(docDigest(id, b.store.doc(id)));
  }
}

const replicas: Replica[] = [];
function replica(name: string, options?: NoteSyncOptions): Replica {
  const r = new Replica(name, options);
  replicas.push(r);
  return r;
}
afterEach(() => {
  for (const r of replicas.splice(0)) r.engine.destroy();
});

describe('document sync between members', () => {
  it('two members who wrote different notes apart both end with every note', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    for (let i = 0; i < 30; i++) ana.note(`ana-note-${i}0`, `Ana ${i}`);
    for (let i = 0; i < 20; i++) ben.note(`ben-note-${i}0`, `Ben ${i}`);
    connect(ana, ben);
    await settle(ana, ben);
    expect(ben.text('ana-note-70')).toBe('Ana 7');
    expect(ana.text('ben-note-70')).toBe('Ben 7');
    sameDocs(ana, ben);
    expect(ana.warnings).toEqual([]);
    expect(ben.warnings).toEqual([]);
  });

  it('after time apart, only the notes that changed cross, and the bytes stay small', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    for (let i = 0; i < 500; i++) ana.note(`note-${String(i).padStart(5, '0')}`, `Practice note ${i}. `.repeat(20));
    const first = connect(ana, ben);
    await settle(ana, ben);
    sameDocs(ana, ben);
    first.cut();
    for (const id of ['note-00001', 'note-00002', 'note-00003']) ana.store.doc(id).getText('body').insert(0, 'Ana apart. ');
    for (const id of ['note-00101', 'note-00102', 'note-00103']) ben.store.doc(id).getText('body').insert(0, 'Ben apart. ');
    // Deleting text adds no item: a state vector would not show it; the digest does.
    ben.store.doc('note-00200').getText('body').delete(0, 5);
    const again = connect(ana, ben);
    await settle(ana, ben);
    sameDocs(ana, ben);
    expect(ana.text('note-00101').startsWith('Ben apart.')).toBe(true);
    expect(ben.text('note-00001').startsWith('Ana apart.')).toBe(true);
    expect(ana.text('note-00200')).toBe(ben.text('note-00200'));
    expect(new Set(again.stats.docsSent)).toEqual(new Set(['note-00001', 'note-00002', 'note-00003', 'note-00101', 'note-00102', 'note-00103', 'note-00200']));
    expect(again.stats.bytes).toBeLessThan(20_000);
  });

  it('pulls the notes a member is looking at before the rest', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    for (let i = 0; i < 300; i++) ana.note(`note-${String(i).padStart(5, '0')}`, `Note ${i}`);
    connect(ana, ben);
    ben.engine.prioritize(['note-00299']);
    await settle(ana, ben);
    expect(ben.store.applied[0]).toBe(CATALOG_DOC_ID);
    expect(ben.store.applied.indexOf('note-00299')).toBeLessThan(5);
    expect(ben.store.applied.length).toBeGreaterThanOrEqual(301);
    sameDocs(ana, ben);
  });

  it('sends live edits at once, and a member in the middle relays them', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    const cy = replica('cy');
    ana.note('shared-note-1', 'Start.');
    connect(ana, ben);
    connect(ben, cy);
    await settle(ana, ben, cy);
    expect(cy.text('shared-note-1')).toBe('Start.');
    ana.store.doc('shared-note-1').getText('body').insert(6, ' Live from Ana.');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(cy.text('shared-note-1')).toBe('Start. Live from Ana.');
    // Relayed once: Ana's edit did not come back to her as a document to apply.
    expect(ana.store.applied.filter((id) => id === 'shared-note-1')).toHaveLength(0);
  });

  it('holds a note whose catalog entry has not arrived, applies it once it does, and drops one that never comes', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    const link = connect(ana, ben);
    await settle(ana, ben);
    // Ana's body edit travels before the catalog learns of the note: Ben holds it.
    const body = new Y.Doc();
    body.getText('body').insert(0, 'Early body');
    const early = encodeNoteSyncMessage({ kind: 'update', docId: 'early-note-1', update: Y.encodeStateAsUpdate(body) });
    const toBen = [...(ben.engine as unknown as { links: Map<NoteSyncLink, unknown> }).links.keys()][0]!;
    ben.engine.receive(toBen, early);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ben.store.docs.has('early-note-1')).toBe(false);
    createEntry(ana.store.catalog, { id: 'early-note-1', title: 'Early', author });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(getEntry(ben.store.catalog, 'early-note-1')).toBeDefined();
    expect(ben.text('early-note-1')).toBe('Early body');

    const stray = encodeNoteSyncMessage({ kind: 'update', docId: 'never-listed-1', update: Y.encodeStateAsUpdate(body) });
    ben.engine.receive(toBen, stray);
    await new Promise((resolve) => setTimeout(resolve, 250));
    ben.engine.recheckHeld();
    expect(ben.store.docs.has('never-listed-1')).toBe(false);
    expect(ben.warnings.some((w) => w.includes('does not list: never-listed-1'))).toBe(true);
    link.cut();
  });

  it('refuses malformed, oversized and unknown messages with a warning and keeps syncing', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    connect(ana, ben);
    await settle(ana, ben);
    const toBen = [...(ben.engine as unknown as { links: Map<NoteSyncLink, unknown> }).links.keys()][0]!;
    const bad = [
      new Uint8Array([NOTE_SYNC_MESSAGE, 99]), // unknown kind
      new Uint8Array([NOTE_SYNC_MESSAGE, 0, 1, 2, 3]), // a manifest cut short
      new Uint8Array([NOTE_SYNC_MESSAGE, 2, 0xff, 0xff, 0xff, 0x0f]), // a pull of 33 million documents
      encodeNoteSyncMessage({ kind: 'docs', updates: [{ docId: CATALOG_DOC_ID, update: new Uint8Array([1, 2, 3, 4, 5]) }] }), // not a Yjs update
      new Uint8Array([NOTE_SYNC_MESSAGE, 4, 3, 0x2e, 0x2e, 0x2f, 1, 0]), // a document id that is a path
    ];
    for (const message of bad) ben.engine.receive(toBen, message);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ben.warnings.length).toBeGreaterThanOrEqual(4);
    expect(ben.warnings.join('\n')).toMatch(/unknown message kind 99/);
    expect(ben.warnings.join('\n')).toMatch(/over the limit/);
    // Still in sync afterwards.
    ana.note('after-bad-msgs', 'Fine.');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ben.text('after-bad-msgs')).toBe('Fine.');
  });

  it('asks again for documents when its own store failed to prepare the request once', async () => {
    const ana = replica('ana');
    const ben = replica('ben');
    for (let i = 0; i < 20; i++) ana.note(`note-retry-${String(i).padStart(3, '0')}`, `Retry ${i}`);
    const real = ben.store.stateVectors.bind(ben.store);
    let failures = 2;
    ben.store.stateVectors = async (ids) => {
      if (failures-- > 0) throw new Error('the host is briefly away');
      return real(ids);
    };
    connect(ana, ben);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await settle(ana, ben);
    sameDocs(ana, ben);
    expect(ben.warnings.filter((w) => w.includes('trying again'))).toHaveLength(2);
  });

  it('gives up a peer that stops answering while it is waited on, and not one that answers or is idle', async () => {
    const stallMs = 150;
    const ana = replica('ana', { stallMs });
    const ben = replica('ben', { stallMs });
    const stalled = { ana: [] as NoteSyncLink[], ben: [] as NoteSyncLink[] };
    ana.engine.on('stalled', (link) => stalled.ana.push(link));
    ben.engine.on('stalled', (link) => stalled.ben.push(link));
    for (let i = 0; i < 5; i++) ana.note(`note-stall-${i}0`, `Stall ${i}`);
    const link = connect(ana, ben);
    await settle(ana, ben);
    // Idle for longer than stallMs, then a round that is answered: nothing is given up.
    await new Promise((resolve) => setTimeout(resolve, stallMs * 3));
    ana.engine.resync();
    await settle(ana, ben);
    await new Promise((resolve) => setTimeout(resolve, stallMs * 2));
    expect(stalled).toEqual({ ana: [], ben: [] });
    // The connection dies without a word; Ana asks Ben and waits, Ben waits on nothing.
    link.silence();
    ana.engine.resync();
    await new Promise((resolve) => setTimeout(resolve, stallMs * 3));
    expect(stalled.ana).toEqual([link.aToB]);
    expect(stalled.ben).toEqual([]);
    expect(ana.warnings.filter((w) => w.includes('sent nothing'))).toHaveLength(1);
    expect(ana.engine.status().syncing).toBe(true);
  });
});
