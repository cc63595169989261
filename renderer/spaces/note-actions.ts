/** What a member does to notes, across the catalog and the notes' own documents. */
import * as Y from 'yjs';
import { createEntry, deleteEntryForever, entryTags, entryTitle, getEntry, type AuthorRef } from '../../shared/catalog';
import { MAX_DOCS_PER_CALL } from '../../shared/host-api';
import { newId } from '../../shared/ids';
import { copyNoteBody } from '../../shared/note-body';
import { initNoteBody } from '../../shared/markdown/note-markdown';
import type { SpaceSession } from './space-session';

/** Creates a note (its entry and its body, with a first paragraph or `markdown`) and returns its id. */
export function createNote(session: SpaceSession, author: AuthorRef, options: { id?: string; title?: string; tags?: string[]; markdown?: string } = {}): string {
  const id = options.id ?? newId();
  const note = session.notes.open(id, true);
  try {
    initNoteBody(note.doc, id, options.markdown ?? '', author.id);
    createEntry(session.catalog, { id, title: options.title, tags: options.tags, author });
  } finally {
    session.notes.release(id);
  }
  return id;
}

/** Copies a note (title, body, tags) into a new active note; returns its id. */
export async function duplicateNote(session: SpaceSession, noteId: string, author: AuthorRef, titleSuffix = ' (copy)'): Promise<string> {
  const entry = getEntry(session.catalog, noteId);
  if (!entry) throw new Error(`no note ${noteId}`);
  const source = session.notes.open(noteId);
  try {
    await source.whenLoaded();
    if (source.state !== 'ready') throw new Error('the note has not arrived on this device yet');
    const id = newId();
    const copy = session.notes.open(id, true);
    try {
      copyNoteBody(source.doc, noteId, copy.doc, id, author.id);
      createEntry(session.catalog, { id, title: entryTitle(entry) + titleSuffix, tags: entryTags(entry), author });
    } finally {
      session.notes.release(id);
    }
    return id;
  } finally {
    session.notes.release(noteId);
  }
}

/** State vectors of the notes' bodies: from this window when it holds them, else from the host. */
async function bodyStateVectors(session: SpaceSession, noteIds: string[]): Promise<Map<string, Uint8Array>> {
  const vectors = new Map<string, Uint8Array>();
  const stored: string[] = [];
  for (const id of noteIds) {
    const live = session.notes.get(id);
    if (live) vectors.set(id, Y.encodeStateVector(live));
    else stored.push(id);
  }
  for (let i = 0; i < stored.length; i += MAX_DOCS_PER_CALL) {
    const part = stored.slice(i, i + MAX_DOCS_PER_CALL);
    const { stateVectors } = await session.host.call('notes.stateVectors', { spaceId: session.spaceId, docIds: part });
    part.forEach((id, at) => vectors.set(id, stateVectors[at]!));
  }
  return vectors;
}

/**
 * Deletes notes forever. Each marker records what this device had seen of the entry and the body, so
 * an edit made meanwhile elsewhere brings its note back to the trash instead of being lost.
 */
export async function deleteNotesForever(session: SpaceSession, noteIds: string[]): Promise<void> {
  const vectors = await bodyStateVectors(session, noteIds);
  session.catalog.transact(() => {
    for (const id of noteIds) {
      const entry = getEntry(session.catalog, id);
      if (entry) deleteEntryForever(entry, vectors.get(id) ?? new Uint8Array([0]));
    }
  });
}
