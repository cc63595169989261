/**
 * "Members": who belongs to the space, as its signed records say: name and colour, their device, when
 * this device last saw an edit of theirs, who invited them, and who are owners (who can make others
 * owners).
 */
import { useCallback, useEffect, useState } from 'react';
import type { MembersView } from '../../../shared/host-api';
import { errorMessage } from '../../../shared/errors';
import type { SpaceSession } from '../../spaces/space-session';
import { timeFormat } from '../member-names';
import { Dialog } from './Dialog';

export function MembersDialog({ session, onClose }: { session: SpaceSession; onClose: () => void }) {
  const [view, setView] = useState<MembersView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);
  const load = useCallback(
    (work: Promise<MembersView>) =>
      work.then(
        (next) => (setView(next), setError(null)),
        (e: unknown) => setError(errorMessage(e)),
      ),
    [],
  );
  useEffect(() => {
    void load(session.host.call('space.members', { spaceId: session.spaceId }));
  }, [session, load]);
  const name = (id: string | null) => (id ? (view?.members.find((m) => m.id === id)?.name ?? 'a former member') : null);
  const current = view?.members.filter((m) => !m.removed) ?? [];
  const former = view?.members.filter((m) => m.removed) ?? [];
  return (
    <Dialog title="Members" onClose={onClose}>
      <section role="region" aria-label="Members" className="members">
        {error && <p role="alert">{error}</p>}
        {!view ? (
          <p className="muted">Reading the members…</p>
        ) : view.members.length === 0 ? (
          <p className="muted">This space has no members yet: share it to invite the first ones.</p>
        ) : (
          <>
            <ul className="members-list" aria-label="Current members">
              {current.map((m) => (
                <li key={m.id} className="member-row">
                  <span className="sync-swatch" style={{ background: m.color ?? 'var(--muted)' }} aria-hidden="true" />
                  <div className="member-main">
                    <div>
                      <strong>{m.name || 'A member'}</strong>
                      {m.you && ' (you)'}
                      {m.owner && <span className="member-badge">owner</span>}
                    </div>
                    <div className="muted member-detail">
                      device {m.device}
                      {m.invitedBy ? ` · invited by ${name(m.invitedBy)}` : m.owner && !m.invitedBy ? ' · created the space' : ''}
                      {m.lastSeen ? ` · last edit seen ${timeFormat.format(m.lastSeen)}` : ''}
                    </div>
                  </div>
                  <div className="member-actions">
                    {view.owner && !m.owner && (
                      <button type="button" className="link-button" onClick={() => void load(session.host.call('space.makeOwner', { spaceId: session.spaceId, memberId: m.id }))}>
                        Make {m.name || 'them'} an owner
                      </button>
                    )}
                    {view.owner && !m.you && (
                      <button type="button" className="link-button danger" onClick={() => setConfirming(m.id)}>
                        Remove {m.name || 'them'}
                      </button>
                    )}
                  </div>
                  {confirming === m.id && (
                    <div className="member-confirm" role="alertdialog" aria-label={`Remove ${m.name || 'this member'}?`}>
                      <p>
                        Remove {m.name || 'this member'} from the space? Their devices keep what they have but receive nothing new, and their later edits are not
                        accepted. The space gets a new key, which reaches every other member; open invites end (they knew them), so make new ones.
                      </p>
                      <button
                        type="button"
                        className="danger"
                        disabled={removing}
                        onClick={() => {
                          setRemoving(true);
                          void load(session.host.call('space.removeMember', { spaceId: session.spaceId, memberId: m.id })).finally(() => {
                            setRemoving(false);
                            setConfirming(null);
                          });
                        }}
                      >
                        Remove {m.name || 'them'}
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
            {former.length > 0 && (
              <>
                <h3 className="members-heading">Removed</h3>
                <ul className="members-list" aria-label="Removed members">
                  {former.map((m) => (
                    <li key={m.id} className="member-row muted">
                      {m.name || 'A member'} · removed by {name(m.removedBy ?? null) ?? 'an owner'}
                    </li>
                  ))}
                </ul>
              </>
            )}
            <p className="muted">Space key {view.epoch}: a new one comes with every removal.</p>
          </>
        )}
      </section>
    </Dialog>
  );
}
