/** The note list of a space as an external store for React: recomputed only when note fields change, not on typing in a body. */
import * as Y from 'yjs';
import { listNotes, spaceNotes, type NoteSummary } from '../../shared/space-model';

export class NoteListStore {
  private snapshot: NoteSummary[] | null = null;

  constructor(private readonly doc: Y.Doc) {}

  subscribe = (onChange: () => void): (() => void) => {
    const notes = spaceNotes(this.doc);
    const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
      // path is relative to the notes map: [noteId, 'body', ...] for edits inside a body.
      if (events.some((e) => e.path.length < 2 || e.path[1] !== 'body')) {
        this.snapshot = null;
        onChange();
      }
    };
    notes.observeDeep(observer);
    return () => notes.unobserveDeep(observer);
  };

  getSnapshot = (): NoteSummary[] => {
    this.snapshot ??= listNotes(this.doc);
    return this.snapshot;
  };
}
