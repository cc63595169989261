/** The editor's toolbar and keyboard shortcuts: block types, inline formats, links, lists, undo/redo. */
import { OPEN_COMMENT_COMMAND } from './CommentsPlugin';
import { insertTable } from './TablePlugin';
import { ATTACH_FILES_COMMAND } from './AttachmentPlugin';
import { $createCodeNode } from '@lexical/code';
import { $createHorizontalRuleNode } from '@lexical/extension';
import { $isLinkNode, TOGGLE_LINK_COMMAND } from '@lexical/link';
import {
  $isListNode,
  INSERT_CHECK_LIST_COMMAND,
  INSERT_ORDERED_LIST_COMMAND,
  INSERT_UNORDERED_LIST_COMMAND,
  ListNode,
  REMOVE_LIST_COMMAND,
} from '@lexical/list';
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { $createHeadingNode, $createQuoteNode, $isHeadingNode, $isQuoteNode, type HeadingTagType } from '@lexical/rich-text';
import { $setBlocksType } from '@lexical/selection';
import { $findMatchingParent, $getNearestNodeOfType, $insertNodeToNearestRoot, mergeRegister } from '@lexical/utils';
import { $isCodeNode } from '@lexical/code';
import {
  $createParagraphNode,
  $getSelection,
  $isRangeSelection,
  $isRootOrShadowRoot,
  CAN_REDO_COMMAND,
  CAN_UNDO_COMMAND,
  COMMAND_PRIORITY_LOW,
  FORMAT_TEXT_COMMAND,
  KEY_DOWN_COMMAND,
  REDO_COMMAND,
  SELECTION_CHANGE_COMMAND,
  UNDO_COMMAND,
  type LexicalEditor,
  type TextFormatType,
} from 'lexical';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { isAllowedExternalUrl } from '../../shared/host-api';

type BlockType = 'paragraph' | HeadingTagType | 'quote' | 'code' | 'bullet' | 'number' | 'check';

const INLINE_FORMATS: Array<{ format: TextFormatType; label: string; text: string; keys: string }> = [
  { format: 'bold', label: 'Bold', text: 'B', keys: 'Ctrl+B' },
  { format: 'italic', label: 'Italic', text: 'I', keys: 'Ctrl+I' },
  { format: 'underline', label: 'Underline', text: 'U', keys: 'Ctrl+U' },
  { format: 'strikethrough', label: 'Strikethrough', text: 'S', keys: 'Ctrl+Shift+X' },
  { format: 'code', label: 'Inline code', text: '</>', keys: 'Ctrl+E' },
];

const BLOCKS: Array<{ type: BlockType; label: string; text: string; keys: string }> = [
  { type: 'paragraph', label: 'Paragraph', text: '¶', keys: 'Ctrl+Alt+0' },
  { type: 'h1', label: 'Heading 1', text: 'H1', keys: 'Ctrl+Alt+1' },
  { type: 'h2', label: 'Heading 2', text: 'H2', keys: 'Ctrl+Alt+2' },
  { type: 'h3', label: 'Heading 3', text: 'H3', keys: 'Ctrl+Alt+3' },
  { type: 'bullet', label: 'Bulleted list', text: '•', keys: 'Ctrl+Shift+8' },
  { type: 'number', label: 'Numbered list', text: '1.', keys: 'Ctrl+Shift+7' },
  { type: 'check', label: 'Check list', text: '☑', keys: 'Ctrl+Shift+9' },
  { type: 'quote', label: 'Quote', text: '❝', keys: 'Ctrl+Shift+.' },
  { type: 'code', label: 'Code block', text: '{ }', keys: 'Ctrl+Alt+C' },
];

