/**
 * Tables in the editor (@lexical/table): "Insert table" makes a 3×3 table with a header row; while the
 * selection is in a table, buttons add and delete rows and columns. Cells hold paragraphs, lists and
 * formatting like the rest of the note, and export as GFM tables (shared/markdown/markdown-table.ts).
 */
import { useLexicalComposerContext } from '@lexical/react/LexicalComposerContext';
import { TablePlugin as LexicalTablePlugin } from '@lexical/react/LexicalTablePlugin';
import {
  $deleteTableColumnAtSelection,
  $deleteTableRowAtSelection,
  $findTableNode,
  $insertTableColumnAtSelection,
  $insertTableRowAtSelection,
  INSERT_TABLE_COMMAND,
} from '@lexical/table';
import { $getSelection, $isRangeSelection } from 'lexical';
import { useEffect, useState } from 'react';

/** Inserts a table with a header row at the selection. */
export function insertTable(editor: ReturnType<typeof useLexicalComposerContext>[0]): void {
  editor.dispatchCommand(INSERT_TABLE_COMMAND, { columns: '3', rows: '3', includeHeaders: { rows: true, columns: false } });
}

export function TablePlugin() {
  const [editor] = useLexicalComposerContext();
  const [inTable, setInTable] = useState(false);
  // Every selection change is an update (a separate SELECTION_CHANGE listener would only check twice);
  // the check walks up a few parents, and setting the same value renders nothing.
  useEffect(
    () =>
      editor.registerUpdateListener(({ editorState }) => {
        editorState.read(() => {
          const selection = $getSelection();
          setInTable($isRangeSelection(selection) && $findTableNode(selection.anchor.getNode()) !== null);
        });
      }),
    [editor],
  );
  const run = (action: () => void) => () => editor.update(action);
  const keepFocus = (event: React.MouseEvent) => event.preventDefault();
  return (
    <>
      <LexicalTablePlugin hasCellMerge={false} hasCellBackgroundColor={false} />
      {inTable && editor.isEditable() && (
        <div className="table-tools" role="toolbar" aria-label="Table">
          <button type="button" onMouseDown={keepFocus} onClick={run(() => void $insertTableRowAtSelection(true))}>
            Add row
          </button>
          <button type="button" onMouseDown={keepFocus} onClick={run(() => void $insertTableColumnAtSelection(true))}>
            Add column
          </button>
          <button type="button" onMouseDown={keepFocus} onClick={run(() => $deleteTableRowAtSelection())}>
            Delete row
          </button>
          <button type="button" onMouseDown={keepFocus} onClick={run(() => $deleteTableColumnAtSelection())}>
            Delete column
          </button>
          <button
            type="button"
            onMouseDown={keepFocus}
            onClick={run(() => {
              const selection = $getSelection();
              if ($isRangeSelection(selection)) $findTableNode(selection.anchor.getNode())?.remove();
            })}
          >
            Delete table
          </button>
        </div>
      )}
    </>
  );
}
