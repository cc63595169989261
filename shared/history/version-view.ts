/**
 * A version of a note as the History panel shows it: the body's blocks at one point, with what was
 * added since an earlier point and what was removed, read straight from the Yjs items (so nothing has
 * to be rendered twice and compared). The document must keep deleted content (`gc: false`), as the
 * scratch documents history replays into do.
 */
import * as Y from 'yjs';
import { rangeCuts, rangesHave } from './delete-set';
import type { DocPoint } from './version-update';

export type Change = 'added' | 'removed';

export interface VersionRun {
  text: string;
  change?: Change;
  /** Member id of whoever added (or removed) this text, when known. */
  by?: string;
  /** Lexical's text format bits (bold 1, italic 2, strikethrough 4, underline 8, code 16…). */
  format?: number;
  /** A link to another note: its id. */
  noteId?: string;
}

export interface VersionBlock {
  /** Lexical's node type: paragraph, heading, quote, code, list, listitem… */
  type: string;
  tag?: string;
  listType?: string;
  checked?: boolean;
  change?: Change;
  by?: string;
  runs: VersionRun[];
  children: VersionBlock[];
}

export interface VersionView {
  blocks: VersionBlock[];
  wordsAdded: number;
  wordsRemoved: number;
}

export interface Attribution {
  /** Who wrote with a client id. */
  clientMember(client: number): string | undefined;
  /** Who deleted an item, when known. */
  deletedBy(client: number, clock: number): string | undefined;
}

const NO_ATTRIBUTION: Attribution = { clientMember: () => undefined, deletedBy: () => undefined };

function visible(point: DocPoint, client: number, clock: number): boolean {
  return clock < (point.stateVector.get(client) ?? 0) && !rangesHave(point.deleted, client, clock);
}

/** A Yjs snapshot built from a point, for reading map values (block attributes) as they were. */
function snapshotOf(point: DocPoint): Y.Snapshot {
  const ds = Y.createDeleteSet();
  for (const [client, ranges] of point.deleted) ds.clients.set(client, ranges.map(([clock, len]) => ({ clock, len })) as never);
  return Y.createSnapshot(ds, point.stateVector);
}

function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}

class ViewBuilder {
  wordsAdded = 0;
  wordsRemoved = 0;
  private readonly snapshot: Y.Snapshot;
  private readonly previousSnapshot: Y.Snapshot;

  constructor(
    private readonly current: DocPoint,
    private readonly previous: DocPoint,
    private readonly attribution: Attribution,
  ) {
    this.snapshot = snapshotOf(current);
    this.previousSnapshot = snapshotOf(previous);
  }

  private stateOf(client: number, clock: number): { shown: boolean; change?: Change } {
    const now = visible(this.current, client, clock);
    const before = visible(this.previous, client, clock);
    if (now && before) return { shown: true };
    if (now) return { shown: true, change: 'added' };
    if (before) return { shown: true, change: 'removed' };
    return { shown: false };
  }

  private by(change: Change | undefined, client: number, clock: number): string | undefined {
    if (change === 'added') return this.attribution.clientMember(client);
    if (change === 'removed') return this.attribution.deletedBy(client, clock);
    return undefined;
  }

  private attribute(type: Y.XmlText, key: string, change: Change | undefined): unknown {
    // A removed block shows as it was; any other as it is in the version shown.
    return Y.typeMapGetSnapshot(type, key, change === 'removed' ? this.previousSnapshot : this.snapshot);
  }

  block(type: Y.XmlText, change?: Change, by?: string): VersionBlock {
    const kind = this.attribute(type, '__type', change);
    const block: VersionBlock = { type: typeof kind === 'string' ? kind : 'paragraph', runs: [], children: [] };
    const tag = this.attribute(type, '__tag', change);
    if (typeof tag === 'string') block.tag = tag;
    const listType = this.attribute(type, '__listType', change);
    if (typeof listType === 'string') block.listType = listType;
    const checked = this.attribute(type, '__checked', change);
    if (typeof checked === 'boolean') block.checked = checked;
    if (change) block.change = change;
    if (by) block.by = by;
    this.fill(type, block);
    return block;
  }

