/**
 * Undoing every change one member made in the space since a time (vandalism, a mistaken bulk edit):
 * first how many notes it touches, then one new edit per note, which history keeps like any other.
 */
import { useEffect, useState } from 'react';
import { errorMessage } from '../../../shared/errors';
import type { SpaceSession } from '../../spaces/space-session';
import { Dialog } from '../Dialog';

/** A time as a datetime-local input shows it (local time, minutes). */
function toLocalInput(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

export function UndoMemberDialog({
  session,
  memberId,
  memberName,
  since: initialSince,
  onClose,
  onDone,
}: {
  session: SpaceSession;
  memberId: string;
  memberName: string;
  since: number;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  // A version's time is when its last edit was made: start just before its first.
  const [since, setSince] = useState(() => Math.floor(initialSince / 60_000) * 60_000);
  const [preview, setPreview] = useState<{ since: number; notes: Array<{ noteId: string; title: string }>; catalog: boolean } | null>(null);
  const [failure, setError] = useState<{ since: number; message: string } | null>(null);
  const [working, setWorking] = useState(false);
  useEffect(() => {
    let cancelled = false;
    session.host.call('space.revertMember', { spaceId: session.spaceId, memberId, since, apply: false }).then(
      (result) => !cancelled && setPreview({ since, notes: result.notes, catalog: result.catalog }),
      (e: unknown) => !cancelled && setError({ since, message: errorMessage(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [session, memberId, since]);
  const current = preview?.since === since ? preview : null;
  const error = failure?.since === since ? failure.message : null;
  const count = current ? current.notes.length : 0;
  const nothing = current !== null && count === 0 && !current.catalog;
  const apply = async () => {
    setWorking(true);
    try {
      const result = await session.host.call('space.revertMember', { spaceId: session.spaceId, memberId, since, apply: true });
      onDone(`Undid ${memberName}'s changes in ${result.notes.length} note${result.notes.length === 1 ? '' : 's'}${result.catalog ? ' and in the list of notes' : ''}.`);
      onClose();
    } catch (e) {
      setError({ since, message: errorMessage(e) });
    } finally {
      setWorking(false);
    }
  };
  return (
    <Dialog label={`Undo changes by ${memberName}`} open onClose={onClose}>
      <h2>Undo changes by {memberName}</h2>
      <label className="field">
        Since
        <input
          type="datetime-local"
          value={toLocalInput(since)}
          onChange={(event) => {
            const parsed = new Date(event.target.value).getTime();
            if (Number.isFinite(parsed)) setSince(parsed);
          }}
        />
      </label>
      <div role="status" className="undo-preview">
        {error ? (
          <p className="note-problem">Could not check: {error}</p>
        ) : !current ? (
          <p className="muted">Looking for their changes…</p>
        ) : nothing ? (
          <p>{memberName} changed nothing in this space since then.</p>
        ) : (
          <>
            <p>
              This takes back what {memberName} wrote and deleted in {count} note{count === 1 ? '' : 's'}
              {current.catalog ? ', and their changes to the list of notes (titles, tags, the trash)' : ''}, as a new edit everyone receives. Later edits by others stay.
            </p>
            <ul className="undo-notes">
              {current.notes.slice(0, 8).map((n) => (
                <li key={n.noteId}>{n.title || 'Untitled note'}</li>
              ))}
              {current.notes.length > 8 && <li>and {current.notes.length - 8} more</li>}
            </ul>
          </>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={!current || nothing || working} onClick={() => void apply()}>
          Undo changes
        </button>
      </div>
    </Dialog>
  );
}
