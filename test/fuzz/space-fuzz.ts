/**
 * Seeded convergence fuzz for a space: several replicas (each a Y.Doc persisted through a real
 * SpaceStore, with headless Lexical editors bound by bindNoteBody) type, delete, format and manage
 * notes while a simulated network partitions, heals, reorders and duplicates y-protocols sync
 * messages and replicas restart from disk. At the end every replica must hold the same state.
 *
 * Every random choice comes from one lib0 PRNG seeded by `seed`, so a seed replays the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $createHeadingNode, $createQuoteNode, type HeadingTagType } from '@lexical/rich-text';
import { $insertList, $removeList, type ListType } from '@lexical/list';
import { $convertToMarkdownString } from '@lexical/markdown';
import { $setBlocksType } from '@lexical/selection';
import {
  $createParagraphNode,
  $createRangeSelection,
  $getRoot,
  $getSelection,
  $isRangeSelection,
  $setSelection,
  type TextFormatType,
  type TextNode,
} from 'lexical';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as prng from 'lib0/prng';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { SpaceStore } from '../../main/services/durable-store';
import { COMMONPLACE_TRANSFORMERS } from '../../shared/markdown-transformers';
import { bindNoteBody, readNoteMarkdown, type NoteBodyBinding } from '../../shared/note-body';
import {
  addTag,
  createNote,
  deleteNoteForever,
  getNote,
  initSpace,
  listNotes,
  noteState,
  noteTags,
  removeTag,
  renameNote,
  restoreNote,
  spaceNotes,
  trashNote,
  type AuthorRef,
} from '../../shared/space-model';

export interface FuzzOptions {
  /** Number of replicas (3 to 5 by default, chosen by the seed). */
  replicas?: number;
  /** Random steps before the final heal (chosen by the seed when absent). */
  steps?: number;
  /**
   * Also require every live (bound) editor to show exactly what its body holds. Off by default:
   * @lexical/yjs 0.52's V1 sync loses text in a live editor on some remote changes (seeds pinned in
   * the test file); the Yjs state itself still converges.
   */
  checkLiveEditors?: boolean;
  /** After every step, compare each live editor with its body read afresh (slow; to find where a seed goes wrong). */
  checkEveryStep?: boolean;
  /** Print each step (for replaying a failing seed). */
  trace?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  replicas: number;
  steps: number;
  notes: number;
  messages: number;
  restarts: number;
}

const SPACE_ID = 'fuzzspace01';
const NET = Symbol('network');
const PERSISTENCE = Symbol('persistence');
const TAGS = ['wound-care', 'triage', 'Ünïcode', 'night shift', '日本語'];
const WORDS = ['the', 'gloves', 'saline', 'ask', 'before', 'you', 'touch', 'wash', 'hands', 'x', ' ', '  ', 'ß', 'é', '😀'];

interface Message {
  from: number;
  to: number;
  data: Uint8Array;
}

class Replica {
  doc!: Y.Doc;
  store!: SpaceStore;
  readonly editors = new Map<string, NoteBodyBinding>();
  readonly author: AuthorRef;
  running = false;
  private offUpdate: () => void = () => {};

  constructor(
    readonly index: number,
    readonly dir: string,
    private readonly broadcast: (from: number, update: Uint8Array) => void,
  ) {
    this.author = { id: `author-${index}`, name: `Member ${index}` };
  }

  /** Loads (or creates) the replica from its store on disk, as an app start would. */
  async start(clientID: number): Promise<void> {
    this.store = await SpaceStore.open(SPACE_ID, this.dir, { compactAfterBytes: 6 * 1024 });
    this.doc = new Y.Doc();
    this.doc.clientID = clientID;
    Y.applyUpdate(this.doc, Y.encodeStateAsUpdate(this.store.doc), PERSISTENCE);
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === PERSISTENCE) return;
      void this.store.append(update);
      if (origin !== NET) this.broadcast(this.index, update);
    };
    this.doc.on('update', onUpdate);
    this.offUpdate = () => this.doc.off('update', onUpdate);
    this.running = true;
  }

  /** Shuts down cleanly (everything written reaches the disk), dropping editors and memory. */
  async stop(): Promise<void> {
    this.running = false;
    for (const binding of this.editors.values()) binding.dispose();
    this.editors.clear();
    this.offUpdate();
    await this.store.flush();
    await this.store.close();
    this.doc.destroy();
  }

  editor(noteId: string): NoteBodyBinding {
    let binding = this.editors.get(noteId);
    if (!binding) {
      binding = this.bind(noteId);
      this.editors.set(noteId, binding);
    }
    return binding;
  }

  /** Binds as the app does: an editor a remote change left out of step is bound again from its body. */
  private bind(noteId: string): NoteBodyBinding {
    const binding: NoteBodyBinding = bindNoteBody(this.doc, noteId, {
      onDesync: () =>
        queueMicrotask(() => {
          if (this.editors.get(noteId) !== binding) return;
          binding.dispose();
          this.editors.set(noteId, this.bind(noteId));
        }),
    });
    return binding;
  }

  noteIds(): string[] {
    return [...spaceNotes(this.doc).keys()].filter((id) => getNote(this.doc, id)).sort();
  }
}

