/** A space in memory for tests: its catalog and each note's own body document, as a host would hold them. */
import * as Y from 'yjs';
import { createEntry, initSpace, type AuthorRef } from '../../../shared/catalog';
import { importMarkdownFiles, type ImportFile, type ImportOptions, type ImportSummary } from '../../../shared/markdown/markdown-import';
import { exportSpace, type ExportedFile, type SpaceExportOptions } from '../../../shared/markdown/space-export';
import { initNoteBody, noteBodyToMarkdown } from '../../../shared/markdown/note-markdown';
import { newNoteDoc } from '../../../shared/note-doc';

export class MemorySpace {
  readonly catalog = new Y.Doc();
  readonly bodies = new Map<string, Y.Doc>();

  constructor(name = 'Practice') {
    initSpace(this.catalog, name);
  }

  /** A note's body document (an empty one for a note that has none yet). */
  body(noteId: string): Y.Doc {
    let doc = this.bodies.get(noteId);
    if (!doc) this.bodies.set(noteId, (doc = newNoteDoc(noteId)));
    return doc;
  }

  readBody = async (noteId: string): Promise<Y.Doc> => this.body(noteId);

  /** Adds a note as the app does: its entry, and its body with a first paragraph or `markdown`. */
  create(options: { author: AuthorRef; title?: string; tags?: string[]; id?: string; now?: number; markdown?: string }): string {
    const id = createEntry(this.catalog, options);
    initNoteBody(this.body(id), id, options.markdown ?? '');
    return id;
  }

  markdown(noteId: string): string {
    return noteBodyToMarkdown(this.body(noteId), noteId);
  }

  import(files: ImportFile[], options: Omit<ImportOptions, 'onBody'>): Promise<ImportSummary> {
    return importMarkdownFiles(this.catalog, files, {
      ...options,
      onBody: (noteId, update) => Y.applyUpdate(this.body(noteId), update),
    });
  }

  export(options: SpaceExportOptions = {}): Promise<ExportedFile[]> {
    return exportSpace(this.catalog, this.readBody, options);
  }
}
