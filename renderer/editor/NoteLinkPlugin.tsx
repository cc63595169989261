/**
 * Links between notes: typing `[[` opens an autocomplete of note titles (or offers to create the note);
 * a link shows the target's current title, opens it on click, and shows as broken when the target is gone.
 */
import { LexicalTypeaheadMenuPlugin, MenuOption, type MenuTextMatch } from '@lexical/react/LexicalTypeaheadMenuPlugin';
import { $createTextNode, $insertNodes, type TextNode } from 'lexical';
import { newId } from '../../shared/ids';
import { createContext, useCallback, useContext, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type * as Y from 'yjs';
import { catalogNotes, entryState, entryTitle, getEntry } from '../../shared/catalog';
import { $createNoteLinkNode, labelParts, labelText, NoteLinkNode } from '../../shared/note-link-node';
import type { TitleIndex } from '../search/title-index';
import type { CatalogView } from '../spaces/catalog-view';

interface NoteLinkContextValue {
  catalog: Y.Doc;
  view: CatalogView;
  titles: TitleIndex;
  openNote: (noteId: string) => void;
  /** Creates a note with this id and title (a link to a note that did not exist yet). */
  createNote: (noteId: string, title: string) => void;
}

const NoteLinkContext = createContext<NoteLinkContextValue | null>(null);

export function NoteLinkProvider({ value, children }: { value: NoteLinkContextValue; children: ReactNode }) {
  return <NoteLinkContext.Provider value={value}>{children}</NoteLinkContext.Provider>;
}

/** The target's title and state, kept current as it is renamed, trashed or restored. */
function useTarget(catalog: Y.Doc, noteId: string): { title: string; state: 'active' | 'trashed' | 'deleted' | 'missing' } {
  // The catalog holds no bodies: its changes are renames, tags and the trash, never typing.
  const subscribe = useCallback(
    (onChange: () => void) => {
      const notes = catalogNotes(catalog);
      notes.observeDeep(onChange);
      return () => notes.unobserveDeep(onChange);
    },
    [catalog],
  );
  const snapshot = useSyncExternalStore(subscribe, () => {
    const entry = getEntry(catalog, noteId);
    return entry ? `${entryState(entry)}\u0000${entryTitle(entry)}` : 'missing\u0000';
  });
  const [state, title] = snapshot.split('\u0000') as ['active' | 'trashed' | 'deleted' | 'missing', string];
  return { title, state };
}

interface ChipProps {
  noteId: string;
  linkedTitle: string;
  label: string;
  anchor: string;
}

function NoteLinkChip(props: ChipProps) {
  const context = useContext(NoteLinkContext);
  if (!context) return <span className="note-link broken">{props.label ? labelText(props.label) : props.linkedTitle}</span>;
  return <LiveNoteLink context={context} {...props} />;
}

function LiveNoteLink({ context, noteId, linkedTitle, label, anchor }: ChipProps & { context: NoteLinkContextValue }) {
  const target = useTarget(context.catalog, noteId);
  const broken = target.state === 'deleted' || target.state === 'missing';
  const targetTitle = broken ? linkedTitle : target.title || 'Untitled note';
  // A link written with its own words keeps them (code spans too); the tooltip says where it goes.
  const shown = label ? labelParts(label).map((part, i) => (part.code ? <code key={i}>{part.text}</code> : <span key={i}>{part.text}</span>)) : targetTitle;
  const where = `${targetTitle}${anchor ? ` › ${anchor}` : ''}`;
  return (
    <a
      href={broken ? undefined : `#note-${noteId}`}
      className={`note-link${broken ? ' broken' : ''}${target.state === 'trashed' ? ' trashed' : ''}`}
      title={broken ? 'This note was deleted' : target.state === 'trashed' ? `${where} (in the trash)` : where}
      aria-label={label ? labelText(label) : undefined}
      aria-disabled={broken || undefined}
      onClick={(event) => {
        event.preventDefault();
        if (!broken) context.openNote(noteId);
      }}
    >
      {shown}
    </a>
  );
}

NoteLinkNode.render = (noteId, linkedTitle, label, anchor) => <NoteLinkChip noteId={noteId} linkedTitle={linkedTitle} label={label} anchor={anchor} />;

class NoteOption extends MenuOption {
  constructor(
    readonly noteId: string | null,
    readonly noteTitle: string,
  ) {
    super(noteId ?? `new:${noteTitle}`);
  }
}

/** Matches `[[query` right before the caret. */
function matchDoubleBracket(text: string): MenuTextMatch | null {
  const match = /\[\[([^[\]\n]{0,100})$/.exec(text);
  if (!match) return null;
  return { leadOffset: match.index, matchingString: match[1]!, replaceableString: match[0] };
}

export function NoteLinkPlugin({ currentNoteId }: { currentNoteId: string }) {
  const context = useContext(NoteLinkContext);
  const [query, setQuery] = useState<string | null>(null);

  const options = useMemo(() => {
    if (!context || query === null) return [];
    const q = query.trim();
    const found = q
      ? context.titles
          .search(q, 9)
          .filter((hit) => hit.id !== currentNoteId)
          .slice(0, 8)
      : context.view
          .getView()
          .active.filter((n) => n.id !== currentNoteId)
          .slice(0, 8)
          .map((n) => ({ id: n.id, title: n.title }));
    const list = found.map((hit) => new NoteOption(hit.id, hit.title));
    if (q && !found.some((hit) => hit.title.toLowerCase() === q.toLowerCase())) list.push(new NoteOption(null, q));
    return list;
  }, [context, query, currentNoteId]);

  if (!context) return null;

  // Runs inside the typeahead's editor.update: only editor work here; a new note is created right after.
  const onSelect = (option: NoteOption, textNode: TextNode | null, close: () => void) => {
    const noteId = option.noteId ?? newId();
    const link = $createNoteLinkNode(noteId, option.noteTitle);
    if (textNode) textNode.replace(link);
    else $insertNodes([link]);
    const space = $createTextNode(' ');
    link.insertAfter(space);
    space.select(1, 1);
    if (!option.noteId) queueMicrotask(() => context.createNote(noteId, option.noteTitle));
    close();
  };

  return (
    <LexicalTypeaheadMenuPlugin<NoteOption>
      onQueryChange={setQuery}
      onSelectOption={onSelect}
      triggerFn={matchDoubleBracket}
      options={options}
      menuRenderFn={(anchor, { selectedIndex, selectOptionAndCleanUp, setHighlightedIndex }) =>
        anchor.current && options.length > 0
          ? createPortal(
              <ul className="typeahead" role="listbox" aria-label="Link to note">
                {options.map((option, i) => (
                  <li
                    key={option.key}
                    role="option"
                    aria-selected={selectedIndex === i}
                    ref={option.setRefElement}
                    onMouseEnter={() => setHighlightedIndex(i)}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => selectOptionAndCleanUp(option)}
                  >
                    {option.noteId ? option.noteTitle || 'Untitled note' : `Create note “${option.noteTitle}”`}
                  </li>
                ))}
              </ul>,
              anchor.current,
            )
          : null
      }
    />
  );
}