  /** Reads an element's items: text runs, inline decorators and nested blocks. */
  fill(type: Y.XmlText, block: VersionBlock): void {
    let format = 0;
    for (let item = type._start; item !== null; item = item.right) {
      const { client, clock } = item.id;
      const content = item.content;
      if (content instanceof Y.ContentString) {
        const cuts = new Set<number>([
          ...rangeCuts(this.current.deleted, client, clock, clock + item.length),
          ...rangeCuts(this.previous.deleted, client, clock, clock + item.length),
        ]);
        for (const sv of [this.current.stateVector.get(client), this.previous.stateVector.get(client)]) {
          if (sv !== undefined && sv > clock && sv < clock + item.length) cuts.add(sv);
        }
        const points = [clock, ...[...cuts].sort((a, b) => a - b), clock + item.length];
        for (let i = 0; i + 1 < points.length; i++) {
          const from = points[i]!;
          const { shown, change } = this.stateOf(client, from);
          if (!shown) continue;
          const text = content.str.slice(from - clock, points[i + 1]! - clock);
          this.addRun(block, { text, change, by: this.by(change, client, from), format });
        }
        continue;
      }
      const { shown, change } = this.stateOf(client, clock);
      if (!(content instanceof Y.ContentType)) continue;
      const inner = content.type;
      if (inner instanceof Y.Map) {
        // The properties of the text run that follows (Lexical's layout), or a line break.
        const props = inner as Y.Map<unknown>;
        const f = props.get('__format');
        format = typeof f === 'number' ? f : 0;
        if (shown && props.get('__type') === 'linebreak') this.addRun(block, { text: '\n', change, by: this.by(change, client, clock) });
      } else if (!shown) continue;
      else if (inner instanceof Y.XmlText) block.children.push(this.block(inner, change, this.by(change, client, clock)));
      else if (inner instanceof Y.XmlElement) {
        const kind = inner.getAttribute('__type');
        if (kind === 'note-link') {
          const title = inner.getAttribute('__title');
          const noteId = inner.getAttribute('__noteId');
          this.addRun(block, { text: typeof title === 'string' ? title : '', change, by: this.by(change, client, clock), noteId: typeof noteId === 'string' ? noteId : undefined });
        } else if (kind === 'horizontalrule') block.children.push({ type: 'horizontalrule', runs: [], children: [], ...(change ? { change } : {}) });
      }
    }
  }

  private addRun(block: VersionBlock, run: VersionRun): void {
    if (run.change === 'added') this.wordsAdded += countWords(run.text);
    else if (run.change === 'removed') this.wordsRemoved += countWords(run.text);
    const last = block.runs[block.runs.length - 1];
    if (last && last.change === run.change && last.by === run.by && (last.format ?? 0) === (run.format ?? 0) && !last.noteId && !run.noteId) {
      last.text += run.text;
      return;
    }
    const clean: VersionRun = { text: run.text };
    if (run.change) clean.change = run.change;
    if (run.by) clean.by = run.by;
    if (run.format) clean.format = run.format;
    if (run.noteId) clean.noteId = run.noteId;
    block.runs.push(clean);
  }
}

/**
 * The body `root` at `current`, with what was added since `previous` and what was removed. Pass the
 * same point twice for a plain view.
 */
export function viewVersion(root: Y.XmlText, current: DocPoint, previous: DocPoint, attribution: Attribution = NO_ATTRIBUTION): VersionView {
  const builder = new ViewBuilder(current, previous, attribution);
  const top: VersionBlock = { type: 'root', runs: [], children: [] };
  builder.fill(root, top);
  return { blocks: top.children, wordsAdded: builder.wordsAdded, wordsRemoved: builder.wordsRemoved };
}

/** A view's text, one line per block, as of the version shown or the one before it (for summaries, tests and the CLI). */
export function viewText(view: VersionView, side: 'current' | 'previous' = 'current'): string {
  const hidden: Change = side === 'current' ? 'removed' : 'added';
  const lines: string[] = [];
  const walk = (blocks: VersionBlock[]) => {
    for (const block of blocks) {
      if (block.change === hidden) continue;
      if (block.type !== 'list') lines.push(block.runs.filter((run) => run.change !== hidden).map((run) => run.text).join(''));
      walk(block.children);
    }
  };
  walk(view.blocks);
  return lines.join('\n');
}
