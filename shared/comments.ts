/**
 * Discussion in the margins: a note's comment threads live in the note's own document (a Y.Map
 * `comments`, beside the body), so they sync, merge and persist with the note, offline included. A
 * thread anchors to a passage through a mark in the body with the thread's id; when the passage is
 * deleted the thread stays, detached. Comments are appended to a thread's Y.Array, so replies two
 * members post at once both survive; resolving is a field, the last writer wins. Pure: no DOM.
 */
import * as Y from 'yjs';

export const COMMENTS_MAP = 'comments';
/** Longest comment, in characters (the UI says so). */
export const MAX_COMMENT_CHARS = 4000;
/** Longest quote of the commented passage kept with a thread. */
const MAX_QUOTE_CHARS = 500;

export interface CommentAuthor {
  /** Member id. */
  id: string;
  name: string;
  /** `#rrggbb`. */
  color: string;
}

export interface NoteComment {
  id: string;
  author: CommentAuthor;
  at: number;
  /** Plain text: links are shown as links, nothing else is markup. */
  text: string;
}

export interface CommentThread {
  id: string;
  /** The passage as it was when the thread began. */
  quote: string;
  at: number;
  comments: NoteComment[];
  resolved: boolean;
  resolvedBy: CommentAuthor | null;
  resolvedAt: number | null;
}

export class CommentError extends Error {
  override name = 'CommentError';
}

const COLOR = /^#[0-9a-f]{6}$/i;

/** Checks a comment's text and its author before it goes into a note; throws a CommentError saying what is wrong. */
export function checkComment(text: string, author: CommentAuthor): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new CommentError('A comment needs some text.');
  if (trimmed.length > MAX_COMMENT_CHARS) throw new CommentError(`A comment can be at most ${MAX_COMMENT_CHARS} characters long.`);
  if (!author.id || author.id.length > 64 || author.name.length > 200 || !COLOR.test(author.color)) throw new CommentError('The comment has no valid author.');
  return trimmed;
}

function threadsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(COMMENTS_MAP);
}

/** Starts a thread on a passage with its first comment. */
export function addThread(doc: Y.Doc, thread: { id: string; quote: string; comment: NoteComment }): void {
  const text = checkComment(thread.comment.text, thread.comment.author);
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    map.set('quote', thread.quote.slice(0, MAX_QUOTE_CHARS));
    map.set('at', thread.comment.at);
    map.set('resolved', false);
    const comments = new Y.Array<unknown>();
    comments.push([{ ...thread.comment, text }]);
    map.set('comments', comments);
    threadsMap(doc).set(thread.id, map);
  });
}

/** Adds a reply; false when there is no such thread. */
export function addReply(doc: Y.Doc, threadId: string, comment: NoteComment): boolean {
  const text = checkComment(comment.text, comment.author);
  const comments = threadsMap(doc).get(threadId)?.get('comments');
  if (!(comments instanceof Y.Array)) return false;
  comments.push([{ ...comment, text }]);
  return true;
}

/** Resolves or reopens a thread; false when there is no such thread. */
export function setResolved(doc: Y.Doc, threadId: string, resolved: boolean, by: CommentAuthor, at: number): boolean {
  const thread = threadsMap(doc).get(threadId);
  if (!thread) return false;
  doc.transact(() => {
    thread.set('resolved', resolved);
    thread.set('resolvedBy', resolved ? by : null);
    thread.set('resolvedAt', resolved ? at : null);
  });
  return true;
}

const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function readAuthor(value: unknown): CommentAuthor | null {
  if (typeof value !== 'object' || value === null) return null;
  const a = value as Record<string, unknown>;
  if (!isString(a.id, 64) || !isString(a.name, 200)) return null;
  // A colour that is not #rrggbb (a peer's crafted value) never reaches a style attribute.
  return { id: a.id, name: a.name, color: isString(a.color, 7) && COLOR.test(a.color) ? a.color : '#888888' };
}

function readComment(value: unknown): NoteComment | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  const author = readAuthor(c.author);
  if (!author || !isString(c.id, 64) || !isTime(c.at) || typeof c.text !== 'string') return null;
  return { id: c.id, author, at: c.at, text: c.text.slice(0, MAX_COMMENT_CHARS) };
}

/**
 * The note's threads, open ones first, then by when they began. Anything a peer sent that does not
 * have the shape of a thread or a comment is left out, never thrown on.
 */
export function readThreads(doc: Y.Doc): CommentThread[] {
  const threads: CommentThread[] = [];
  threadsMap(doc).forEach((map, id) => {
    if (!(map instanceof Y.Map)) return;
    const list = map.get('comments');
    const comments = list instanceof Y.Array ? list.toArray().map(readComment).filter((c): c is NoteComment => c !== null) : [];
    if (comments.length === 0) return;
    const at = map.get('at');
    const resolvedAt = map.get('resolvedAt');
    threads.push({
      id,
      quote: String(map.get('quote') ?? '').slice(0, MAX_QUOTE_CHARS),
      at: isTime(at) ? at : comments[0]!.at,
      comments: comments.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id)),
      resolved: map.get('resolved') === true,
      resolvedBy: map.get('resolved') === true ? readAuthor(map.get('resolvedBy')) : null,
      resolvedAt: map.get('resolved') === true && isTime(resolvedAt) ? resolvedAt : null,
    });
  });
  return threads.sort((a, b) => Number(a.resolved) - Number(b.resolved) || a.at - b.at || a.id.localeCompare(b.id));
}

/** How many comments a note's threads hold, and how many threads are resolved (history counts what a version added). */
export function discussionCounts(doc: Y.Doc): { comments: number; resolved: number } {
  let comments = 0;
  let resolved = 0;
  doc.getMap<unknown>(COMMENTS_MAP).forEach((thread) => {
    if (!(thread instanceof Y.Map)) return;
    const list = thread.get('comments');
    if (list instanceof Y.Array) comments += list.length;
    if (thread.get('resolved') === true) resolved++;
  });
  return { comments, resolved };
}

/** The text of a comment split into plain text and links (http, https, mailto), to show without markup. */
export function commentParts(text: string): Array<{ text: string; href?: string }> {
  const parts: Array<{ text: string; href?: string }> = [];
  const pattern = /\b(?:https?:\/\/|mailto:)[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ text: match[0], href: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
