/** Asks a member for the name and colour their community sees (on first run, and whenever they edit it). */
import { useState } from 'react';
import { Dialog } from './Dialog';
import { PROFILE_COLORS, type Profile } from '../profile/profile';

export function ProfileDialog({ open, profile, firstRun, onSave, onCancel }: { open: boolean; profile: Profile; firstRun: boolean; onSave: (p: Profile) => void; onCancel: () => void }) {
  const [name, setName] = useState(profile.name);
  const [color, setColor] = useState(profile.color);
  return (
    <Dialog label="Your profile" open={open} onClose={onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) onSave({ ...profile, name: name.trim(), color });
        }}
      >
        <h2>{firstRun ? 'Welcome to Commonplace' : 'Your profile'}</h2>
        {firstRun && <p>Members of your spaces see this name next to what you write.</p>}
        <label className="field">
          Display name
          <input value={name} onChange={(e) => setName(e.target.value)} autoFocus required maxLength={200} />
        </label>
        <fieldset className="colors">
          <legend>Colour</legend>
          {PROFILE_COLORS.map((c) => (
            <label key={c} className="color-choice" style={{ background: c }}>
              <input type="radio" name="color" value={c} checked={color === c} onChange={() => setColor(c)} aria-label={`Colour ${c}`} />
            </label>
          ))}
        </fieldset>
        <div className="dialog-actions">
          {!firstRun && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