/** Lets Lexical commit the updates it scheduled for remote changes (as a browser does between events). */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function $textNodes(): TextNode[] {
  return $getRoot().getAllTextNodes();
}

function randomText(gen: prng.PRNG): string {
  const parts: string[] = [];
  const count = prng.int32(gen, 1, 3);
  for (let i = 0; i < count; i++) parts.push(prng.bool(gen) ? prng.oneOf(gen, WORDS) : prng.word(gen, 1, 6));
  return parts.join(prng.bool(gen) ? ' ' : '');
}

/** A random point in a random text node, or null in an empty body. */
function $randomPoint(gen: prng.PRNG): { node: TextNode; offset: number } | null {
  const nodes = $textNodes();
  if (nodes.length === 0) return null;
  const node = prng.oneOf(gen, nodes);
  const text = node.getTextContent();
  let offset = prng.int32(gen, 0, text.length);
  // A caret never sits inside a surrogate pair (Yjs would store each half as U+FFFD).
  if (offset > 0 && offset < text.length && /[\ud800-\udbff]/.test(text[offset - 1]!)) offset--;
  return { node, offset };
}

/** Selects a random range (possibly across blocks), or a caret; false when the body has no text. */
function $selectRandomRange(gen: prng.PRNG, collapsed = false): boolean {
  const a = $randomPoint(gen);
  if (!a) return false;
  const b = collapsed ? a : ($randomPoint(gen) ?? a);
  const selection = $createRangeSelection();
  selection.anchor.set(a.node.getKey(), a.offset, 'text');
  selection.focus.set(b.node.getKey(), b.offset, 'text');
  $setSelection(selection);
  return true;
}

/** Puts the caret somewhere typing can happen, creating the first paragraph of an empty body. */
function $caret(gen: prng.PRNG): void {
  if ($selectRandomRange(gen, true)) return;
  const root = $getRoot();
  if (root.getChildrenSize() === 0) root.append($createParagraphNode());
  root.selectEnd();
}

type EditKind = 'type' | 'enter' | 'linebreak' | 'delete' | 'backspace' | 'format' | 'block' | 'list';

function $edit(gen: prng.PRNG, kind: EditKind): string {
  switch (kind) {
    case 'type': {
      $caret(gen);
      const text = randomText(gen);
      ($getSelection() as ReturnType<typeof $createRangeSelection>).insertText(text);
      return `type ${JSON.stringify(text)}`;
    }
    case 'enter':
      $caret(gen);
      ($getSelection() as ReturnType<typeof $createRangeSelection>).insertParagraph();
      return 'enter';
    case 'linebreak':
      $caret(gen);
      ($getSelection() as ReturnType<typeof $createRangeSelection>).insertLineBreak();
      return 'linebreak';
    case 'delete': {
      if (!$selectRandomRange(gen)) return 'delete (empty)';
      const selection = $getSelection();
      if ($isRangeSelection(selection)) selection.removeText();
      return 'delete range';
    }
    case 'backspace': {
      // deleteCharacter needs a DOM window; a backspace is a one-character (or block-joining) removal.
      const point = $randomPoint(gen);
      if (!point) return 'backspace (empty)';
      const nodes = $textNodes();
      const previous = nodes[nodes.indexOf(point.node) - 1];
      const selection = $createRangeSelection();
      if (point.offset > 0) selection.anchor.set(point.node.getKey(), point.offset - 1, 'text');
      else if (previous) selection.anchor.set(previous.getKey(), previous.getTextContentSize(), 'text');
      else return 'backspace (at start)';
      selection.focus.set(point.node.getKey(), point.offset, 'text');
      $setSelection(selection);
      selection.removeText();
      return point.offset > 0 ? 'backspace' : 'backspace joining blocks';
    }
    case 'format': {
      if (!$selectRandomRange(gen)) return 'format (empty)';
      const format = prng.oneOf<TextFormatType>(gen, ['bold', 'italic', 'code', 'strikethrough']);
      const selection = $getSelection();
      if ($isRangeSelection(selection)) selection.formatText(format);
      return `format ${format}`;
    }
    case 'block': {
      $caret(gen);
      const choice = prng.oneOf(gen, ['h1', 'h2', 'h3', 'quote', 'paragraph'] as const);
      const selection = $getSelection();
      $setBlocksType(selection, () =>
        choice === 'paragraph' ? $createParagraphNode() : choice === 'quote' ? $createQuoteNode() : $createHeadingNode(choice as HeadingTagType),
      );
      return `block ${choice}`;
    }
    case 'list': {
      $caret(gen);
      if (prng.int32(gen, 0, 3) === 0) {
        $removeList();
        return 'remove list';
      }
      const type = prng.oneOf<ListType>(gen, ['bullet', 'number', 'check']);
      $insertList(type);
      return `list ${type}`;
    }
  }
}

