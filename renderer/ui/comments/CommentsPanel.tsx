/**
 * "Comments": the note's threads beside it, open ones first. A new thread starts from a passage chosen
 * in the editor; each thread shows its passage (or that it was deleted), its comments with names,
 * colours and times, a reply box, and Resolve / Reopen. Text is shown as text, links as links.
 */
import { useState, useSyncExternalStore } from 'react';
import type * as Y from 'yjs';
import { addReply, addThread, COMMENTS_MAP, commentParts, CommentError, MAX_COMMENT_CHARS, readThreads, setResolved, type CommentAuthor, type CommentThread } from '../../../shared/comments';
import { newId } from '../../../shared/ids';
import { errorMessage } from '../../../shared/errors';
import type { CommentDraft } from '../../editor/CommentsPlugin';
import { timeFormat } from '../member-names';

interface ThreadStore {
  subscribe: (onChange: () => void) => () => void;
  snapshot: () => CommentThread[];
}

const stores = new WeakMap<Y.Doc, ThreadStore>();

/** One store per note document: its threads, read again only when they change (typing costs them nothing). */
function threadStore(doc: Y.Doc): ThreadStore {
  let store = stores.get(doc);
  if (!store) {
    let threads: CommentThread[] | null = null;
    const map = doc.getMap(COMMENTS_MAP);
    map.observeDeep(() => (threads = null));
    store = {
      subscribe: (onChange) => {
        map.observeDeep(onChange);
        return () => map.unobserveDeep(onChange);
      },
      snapshot: () => (threads ??= readThreads(doc)),
    };
    stores.set(doc, store);
  }
  return store;
}

/** The note's threads, kept current. */
export function useThreads(doc: Y.Doc): CommentThread[] {
  const store = threadStore(doc);
  return useSyncExternalStore(store.subscribe, store.snapshot);
}

function CommentText({ text }: { text: string }) {
  return (
    <p className="comment-text">
      {commentParts(text).map((part, i) =>
        part.href ? (
          <a key={i} href={part.href} target="_blank" rel="noreferrer noopener">
            {part.text}
          </a>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </p>
  );
}

function Composer({ label, action, onSubmit, onCancel }: { label: string; action: string; onSubmit: (text: string) => void; onCancel?: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="comment-composer"
      onSubmit={(e) => {
        e.preventDefault();
        try {
          onSubmit(text);
          setText('');
          setError(null);
        } catch (err) {
          setError(err instanceof CommentError ? err.message : errorMessage(err));
        }
      }}
    >
      <textarea aria-label={label} rows={2} maxLength={MAX_COMMENT_CHARS} value={text} onChange={(e) => setText(e.target.value)} placeholder={`${label}… (up to ${MAX_COMMENT_CHARS} characters)`} />
      {error && <p role="alert" className="sync-error">{error}</p>}
      <div className="comment-composer-actions">
        <button type="submit" className="primary">
          {action}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

const nowMs = () => Date.now();

function newComment(author: CommentAuthor, text: string) {
  return { id: newId(), author, at: Date.now(), text };
}

export function CommentsPanel({
  doc,
  threads,
  marks,
  draft,
  editable,
  me,
  focused,
  onReveal,
  onDraftDone,
  onClose,
}: {
  doc: Y.Doc;
  threads: CommentThread[];
  /** Threads whose passage is still in the note. */
  marks: ReadonlySet<string>;
  draft: CommentDraft | null;
  editable: boolean;
  me: () => CommentAuthor;
  /** The thread last chosen (in the note or here): shown highlighted and scrolled to. */
  focused: string | null;
  /** Shows a thread's passage in the note. */
  onReveal: (threadId: string) => void;
  onDraftDone: () => void;
  onClose: () => void;
}) {
  const comment = (text: string) => newComment(me(), text);
  const resolve = (t: CommentThread) => setResolved(doc, t.id, !t.resolved, me(), nowMs());
  // Threads where others answered this member come first: that is the conversation waiting for them.
  const self = me().id;
  const repliedToMe = (t: CommentThread) => {
    const mine = t.comments.findIndex((c) => c.author.id === self);
    return mine >= 0 && t.comments.slice(mine + 1).some((c) => c.author.id !== self);
  };
  const open = threads.filter((t) => !t.resolved).sort((a, b) => Number(repliedToMe(b)) - Number(repliedToMe(a)));
  const resolved = threads.filter((t) => t.resolved);
  const thread = (t: CommentThread) => (
    <li
      key={t.id}
      className="comment-thread"
      data-resolved={t.resolved}
      aria-current={focused === t.id ? 'true' : undefined}
      aria-label={`Thread on “${t.quote}”`}
      ref={focused === t.id ? (el) => el?.scrollIntoView({ block: 'nearest' }) : undefined}
    >
      {!t.resolved && repliedToMe(t) && <span className="comment-badge">Replies to you</span>}
      <blockquote className="comment-quote">{t.quote || '(no text)'}</blockquote>
      {!marks.has(t.id) ? (
        <p className="comment-detached muted">The passage was deleted: this thread is detached.</p>
      ) : (
        <button type="button" className="link-button" onClick={() => onReveal(t.id)}>
          Show passage
        </button>
      )}
      <ol className="comment-list">
        {t.comments.map((c) => (
          <li key={c.id}>
            <span className="comment-author">
              <span className="sync-swatch" style={{ background: c.author.color }} aria-hidden="true" />
              {c.author.name || 'A member'}
            </span>{' '}
            <time className="muted" dateTime={new Date(c.at).toISOString()}>
              {timeFormat.format(c.at)}
            </time>
            <CommentText text={c.text} />
          </li>
        ))}
      </ol>
      {t.resolved && t.resolvedBy && (
        <p className="muted comment-resolved">
          Resolved by {t.resolvedBy.name || 'a member'}
          {t.resolvedAt ? ` at ${timeFormat.format(t.resolvedAt)}` : ''}
        </p>
      )}
      {editable && (
        <>
          {!t.resolved && <Composer label="Reply" action="Reply" onSubmit={(text) => void addReply(doc, t.id, comment(text))} />}
          <button type="button" className="link-button" onClick={() => resolve(t)}>
            {t.resolved ? 'Reopen' : 'Resolve'}
          </button>
        </>
      )}
    </li>
  );
  return (
    <section className="comments-panel" aria-label="Comments">
      <div className="history-header">
        <h2>Comments</h2>
        <button type="button" className="link-button" onClick={onClose}>
          Close
        </button>
      </div>
      {draft && (
        <section aria-label="New comment" className="comment-new">
          <blockquote className="comment-quote">{draft.quote}</blockquote>
          <Composer
            label="Comment"
            action="Post"
            onSubmit={(text) => {
              const id = newId();
              addThread(doc, { id, quote: draft.quote, comment: comment(text) });
              draft.anchor(id);
              onDraftDone();
            }}
            onCancel={onDraftDone}
          />
        </section>
      )}
      {threads.length === 0 && !draft && <p className="muted">No comments yet. Select a passage and press Comment (Ctrl+Alt+M) to start a discussion.</p>}
      {open.length > 0 && <ul className="comment-threads" aria-label="Open threads">{open.map(thread)}</ul>}
      {resolved.length > 0 && (
        <details className="comment-resolved-list">
          <summary>Resolved ({resolved.length})</summary>
          <ul className="comment-threads" aria-label="Resolved threads">
            {resolved.map(thread)}
          </ul>
        </details>
      )}
    </section>
  );
}
