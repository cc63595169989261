/**
 * A note's history: the versions this device recorded, newest first, each with its time, who made it
 * and how many words it added and removed. Selecting one shows it in place of the editor (VersionPane).
 */
import { useEffect, useState } from 'react';
import type { VersionInfo } from '../../../shared/history/history-types';
import { errorMessage } from '../../../shared/errors';
import type { SpaceSession } from '../../spaces/space-session';
import { listNames, memberLabel, timeFormat } from '../member-names';

export function versionTitle(version: VersionInfo, name: (id: string) => string): string {
  const who = listNames(version.authors.map(name));
  switch (version.kind) {
    case 'baseline':
      return 'Earliest version kept';
    case 'restore':
      return `${who} restored version ${version.label ?? ''}`.trim();
    case 'revert': {
      const [member, since] = (version.label ?? '').split(' ');
      return `${who} undid changes by ${name(member ?? '')}${since ? ` since ${timeFormat.format(Number(since))}` : ''}`;
    }
    case 'import':
      return `Imported by ${who}`;
    default:
      return version.first ? `Created by ${who}` : `Edited by ${who}`;
  }
}

export function wordsSummary(version: VersionInfo): string {
  const parts: string[] = [];
  if (version.wordsAdded) parts.push(`+${version.wordsAdded} word${version.wordsAdded === 1 ? '' : 's'}`);
  if (version.wordsRemoved) parts.push(`−${version.wordsRemoved} word${version.wordsRemoved === 1 ? '' : 's'}`);
  if (version.comments) parts.push(`${version.comments} comment${version.comments === 1 ? '' : 's'}`);
  if (version.resolved) parts.push(`resolved ${version.resolved} thread${version.resolved === 1 ? '' : 's'}`);
  if (parts.length > 0) return parts.join(', ');
  return version.first ? 'a new, empty note' : 'formatting or layout';
}

/** The note's versions, asked for again whenever the host records one. */
export function useVersions(session: SpaceSession, noteId: string, enabled: boolean): { versions: VersionInfo[] | null; error: string | null } {
  const [state, setState] = useState<{ noteId: string; versions: VersionInfo[] | null; error: string | null }>({ noteId, versions: null, error: null });
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    const load = () =>
      session.host.call('note.history', { spaceId: session.spaceId, noteId }).then(
        ({ versions }) => !cancelled && setState({ noteId, versions, error: null }),
        (error: unknown) => !cancelled && setState({ noteId, versions: null, error: errorMessage(error) }),
      );
    void load();
    const off = session.host.on('space.history', (event) => event.spaceId === session.spaceId && event.docIds.includes(noteId) && void load());
    return () => {
      cancelled = true;
      off();
    };
  }, [session, noteId, enabled]);
  return state.noteId === noteId && enabled ? state : { versions: null, error: null };
}

export function HistoryPanel({
  session,
  versions,
  error,
  selfId,
  selected,
  onSelect,
  onClose,
}: {
  session: SpaceSession;
  versions: VersionInfo[] | null;
  error: string | null;
  selfId: string;
  selected: number | null;
  onSelect: (n: number | null) => void;
  onClose: () => void;
}) {
  const name = (id: string) => memberLabel(session.catalog, id, selfId);
  return (
    <section className="history-panel" role="region" aria-label="History">
      <header className="history-header">
        <h2>History</h2>
        <button type="button" className="link-button" onClick={onClose}>
          Close
        </button>
      </header>
      {error ? (
        <p className="note-problem" role="alert">
          History could not be read: {error}
        </p>
      ) : versions === null ? (
        <p className="muted" role="status">
          Reading history…
        </p>
      ) : versions.length === 0 ? (
        <p className="muted">No versions yet. A version is kept once an edit pauses for 30 seconds.</p>
      ) : (
        <ol className="history-list" aria-label="Versions">
          {versions.map((version) => (
            <li key={version.n}>
              <button
                type="button"
                className="history-row"
                aria-current={selected === version.n ? 'true' : undefined}
                disabled={!version.available}
                onClick={() => onSelect(selected === version.n ? null : version.n)}
              >
                <span className="history-time">{timeFormat.format(version.at)}</span>
                <span className="history-who">{versionTitle(version, name)}</span>
                <span className="history-words muted">{version.available ? wordsSummary(version) : 'cannot be shown: its record is damaged'}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
