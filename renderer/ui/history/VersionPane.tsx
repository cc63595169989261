/**
 * One version of a note, shown read-only in place of the editor, with what changed since the version
 * before it; from here a member restores it (a new edit, undoable) or undoes a member's changes.
 */
import { useEffect, useState } from 'react';
import type { ShownVersion } from '../../../shared/history/history-types';
import { errorMessage } from '../../../shared/errors';
import type { SpaceSession } from '../../spaces/space-session';
import { listNames, memberColor, memberLabel, timeFormat } from '../member-names';
import { versionTitle, wordsSummary } from './HistoryPanel';
import { VersionContent } from './VersionContent';

/** A version as the host shows it, with what changed against `against` (the version before, by default). */
export function useShownVersion(session: SpaceSession, noteId: string, n: number, against?: number) {
  const [state, setState] = useState<{ key: string; shown: ShownVersion | null; error: string | null; loading: boolean }>({ key: '', shown: null, error: null, loading: true });
  const key = `${noteId}/${n}/${against ?? ''}`;
  useEffect(() => {
    let cancelled = false;
    session.host.call('note.version', { spaceId: session.spaceId, noteId, n, ...(against !== undefined ? { against } : {}) }).then(
      ({ shown }) => !cancelled && setState({ key, shown, error: shown ? null : 'this version cannot be rebuilt', loading: false }),
      (error: unknown) => !cancelled && setState({ key, shown: null, error: errorMessage(error), loading: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [session, noteId, n, against, key]);
  return state.key === key ? state : { shown: null, error: null, loading: true };
}

export function VersionPane({
  session,
  noteId,
  n,
  selfId,
  canRestore,
  isCurrent,
  onRestore,
  onUndoMember,
  onBack,
}: {
  session: SpaceSession;
  noteId: string;
  n: number;
  selfId: string;
  canRestore: boolean;
  /** The newest version: the note is already this. */
  isCurrent: boolean;
  onRestore: (shown: ShownVersion) => Promise<void>;
  onUndoMember: (memberId: string, since: number) => void;
  onBack: () => void;
}) {
  const { shown, error, loading } = useShownVersion(session, noteId, n);
  const [restoring, setRestoring] = useState(false);
  const name = (id: string) => memberLabel(session.catalog, id, selfId);
  const labels = { name: (id: string | undefined) => name(id ?? ''), color: (id: string | undefined) => (id ? memberColor(session.catalog, id) : undefined) };
  return (
    <section className="version-pane" aria-label={`Version ${n}`}>
      <div className="version-banner" role="note">
        <div>
          <strong>{shown ? versionTitle(shown.version, name) : `Version ${n}`}</strong>
          {shown && (
            <span className="muted">
              {' '}
              · {timeFormat.format(shown.version.at)} · {wordsSummary(shown.version)}
              {shown.against !== null ? ` since version ${shown.against}` : ''}
            </span>
          )}
        </div>
        <div className="version-actions">
          <button
            type="button"
            className="primary"
            disabled={!shown || restoring || !canRestore || isCurrent}
            title={isCurrent ? 'This is how the note is now' : canRestore ? undefined : 'Restore the note from the trash first'}
            onClick={() => {
              if (!shown) return;
              setRestoring(true);
              void onRestore(shown).finally(() => setRestoring(false));
            }}
          >
            Restore this version
          </button>
          {shown?.version.authors
            .filter((id) => id)
            .map((id) => (
              <button key={id} type="button" onClick={() => onUndoMember(id, shown.version.at)}>
                Undo changes by {name(id)}…
              </button>
            ))}
          <button type="button" onClick={onBack}>
            Back to the current note
          </button>
        </div>
      </div>
      {loading ? (
        <p className="muted" role="status">
          Rebuilding this version…
        </p>
      ) : error || !shown ? (
        <p className="note-problem" role="alert">
          This version cannot be shown: {error}.
        </p>
      ) : (
        <>
          <p className="version-legend muted">
            {shown.wordsAdded || shown.wordsRemoved
              ? `Added text is underlined, removed text struck through (by ${listNames(shown.version.authors.map(name))}).`
              : 'No text changed in this version.'}
          </p>
          <VersionContent blocks={shown.blocks} labels={labels} label={`Version ${n} of the note`} />
        </>
      )}
    </section>
  );
}
