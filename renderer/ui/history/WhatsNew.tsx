/**
 * What changed in the space since this member last looked, by note or by member; each entry opens its
 * note. And, on an open note, what others changed in it since (with the changes highlighted).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { EntryChange, NoteNews } from '../../../shared/history/history-types';
import { entryTitle, getEntry } from '../../../shared/catalog';
import type { SpaceSession } from '../../spaces/space-session';
import { Dialog } from '../Dialog';
import { listNames, memberColor, memberLabel, timeFormat } from '../member-names';
import { VersionContent } from './VersionContent';
import { useShownVersion } from './VersionPane';

const ENTRY_CHANGES: Record<EntryChange, string> = {
  created: 'created',
  renamed: 'renamed',
  trashed: 'moved to the trash',
  restored: 'restored from the trash',
  deleted: 'deleted forever',
  tags: 'retagged',
};

interface NewsLine {
  noteId: string;
  title: string;
  members: string[];
  at: number;
  text: string;
}

/** One line per note, saying who did what and when. */
function linesOf(session: SpaceSession, notes: NoteNews[], name: (id: string) => string): NewsLine[] {
  return notes
    .map((news) => {
      const entry = getEntry(session.catalog, news.noteId);
      const added = news.versions.reduce((sum, v) => sum + v.wordsAdded, 0);
      const removed = news.versions.reduce((sum, v) => sum + v.wordsRemoved, 0);
      const members = [...new Set([...news.versions.flatMap((v) => v.authors), ...news.entries.flatMap((e) => e.authors)])];
      const parts: string[] = [];
      const comments = news.versions.reduce((sum, v) => sum + (v.comments ?? 0), 0);
      const edited = news.versions.filter((v) => v.wordsAdded || v.wordsRemoved || !v.comments);
      if (edited.length > 0) parts.push(`edited by ${listNames(edited.flatMap((v) => v.authors).map(name))} (+${added} −${removed} words)`);
      const commenters = news.versions.filter((v) => v.comments);
      if (comments > 0) parts.push(`${comments} new comment${comments === 1 ? '' : 's'} by ${listNames(commenters.flatMap((v) => v.authors).map(name))}`);
      if (news.versions.length === 0 && news.pending) parts.push('changed by others just now');
      for (const change of news.entries) parts.push(`${ENTRY_CHANGES[change.change]} by ${listNames(change.authors.map(name))}`);
      const at = Math.max(0, ...news.versions.map((v) => v.at), ...news.entries.map((e) => e.at));
      return { noteId: news.noteId, title: entry ? entryTitle(entry) : '', members, at, text: parts.join('; ') };
    })
    .sort((a, b) => b.at - a.at);
}

export function WhatsNewDialog({ session, selfId, onOpenNote, onClose }: { session: SpaceSession; selfId: string; onOpenNote: (noteId: string) => void; onClose: () => void }) {
  const view = useSyncExternalStore(session.news.subscribe, session.news.getView);
  // What peers sent just now is listed too: it becomes a version first.
  useEffect(() => void session.news.refresh(true), [session]);
  const [grouping, setGrouping] = useState<'note' | 'member'>('note');
  const name = (id: string) => memberLabel(session.catalog, id, selfId);
  const lines = linesOf(session, view.notes, name);
  const members = [...new Set(lines.flatMap((l) => l.members))];
  const open = (noteId: string) => {
    onOpenNote(noteId);
    onClose();
  };
  const line = (l: NewsLine) => (
    <li key={l.noteId}>
      <button type="button" className="news-row" onClick={() => open(l.noteId)}>
        <span className="news-title">{l.title || 'Untitled note'}</span>
        <span className="news-what muted">
          {l.text}{l.at > 0 ? ` · ${timeFormat.format(l.at)}` : ''}
        </span>
      </button>
    </li>
  );
  return (
    <Dialog label="What's new" open onClose={onClose}>
      <section className="whats-new" role="region" aria-label="What's new">
        <h2>What's new</h2>
        {lines.length === 0 ? (
          <p className="muted">Nothing new: no one else changed a note since you last looked.</p>
        ) : (
          <>
            <div className="markdown-choices" role="radiogroup" aria-label="Group changes">
              <label>
                <input type="radio" name="news-grouping" checked={grouping === 'note'} onChange={() => setGrouping('note')} /> By note
              </label>
              <label>
                <input type="radio" name="news-grouping" checked={grouping === 'member'} onChange={() => setGrouping('member')} /> By member
              </label>
            </div>
            {grouping === 'note' ? (
              <ul className="news-list" aria-label="Changed notes">
                {lines.map(line)}
              </ul>
            ) : (
              members.map((member) => (
                <section key={member || 'someone'} aria-label={`Changes by ${name(member)}`}>
                  <h3 className="news-member">
                    <span className="member-dot" style={{ background: memberColor(session.catalog, member) ?? 'var(--muted)' }} /> {name(member)}
                  </h3>
                  <ul className="news-list">{lines.filter((l) => l.members.includes(member)).map(line)}</ul>
                </section>
              ))
            )}
          </>
        )}
        <div className="dialog-actions">
          {lines.length > 0 && (
            <button type="button" onClick={() => void session.news.markSeen(lines.map((l) => l.noteId)).then(onClose)}>
              Mark all as seen
            </button>
          )}
          <button type="button" className="primary" onClick={onClose}>
            Close
          </button>
        </div>
      </section>
    </Dialog>
  );
}

/** On an opened note: what others changed since the member last looked, highlighted on request. */
export function SinceLastSeen({ session, news, selfId, onDismiss }: { session: SpaceSession; news: NoteNews; selfId: string; onDismiss: () => void }) {
  const [shown, setShown] = useState(true);
  const name = (id: string) => memberLabel(session.catalog, id, selfId);
  const latest = news.versions[0];
  const who = listNames([...news.versions.flatMap((v) => v.authors), ...news.entries.flatMap((e) => e.authors)].map(name));
  const entryText = news.entries.map((e) => `${ENTRY_CHANGES[e.change]} by ${listNames(e.authors.map(name))}`).join('; ');
  return (
    <section className="since-seen" role="region" aria-label="Changes since you last looked">
      <div className="since-seen-head">
        <span>
          {latest ? `${who} changed this note since you last looked.` : `Since you last looked, this note was ${entryText}.`}
          {latest && entryText ? ` It was also ${entryText}.` : ''}
        </span>
        {latest && (
          <button type="button" className="link-button" onClick={() => setShown((s) => !s)}>
            {shown ? 'Hide changes' : 'Show changes'}
          </button>
        )}
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
      {latest && shown && <SinceChanges session={session} noteId={news.noteId} n={latest.n} against={news.seen ?? -1} name={name} />}
    </section>
  );
}

function SinceChanges({ session, noteId, n, against, name }: { session: SpaceSession; noteId: string; n: number; against: number; name: (id: string) => string }) {
  const { shown, error, loading } = useShownVersion(session, noteId, n, against);
  if (loading) return <p className="muted">Reading the changes…</p>;
  if (error || !shown) return <p className="muted">The changes cannot be shown: {error}</p>;
  const labels = { name: (id: string | undefined) => name(id ?? ''), color: (id: string | undefined) => (id ? memberColor(session.catalog, id) : undefined) };
  return <VersionContent blocks={shown.blocks} labels={labels} label="The note with the changes since you last looked" />;
}
