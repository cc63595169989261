/** The rich-text editor for one note's body. Mounted with key={noteId}: one binding per note. */
import { CheckListPlugin } from '@lexical/react/LexicalCheckListPlugin';
import { ClickableLinkPlugin } from '@lexical/react/LexicalClickableLinkPlugin';
import { LexicalComposer } from '@lexical/react/LexicalComposer';
import { ContentEditable } from '@lexical/react/LexicalContentEditable';
import { LexicalErrorBoundary } from '@lexical/react/LexicalErrorBoundary';
import { LinkPlugin } from '@lexical/react/LexicalLinkPlugin';
import { ListPlugin } from '@lexical/react/LexicalListPlugin';
import { MarkdownShortcutPlugin } from '@lexical/react/LexicalMarkdownShortcutPlugin';
import { RichTextPlugin } from '@lexical/react/LexicalRichTextPlugin';
import { TabIndentationPlugin } from '@lexical/react/LexicalTabIndentationPlugin';
import { useMemo } from 'react';
import type * as Y from 'yjs';
import type { PeerSync } from '../sync/peer-sync';
import { EDITOR_NODES } from '../../shared/editor-nodes';
import { COMMONPLACE_TRANSFORMERS } from '../../shared/markdown-transformers';
import { NoteCollaborationPlugin } from './NoteCollaborationPlugin';
import { NoteLinkPlugin } from './NoteLinkPlugin';
import { normalizeLinkUrl, ToolbarPlugin } from './ToolbarPlugin';
import { editorTheme } from './theme';

const isValidLink = (url: string) => normalizeLinkUrl(url) === url;

export function NoteEditor({ doc, noteId, onLocalEdit, sync }: { doc: Y.Doc; noteId: string; onLocalEdit: () => void; sync?: PeerSync }) {
  // One provider per mounted note: its awareness shows only the peers on this note.
  const provider = useMemo(() => sync?.noteProvider(noteId), [sync, noteId]);
  const member = useMemo(() => (sync ? () => sync.member : undefined), [sync]);
  return (
    <LexicalComposer
      initialConfig={{
        namespace: 'commonplace',
        nodes: [...EDITOR_NODES],
        theme: editorTheme,
        // Content comes from the Y.Doc, never from an initial editor state.
        editorState: null,
        onError: (error) => console.error('editor:', error),
      }}
    >
      <ToolbarPlugin />
      <div className="editor-shell">
        <RichTextPlugin
          contentEditable={<ContentEditable className="editor-body" aria-label="Note body" spellCheck />}
          placeholder={<div className="editor-placeholder">Write what you learned…</div>}
          ErrorBoundary={LexicalErrorBoundary}
        />
      </div>
      <NoteCollaborationPlugin doc={doc} noteId={noteId} provider={provider} member={member} onLocalEdit={onLocalEdit} />
      <ListPlugin />
      <CheckListPlugin />
      <LinkPlugin validateUrl={isValidLink} />
      <ClickableLinkPlugin newTab />
      <TabIndentationPlugin />
      <MarkdownShortcutPlugin transformers={COMMONPLACE_TRANSFORMERS} />
      <NoteLinkPlugin currentNoteId={noteId} />
    </LexicalComposer>
  );
}