/** Accepts links the app may open outside (http, https, mailto); a bare host gets https://. */
export function normalizeLinkUrl(raw: string): string | null {
  const text = raw.trim();
  if (!text) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`;
  return isAllowedExternalUrl(withScheme) ? new URL(withScheme).href : null;
}

function setBlockType(editor: LexicalEditor, type: BlockType, current: BlockType): void {
  if (type === 'bullet' || type === 'number' || type === 'check') {
    if (current === type) editor.dispatchCommand(REMOVE_LIST_COMMAND, undefined);
    else
      editor.dispatchCommand(
        type === 'bullet' ? INSERT_UNORDERED_LIST_COMMAND : type === 'number' ? INSERT_ORDERED_LIST_COMMAND : INSERT_CHECK_LIST_COMMAND,
        undefined,
      );
    return;
  }
  editor.update(() => {
    const selection = $getSelection();
    if (!$isRangeSelection(selection)) return;
    const target = current === type ? 'paragraph' : type;
    if (target === 'paragraph') $setBlocksType(selection, () => $createParagraphNode());
    else if (target === 'quote') $setBlocksType(selection, () => $createQuoteNode());
    else if (target === 'code') $setBlocksType(selection, () => $createCodeNode());
    else $setBlocksType(selection, () => $createHeadingNode(target));
  });
}

function $currentBlockType(): { block: BlockType; formats: Set<TextFormatType>; link: string | null } {
  const formats = new Set<TextFormatType>();
  const selection = $getSelection();
  if (!$isRangeSelection(selection)) return { block: 'paragraph', formats, link: null };
  for (const { format } of INLINE_FORMATS) if (selection.hasFormat(format)) formats.add(format);
  const anchor = selection.anchor.getNode();
  const linkNode = $findMatchingParent(anchor, $isLinkNode);
  const link = $isLinkNode(linkNode) ? linkNode.getURL() : null;
  const top =
    anchor.getKey() === 'root' ? anchor : ($findMatchingParent(anchor, (n) => { const p = n.getParent(); return p !== null && $isRootOrShadowRoot(p); }) ?? anchor);
  let block: BlockType = 'paragraph';
  if ($isListNode(top)) {
    const list = $getNearestNodeOfType(anchor, ListNode) ?? top;
    const listType = list.getListType();
    block = listType === 'bullet' ? 'bullet' : listType === 'number' ? 'number' : 'check';
  } else if ($isHeadingNode(top)) block = top.getTag() as HeadingTagType;
  else if ($isQuoteNode(top)) block = 'quote';
  else if ($isCodeNode(top)) block = 'code';
  return { block, formats, link };
}

export function ToolbarPlugin(): React.JSX.Element {
  const [editor] = useLexicalComposerContext();
  const [block, setBlock] = useState<BlockType>('paragraph');
  const [formats, setFormats] = useState<Set<TextFormatType>>(new Set());
  const [link, setLink] = useState<string | null>(null);
  const [canUndo, setCanUndo] = useState(false);
  const [canRedo, setCanRedo] = useState(false);
  const [linkDraft, setLinkDraft] = useState<string | null>(null);
  const [linkError, setLinkError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  // Runs on every editor update: state changes only when the selection's formats really change.
  const refresh = useCallback(() => {
    editor.getEditorState().read(() => {
      const state = $currentBlockType();
      setBlock(state.block);
      setFormats((previous) => (previous.size === state.formats.size && [...previous].every((f) => state.formats.has(f)) ? previous : state.formats));
      setLink(state.link);
    });
  }, [editor]);

  const openLinkEditor = useCallback(() => {
    setLinkError(null);
    setLinkDraft(link ?? '');
  }, [link]);

  useEffect(
    () =>
      mergeRegister(
        editor.registerUpdateListener(() => refresh()),
        editor.registerCommand(SELECTION_CHANGE_COMMAND, () => (refresh(), false), COMMAND_PRIORITY_LOW),
        editor.registerCommand(CAN_UNDO_COMMAND, (value) => (setCanUndo(value), false), COMMAND_PRIORITY_LOW),
        editor.registerCommand(CAN_REDO_COMMAND, (value) => (setCanRedo(value), false), COMMAND_PRIORITY_LOW),
        editor.registerCommand(
          KEY_DOWN_COMMAND,
          (event) => {
            const mod = event.ctrlKey || event.metaKey;
            if (!mod) return false;
            const key = event.key.toLowerCase();
            const run = (fn: () => void) => (event.preventDefault(), fn(), true);
            if (event.shiftKey && !event.altKey) {
              if (key === 'x') return run(() => editor.dispatchCommand(FORMAT_TEXT_COMMAND, 'strikethrough'));
              if (event.code === 'Digit8') return run(() => setBlockType(editor, 'bullet', block));
              if (event.code === 'Digit7') return run(() => setBlockType(editor, 'number', block));
              if (event.code === 'Digit9') return run(() => setBlockType(editor, 'check', block));
              if (event.code === 'Period') return run(() => setBlockType(editor, 'quote', block));
              if (key === 'k') return run(openLinkEditor);
              if (key === 'z') return run(() => editor.dispatchCommand(REDO_COMMAND, undefined));
            }
            if (event.altKey && !event.shiftKey) {
              const heading = { Digit0: 'paragraph', Digit1: 'h1', Digit2: 'h2', Digit3: 'h3', KeyC: 'code' }[event.code] as BlockType | undefined;
              if (heading) return run(() => setBlockType(editor, heading, block));
            }
            if (!event.shiftKey && !event.altKey && key === 'e') return run(() => editor.dispatchCommand(FORMAT_TEXT_COMMAND, 'code'));
            return false;
          },
          COMMAND_PRIORITY_LOW,
        ),
      ),
    [editor, refresh, block, openLinkEditor],
  );

  const applyLink = (event: FormEvent) => {
    event.preventDefault();
    if (linkDraft === null) return;
    if (linkDraft.trim() === '') {
      editor.dispatchCommand(TOGGLE_LINK_COMMAND, null);
      setLinkDraft(null);
      return;
    }
    const url = normalizeLinkUrl(linkDraft);
    if (!url) {
      setLinkError('Links must be web (http, https) or mailto addresses.');
      return;
    }
    editor.dispatchCommand(TOGGLE_LINK_COMMAND, url);
    setLinkDraft(null);
    editor.focus();
  };

  // Keep the editor's selection when a toolbar button is pressed.
  const keepFocus = (event: React.MouseEvent) => event.preventDefault();

  return (
    <div className="toolbar" role="toolbar" aria-label="Formatting">
      <button type="button" aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!canUndo} onMouseDown={keepFocus} onClick={() => editor.dispatchCommand(UNDO_COMMAND, undefined)}>
        ↶
      </button>
      <button type="button" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onMouseDown={keepFocus} onClick={() => editor.dispatchCommand(REDO_COMMAND, undefined)}>
        ↷
      </button>
      <span className="toolbar-sep" />
      {BLOCKS.map((b) => (
        <button
          key={b.type}
          type="button"
          aria-label={b.label}
          title={`${b.label} (${b.keys})`}
          aria-pressed={block === b.type}
          onMouseDown={keepFocus}
          onClick={() => setBlockType(editor, b.type, block)}
        >
          {b.text}
        </button>
      ))}
      <span className="toolbar-sep" />
      {INLINE_FORMATS.map((f) => (
        <button
          key={f.format}
          type="button"
          aria-label={f.label}
          title={`${f.label} (${f.keys})`}
          aria-pressed={formats.has(f.format)}
          className={`fmt-${f.format}`}
          onMouseDown={keepFocus}
          onClick={() => editor.dispatchCommand(FORMAT_TEXT_COMMAND, f.format)}
        >
          {f.text}
        </button>
      ))}
      <button type="button" aria-label="Link" title="Link (Ctrl+Shift+K)" aria-pressed={link !== null} onMouseDown={keepFocus} onClick={openLinkEditor}>
        <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
          <path d="M6.5 9.5l3-3M7 4.5l1-1a2.5 2.5 0 013.5 3.5l-1 1M9 11.5l-1 1a2.5 2.5 0 01-3.5-3.5l1-1" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
      </button>
      <button
        type="button"
        aria-label="Horizontal rule"
        title="Horizontal rule (type --- on an empty line)"
        onMouseDown={keepFocus}
        onClick={() => editor.update(() => void $insertNodeToNearestRoot($createHorizontalRuleNode()))}
      >
        ―
      </button>
      <button type="button" aria-label="Insert table" title="Insert a table with a header row" onMouseDown={keepFocus} onClick={() => insertTable(editor)}>
        <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
          <path d="M2.5 3.5h11v9h-11zM2.5 6.5h11M2.5 9.5h11M6.2 3.5v9M9.8 3.5v9" fill="none" stroke="currentColor" strokeWidth="1.2" />
        </svg>
      </button>
      <button type="button" aria-label="Attach file" title="Attach a file or image (or paste or drop one)" onMouseDown={keepFocus} onClick={() => fileInput.current?.click()}>
        <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
          <path d="M10.5 4.5l-5 5a1.4 1.4 0 0 0 2 2l5.5-5.5a2.8 2.8 0 0 0-4-4L3.5 7.5a4.2 4.2 0 0 0 6 6l4-4" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
        </svg>
      </button>
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        aria-label="Files to attach"
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          event.target.value = '';
          if (files.length > 0) editor.dispatchCommand(ATTACH_FILES_COMMAND, files);
        }}
      />
      <button type="button" aria-label="Comment" title="Comment on the selected passage (Ctrl+Alt+M)" onMouseDown={keepFocus} onClick={() => editor.dispatchCommand(OPEN_COMMENT_COMMAND, undefined)}>
        <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
          <path d="M3 3.5h10v7H7l-3 2.5v-2.5H3z" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" />
        </svg>
      </button>
      {linkDraft !== null && (
        <form className="link-editor" onSubmit={applyLink}>
          <input
            autoFocus
            aria-label="Link URL"
            placeholder="https://…  (empty removes the link)"
            value={linkDraft}
            onChange={(e) => setLinkDraft(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setLinkDraft(null)}
          />
          <button type="submit">Apply</button>
          <button type="button" onClick={() => setLinkDraft(null)}>
            Cancel
          </button>
          {linkError && <span role="alert">{linkError}</span>}
        </form>
      )}
    </div>
  );
}
