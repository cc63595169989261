/** A modal dialog on the native <dialog> element (focus trapping, Escape and the backdrop come with it). */
import { useEffect, useRef, type ReactNode } from 'react';

export function Dialog({ label, open, onClose, children }: { label: string; open: boolean; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-label={label} className="dialog" onClose={onClose} onCancel={onClose}>
      {open && children}
    </dialog>
  );
}

/** Asks before something that loses data; says exactly what is lost. */
export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Dialog label={title} open={open} onClose={onCancel}>
      <h2>{title}</h2>
      <div className="dialog-message">{message}</div>
      <div className="dialog-actions">
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** Asks for one line of text (a name). */
export function PromptDialog({
  open,
  title,
  label,
  initialValue,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  open: boolean;
  title: string;
  label: string;
  initialValue: string;
  submitLabel: string;
  onSubmit: (value: string) => void;
  onCancel: () => void;
}) {
  return (
    <Dialog label={title} open={open} onClose={onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const value = String(new FormData(event.currentTarget).get('value') ?? '').trim();
          if (value) onSubmit(value);
        }}
      >
        <h2>{title}</h2>
        <label className="field">
          {label}
          <input name="value" defaultValue={initialValue} autoFocus required />
        </label>
        <div className="dialog-actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary">
            {submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