/** Everything a replica shows of the space, in a canonical form, for comparison. */
export function spaceFingerprint(live: Y.Doc): { notes: unknown; markdown: Record<string, string>; exported: string } {
  // Read a copy: binding a second editor to a body with a live binding would disturb that binding.
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(live));
  const ids = [...spaceNotes(doc).keys()].filter((id) => getNote(doc, id)).sort();
  const markdown: Record<string, string> = {};
  for (const id of ids) markdown[id] = readNoteMarkdown(doc, id);
  const notes = {
    active: listNotes(doc, { sort: 'title' }),
    trashed: listNotes(doc, { state: 'trashed', sort: 'title' }),
    deleted: listNotes(doc, { state: 'deleted', sort: 'title' }),
    raw: canonical(spaceNotes(doc).toJSON()),
  };
  // What an export of the active notes writes, one file after another.
  const exported = listNotes(doc, { sort: 'title' })
    .map((n) => `--- ${n.id}\n# ${n.title}\ntags: ${n.tags.join(', ')}\n\n${markdown[n.id]}\n`)
    .join('');
  return { notes, markdown, exported };
}

export class ConvergenceError extends Error {
  constructor(
    readonly seed: number,
    detail: string,
  ) {
    super(`convergence fuzz failed for seed ${seed}: ${detail}\n  replay: FUZZ_SEED=${seed} npx vitest run --project unit test/unit/convergence-fuzz.test.ts`);
    this.name = 'ConvergenceError';
  }
}

