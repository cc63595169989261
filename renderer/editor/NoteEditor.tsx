/** The rich-text editor for one note's body. Mounted with key={noteId}: one binding per note. */
import { CheckListPlugin } from '@lexical/react/LexicalCheckListPlugin';
import { ClickableLinkPlugin } from '@lexical/react/LexicalClickableLinkPlugin';
import { LexicalComposer } from '@lexical/react/LexicalComposer';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { ContentEditable } from '@lexical/react/LexicalContentEditable';
import { LexicalErrorBoundary } from '@lexical/react/LexicalErrorBoundary';
import { LinkPlugin } from '@lexical/react/LexicalLinkPlugin';
import { ListPlugin } from '@lexical/react/LexicalListPlugin';
import { MarkdownShortcutPlugin } from '@lexical/react/LexicalMarkdownShortcutPlugin';
import { RichTextPlugin } from '@lexical/react/LexicalRichTextPlugin';
import { TabIndentationPlugin } from '@lexical/react/LexicalTabIndentationPlugin';
import type { Provider } from '@lexical/yjs';
import { useEffect } from 'react';
import type * as Y from 'yjs';
import { EDITOR_NODES } from '../../shared/editor-nodes';
import { COMMONPLACE_TRANSFORMERS } from '../../shared/markdown-shortcuts';
import { CommentsPlugin, type CommentDraft, type CommentsEditorApi } from './CommentsPlugin';
import { NoteCollaborationPlugin } from './NoteCollaborationPlugin';
import { TablePlugin } from './TablePlugin';
import { AttachmentPlugin } from './AttachmentPlugin';
import { NoteLinkPlugin } from './NoteLinkPlugin';
import { normalizeLinkUrl, ToolbarPlugin } from './ToolbarPlugin';
import { editorTheme } from './theme';

const isValidLink = (url: string) => normalizeLinkUrl(url) === url;

/** Makes the editor read-only while `editable` is false (a note in the trash). */
function EditablePlugin({ editable }: { editable: boolean }): null {
  const [editor] = useLexicalComposerContext();
  useEffect(() => editor.setEditable(editable), [editor, editable]);
  return null;
}

export function NoteEditor({
  doc,
  noteId,
  editable,
  onLocalEdit,
  provider,
  member,
  authorId,
  onCommentDraft,
  onCommentMarks,
  onCommentMarkClick,
  onCommentsApi,
}: {
  /** The note's own document. */
  doc: Y.Doc;
  noteId: string;
  editable: boolean;
  onLocalEdit: () => void;
  /** Presence of the peers on this note (their cursors); absent, none are drawn. */
  provider?: Provider;
  member?: () => { name: string; color: string };
  /** The member editing (history names them). */
  authorId?: string;
  /** A passage chosen for a comment (null: nothing was selected). */
  onCommentDraft?: (draft: CommentDraft | null) => void;
  /** The ids of the threads whose passages are in the note. */
  onCommentMarks?: (ids: ReadonlySet<string>) => void;
  onCommentMarkClick?: (threadIds: string[]) => void;
  onCommentsApi?: (api: CommentsEditorApi | null) => void;
}) {
  return (
    <LexicalComposer
      initialConfig={{
        namespace: 'commonplace',
        nodes: [...EDITOR_NODES],
        theme: editorTheme,
        // Content comes from the Y.Doc, never from an initial editor state.
        editorState: null,
        editable,
        onError: (error) => console.error('editor:', error),
      }}
    >
      <ToolbarPlugin />
      <TablePlugin />
      <div className="editor-shell">
        <RichTextPlugin
          contentEditable={<ContentEditable className="editor-body" aria-label="Note body" spellCheck />}
          placeholder={<div className="editor-placeholder">Write what you learned…</div>}
          ErrorBoundary={LexicalErrorBoundary}
        />
      </div>
      <EditablePlugin editable={editable} />
      <NoteCollaborationPlugin doc={doc} noteId={noteId} provider={provider} member={member} authorId={authorId} onLocalEdit={onLocalEdit} />
      <ListPlugin />
      <CheckListPlugin />
      <LinkPlugin validateUrl={isValidLink} />
      <ClickableLinkPlugin newTab />
      <TabIndentationPlugin />
      <MarkdownShortcutPlugin transformers={COMMONPLACE_TRANSFORMERS} />
      <NoteLinkPlugin currentNoteId={noteId} />
      <AttachmentPlugin />
      {onCommentDraft && onCommentMarks && <CommentsPlugin onDraft={onCommentDraft} onMarks={onCommentMarks} onMarkClick={onCommentMarkClick} onApi={onCommentsApi} />}
    </LexicalComposer>
  );
}
