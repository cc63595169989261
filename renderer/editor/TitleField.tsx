/** A note's title: a plain input kept in step with the note's Y.Text (minimal splices, so concurrent edits merge). */
import { useEffect, useState } from 'react';
import type * as Y from 'yjs';
import { replaceText } from '../../shared/space-model';

export function TitleField({ title, onLocalEdit, onEnter }: { title: Y.Text; onLocalEdit: () => void; onEnter?: () => void }) {
  const [value, setValue] = useState(() => title.toString());
  useEffect(() => {
    const update = () => setValue(title.toString());
    update();
    title.observe(update);
    return () => title.unobserve(update);
  }, [title]);
  return (
    <input
      className="note-title"
      aria-label="Note title"
      placeholder="Untitled note"
      value={value}
      onChange={(event) => {
        replaceText(title, event.target.value);
        onLocalEdit();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          onEnter?.();
        }
      }}
    />
  );
}
