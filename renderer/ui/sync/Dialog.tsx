/** The sync dialogs' frame: the app's modal dialog (native <dialog>: focus trap, Escape) with a title and Close. */
import type { ReactNode } from 'react';
import { Dialog as ModalDialog } from '../Dialog';

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  return (
    <ModalDialog label={title} open onClose={onClose}>
      <div className="sync-dialog">
        <h2>{title}</h2>
        {children}
        <div className="sync-dialog-actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </ModalDialog>
  );
}
