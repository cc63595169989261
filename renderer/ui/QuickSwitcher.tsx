/** Ctrl/Cmd+K: jump to a note by typing part of its title. */
import { useState } from 'react';
import type { NoteSummary } from '../../shared/catalog';
import type { TitleIndex } from '../search/title-index';
import { Dialog } from './Dialog';

export function QuickSwitcher({
  open,
  titles,
  notes,
  onOpen,
  onClose,
}: {
  open: boolean;
  titles: TitleIndex;
  notes: NoteSummary[];
  onOpen: (noteId: string) => void;
  onClose: () => void;
}) {
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState(0);
  const results = query.trim() ? titles.search(query, 12) : notes.slice(0, 12);
  const choose = (id: string | undefined) => {
    if (!id) return;
    setQuery('');
    onOpen(id);
  };
  return (
    <Dialog label="Go to note" open={open} onClose={onClose}>
      <input
        className="switcher-input"
        aria-label="Go to note"
        placeholder="Type a note title…"
        autoFocus
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setSelected(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setSelected((s) => Math.min(s + 1, results.length - 1));
          else if (e.key === 'ArrowUp') setSelected((s) => Math.max(s - 1, 0));
          else if (e.key === 'Enter') choose(results[selected]?.id);
          else return;
          e.preventDefault();
        }}
      />
      <ul className="switcher-results" role="listbox" aria-label="Matching notes">
        {results.map((r, i) => (
          <li key={r.id} role="option" aria-selected={i === selected} onMouseEnter={() => setSelected(i)} onClick={() => choose(r.id)}>
            {r.title || 'Untitled note'}
          </li>
        ))}
        {results.length === 0 && <li className="muted">No note matches.</li>}
      </ul>
    </Dialog>
  );
}