/** Runs one seeded scenario and throws ConvergenceError if the replicas end up different. */
export async function runSpaceFuzz(seed: number, options: FuzzOptions = {}): Promise<FuzzReport> {
  const gen = prng.create(seed);
  const replicaCount = options.replicas ?? prng.int32(gen, 3, 5);
  const steps = options.steps ?? prng.int32(gen, 150, 300);
  const trace = options.trace ?? (() => {});
  const root = await mkdtemp(join(tmpdir(), 'commonplace-fuzz-'));
  const usedClients = new Set<number>();
  const newClientId = () => {
    let id = prng.uint32(gen, 1, 0x7fffffff);
    while (usedClients.has(id)) id = prng.uint32(gen, 1, 0x7fffffff);
    usedClients.add(id);
    return id;
  };
  let queue: Message[] = [];
  let messages = 0;
  let restarts = 0;
  let clock = 1_700_000_000_000;
  // links[a][b]: whether a and b are connected (symmetric).
  const links: boolean[][] = Array.from({ length: replicaCount }, () => Array.from({ length: replicaCount }, () => true));
  const send = (from: number, to: number, data: Uint8Array) => {
    if (from !== to && links[from]![to]) queue.push({ from, to, data });
  };
  const broadcast = (from: number, update: Uint8Array) => {
    const encoder = encoding.createEncoder();
    syncProtocol.writeUpdate(encoder, update);
    const data = encoding.toUint8Array(encoder);
    for (let to = 0; to < replicaCount; to++) send(from, to, data);
  };
  const replicas = Array.from({ length: replicaCount }, (_, i) => new Replica(i, join(root, `replica-${i}`), broadcast));

  const syncStep1 = (from: number, to: number) => {
    const encoder = encoding.createEncoder();
    syncProtocol.writeSyncStep1(encoder, replicas[from]!.doc);
    send(from, to, encoding.toUint8Array(encoder));
  };
  const setLink = (a: number, b: number, up: boolean) => {
    if (a === b || links[a]![b] === up) return;
    links[a]![b] = links[b]![a] = up;
    if (!up) {
      // A dropped connection loses what was in flight on it.
      queue = queue.filter((m) => !((m.from === a && m.to === b) || (m.from === b && m.to === a)));
    } else {
      syncStep1(a, b);
      syncStep1(b, a);
    }
  };
  const deliver = (index: number, keep: boolean) => {
    const message = queue[index]!;
    if (!keep) queue.splice(index, 1);
    messages++;
    const target = replicas[message.to]!;
    const reply = encoding.createEncoder();
    syncProtocol.readSyncMessage(decoding.createDecoder(message.data), reply, target.doc, NET);
    if (encoding.length(reply) > 0) send(message.to, message.from, encoding.toUint8Array(reply));
  };

  try {
    for (const replica of replicas) await replica.start(newClientId());
    initSpace(replicas[0]!.doc, 'Fuzz space', clock);
    let noteCounter = 0;

    for (let step = 0; step < steps; step++) {
      const r = replicas[prng.int32(gen, 0, replicaCount - 1)]!;
      const roll = prng.int32(gen, 0, 99);
      const ids = r.noteIds();
      const pickNote = () => (ids.length > 0 ? prng.oneOf(gen, ids) : null);
      clock += prng.int32(gen, 1, 5000);
      let line = `#${step} r${r.index} `;
      if (roll < 45) {
        const id = pickNote();
        if (!id || noteState(getNote(r.doc, id)!) === 'deleted') {
          line += 'edit (no note)';
        } else {
          const kind = prng.oneOf<EditKind>(gen, ['type', 'type', 'type', 'enter', 'linebreak', 'delete', 'backspace', 'format', 'block', 'list']);
          const { editor } = r.editor(id);
          let what = '';
          editor.update(() => (what = $edit(gen, kind)), { discrete: true });
          line += `${what} in ${id}`;
        }
      } else if (roll < 55) {
        const id = `note-${seed}-${noteCounter++}`;
        createNote(r.doc, { id, title: prng.bool(gen) ? randomText(gen) : '', author: r.author, now: clock });
        // The creating device writes the first paragraph, once.
        r.editor(id).editor.update(() => $getRoot().append($createParagraphNode()), { discrete: true });
        line += `create ${id}`;
      } else if (roll < 70) {
        const id = pickNote();
        const note = id ? getNote(r.doc, id) : undefined;
        if (!id || !note) {
          line += 'meta (no note)';
        } else {
          const op = prng.int32(gen, 0, 6);
          if (op === 0) {
            const title = randomText(gen);
            renameNote(note, title, r.author);
            line += `rename ${id} ${JSON.stringify(title)}`;
          } else if (op === 1 || op === 2) {
            const tag = prng.oneOf(gen, TAGS);
            if (op === 1) addTag(note, tag);
            else removeTag(note, prng.oneOf(gen, [...noteTags(note), tag]));
            line += `${op === 1 ? 'tag' : 'untag'} ${id} ${tag}`;
          } else if (op === 3) {
            trashNote(note, clock);
            line += `trash ${id}`;
          } else if (op === 4) {
            restoreNote(note);
            line += `restore ${id}`;
          } else {
            // Only what the UI offers: delete forever from the trash.
            if (noteState(note) === 'trashed') deleteNoteForever(note, clock);
            line += `delete-forever ${id} (${noteState(note)})`;
          }
        }
      } else if (roll < 88) {
        const burst = prng.int32(gen, 1, 6);
        for (let i = 0; i < burst && queue.length > 0; i++) {
          const keep = prng.int32(gen, 0, 9) === 0; // duplicated: delivered now and again later
          deliver(prng.int32(gen, 0, queue.length - 1), keep);
        }
        line += `deliver ${burst} (queue ${queue.length})`;
      } else if (roll < 95) {
        const a = prng.int32(gen, 0, replicaCount - 1);
        const b = prng.int32(gen, 0, replicaCount - 1);
        const up = prng.bool(gen);
        setLink(a, b, up);
        line = `#${step} link ${a}-${b} ${up ? 'up' : 'down'}`;
      } else if (roll < 98) {
        // Switch notes: the editor remounts on a body that changed while it was away.
        const id = pickNote();
        if (id) {
          r.editors.get(id)?.dispose();
          r.editors.delete(id);
          r.editor(id);
        }
        line += `remount ${id}`;
      } else {
        for (let other = 0; other < replicaCount; other++) setLink(r.index, other, false);
        await r.stop();
        await r.start(newClientId());
        for (let other = 0; other < replicaCount; other++) setLink(r.index, other, prng.int32(gen, 0, 3) !== 0);
        restarts++;
        line += 'restart from disk';
      }
      trace(line);
      await tick();
      if (options.checkEveryStep && options.checkLiveEditors) for (const replica of replicas) checkLiveEditors(seed, replica, `after step ${step}`);
    }

    // Heal: connect everyone, deliver every message once, until nothing is left.
    for (let a = 0; a < replicaCount; a++) for (let b = a + 1; b < replicaCount; b++) setLink(a, b, true);
    for (let guard = 0; queue.length > 0; guard++) {
      if (guard > 1_000_000) throw new ConvergenceError(seed, 'messages never stop');
      deliver(prng.int32(gen, 0, queue.length - 1), false);
      if (queue.length === 0) await tick();
    }
    await tick();

    // Compare: state vectors, notes, Markdown, export, live editors, a replica rebuilt from disk.
    const first = replicas[0]!;
    const expectedVector = Y.encodeStateVector(first.doc);
    const expected = spaceFingerprint(first.doc);
    for (const replica of replicas) {
      const where = `replica ${replica.index}`;
      if (!equalBytes(Y.encodeStateVector(replica.doc), expectedVector)) throw new ConvergenceError(seed, `${where}: state vector differs`);
      if (replica.doc.store.pendingStructs !== null) throw new ConvergenceError(seed, `${where}: has pending structs`);
      const got = spaceFingerprint(replica.doc);
      compare(seed, `${where}: notes`, got.notes, expected.notes);
      compare(seed, `${where}: markdown`, got.markdown, expected.markdown);
      if (got.exported !== expected.exported) throw new ConvergenceError(seed, `${where}: exported Markdown differs`);
      if (options.checkLiveEditors) checkLiveEditors(seed, replica, where, expected.markdown);
    }
    for (const replica of replicas) await replica.stop();
    for (const replica of replicas) {
      await replica.start(newClientId());
      const got = spaceFingerprint(replica.doc);
      compare(seed, `replica ${replica.index} reloaded from disk`, got.markdown, expected.markdown);
      compare(seed, `replica ${replica.index} reloaded from disk: notes`, got.notes, expected.notes);
      await replica.stop();
    }
    return { seed, replicas: replicaCount, steps, notes: Object.keys(expected.markdown).length, messages, restarts };
  } catch (error) {
    if (error instanceof ConvergenceError) throw error;
    throw new ConvergenceError(seed, `threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    for (const replica of replicas) {
      if (replica.running) await replica.stop().catch(() => {});
    }
    await rm(root, { recursive: true, force: true });
  }
}

/** Every editor bound on a replica shows what its body holds. */
function checkLiveEditors(seed: number, replica: Replica, where: string, markdown = spaceFingerprint(replica.doc).markdown): void {
  for (const [id, binding] of replica.editors) {
    const live = binding.editor.getEditorState().read(() => $convertToMarkdownString(COMMONPLACE_TRANSFORMERS));
    if (live !== markdown[id]) {
      throw new ConvergenceError(seed, `replica ${replica.index} ${where}: live editor of ${id} shows\n${JSON.stringify(live)}\nbut its body holds\n${JSON.stringify(markdown[id])}`);
    }
  }
}

/** JSON with sorted keys (Y.Map key order depends on arrival order), bodies left to the Markdown check. */
function canonical(value: unknown, key = ''): unknown {
  if (key === 'body') return null;
  if (Array.isArray(value)) return value.map((v) => canonical(v));
  if (value instanceof Uint8Array) return [...value];
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).sort().map((k) => [k, canonical(record[k], k)]));
  }
  return value;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function compare(seed: number, what: string, got: unknown, expected: unknown): void {
  const a = JSON.stringify(got);
  const b = JSON.stringify(expected);
  if (a === b) return;
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  throw new ConvergenceError(seed, `${what} differ at char ${at}:\n  got      …${a.slice(Math.max(0, at - 80), at + 80)}\n  expected …${b.slice(Math.max(0, at - 80), at + 80)}`);
}
