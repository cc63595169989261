/** The dialogs the sidebar opens about the space, its trash and the member: one open at a time. */
import { renameSpace } from '../../shared/catalog';
import type { Profile } from '../profile/profile';
import type { SpaceView } from '../spaces/catalog-view';
import { deleteNotesForever } from '../spaces/note-actions';
import type { SpaceSession } from '../spaces/space-session';
import type { Spaces } from '../spaces/use-spaces';
import { ConfirmDialog, PromptDialog } from './Dialog';
import { ProfileDialog } from './ProfileDialog';
import type { Notice } from './use-notice';

export type SpaceDialog =
  | { kind: 'new-space' }
  | { kind: 'rename-space' }
  | { kind: 'remove-space' }
  | { kind: 'empty-trash' }
  | { kind: 'delete-note'; noteId: string }
  | { kind: 'profile' }
  | null;

export function SpaceDialogs({
  open,
  onClose,
  spaces,
  session,
  view,
  spaceName,
  profile,
  onSaveProfile,
  notice,
}: {
  open: SpaceDialog;
  onClose: () => void;
  spaces: Spaces;
  session: SpaceSession;
  view: SpaceView;
  spaceName: string;
  profile: Profile;
  onSaveProfile: (profile: Profile) => void;
  notice: Notice;
}) {
  const deleteForever = (noteIds: string[], what: string) => notice.act(deleteNotesForever(session, noteIds), what);
  return (
    <>
      <PromptDialog
        open={open?.kind === 'new-space'}
        title="New space"
        label="Name of the space"
        initialValue=""
        submitLabel="Create space"
        onSubmit={(name) => (onClose(), notice.act(spaces.create(name, profile), 'create the space'))}
        onCancel={onClose}
      />
      <PromptDialog
        open={open?.kind === 'rename-space'}
        title="Rename space"
        label="Name of the space"
        initialValue={spaceName}
        submitLabel="Rename"
        onSubmit={(name) => (onClose(), renameSpace(session.catalog, name), void spaces.refresh())}
        onCancel={onClose}
      />
      <ConfirmDialog
        open={open?.kind === 'remove-space'}
        title={`Remove “${spaceName || 'Untitled space'}” from this device?`}
        message={
          <p>
            Its {notesCount(view.active.length + view.trashed.length)} (including the trash) will be deleted from this device. Members you shared the space with keep
            their copies; you can join again with an invite.
          </p>
        }
        confirmLabel="Remove from this device"
        onConfirm={() => {
          onClose();
          void spaces.removeOpen().then((problem) => problem && notice.show(problem));
        }}
        onCancel={onClose}
      />
      <ConfirmDialog
        open={open?.kind === 'empty-trash'}
        title="Empty the trash?"
        message={
          <p>
            {view.trashed.length === 1 ? 'The note' : `The ${notesCount(view.trashed.length)}`} in the trash will be deleted forever, on every member's device. For 30 days
            they can still be recovered on this device from “Recently deleted”.
          </p>
        }
        confirmLabel="Empty trash"
        onConfirm={() => {
          onClose();
          deleteForever(
            view.trashed.map((n) => n.id),
            'empty the trash',
          );
        }}
        onCancel={onClose}
      />
      <ConfirmDialog
        open={open?.kind === 'delete-note'}
        title="Delete this note forever?"
        message={<p>It will be gone from the trash, on every member's device. For 30 days it can still be recovered on this device from “Recently deleted”, under the trash.</p>}
        confirmLabel="Delete forever"
        onConfirm={() => {
          onClose();
          if (open?.kind === 'delete-note') deleteForever([open.noteId], 'delete the note');
        }}
        onCancel={onClose}
      />
      {open?.kind === 'profile' && <ProfileDialog open profile={profile} firstRun={false} onSave={(p) => (onClose(), onSaveProfile(p))} onCancel={onClose} />}
    </>
  );
}

export const notesCount = (n: number) => `${n} ${n === 1 ? 'note' : 'notes'}`;
