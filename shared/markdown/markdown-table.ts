/**
 * GitHub-flavoured Markdown tables, both ways: a header row, a delimiter row that gives each column
 * its alignment, then body rows; cells hold inline Markdown, `\|` is a pipe in a cell and `<br>` a line
 * break. The header row becomes header cells; a column's alignment is its cells' format.
 */
import { $createTableCellNode, $createTableNode, $createTableRowNode, $isTableCellNode, $isTableRowNode, TableCellHeaderStates, type TableCellNode, type TableNode } from '@lexical/table';
import { $createParagraphNode, type ElementFormatType } from 'lexical';

export type ColumnAlign = '' | 'left' | 'center' | 'right';

export interface MarkdownTable {
  header: string[];
  align: ColumnAlign[];
  rows: string[][];
}

/** Most columns and rows a table may have (more is kept as text). */
const MAX_COLUMNS = 64;
const MAX_ROWS = 5000;

/** A row's cells: split on pipes that are not escaped or in a code span, outer pipes dropped. */
function splitTableRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let code = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && line[i + 1] === '|') {
      cell += '\\|';
      i++;
    } else if (c === '`') {
      let run = 1;
      while (line[i + run] === '`') run++;
      code = code === 0 ? run : code === run ? 0 : code;
      cell += '`'.repeat(run);
      i += run - 1;
    } else if (c === '|' && code === 0) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  const trimmed = line.trim();
  if (trimmed.startsWith('|')) cells.shift();
  if (trimmed.endsWith('|') && !trimmed.endsWith('\\|')) cells.pop();
  return cells.map((c) => c.trim());
}

const DELIMITER_CELL = /^:?-+:?$/;

/** The table those lines are, or null when they are not one (then they are kept as text). */
export function parseMarkdownTable(lines: string[]): MarkdownTable | null {
  if (lines.length < 2 || lines.length > MAX_ROWS || !lines.every((l) => l.includes('|'))) return null;
  const header = splitTableRow(lines[0]!);
  const delimiter = splitTableRow(lines[1]!);
  if (header.length === 0 || header.length > MAX_COLUMNS || delimiter.length !== header.length || !delimiter.every((d) => DELIMITER_CELL.test(d))) return null;
  const align = delimiter.map((d): ColumnAlign => (d.startsWith(':') && d.endsWith(':') ? 'center' : d.endsWith(':') ? 'right' : d.startsWith(':') ? 'left' : ''));
  const rows = lines.slice(2).map((line) => {
    const cells = splitTableRow(line);
    // GFM: missing cells are empty, extra cells are ignored.
    return Array.from({ length: header.length }, (_, i) => cells[i] ?? '');
  });
  return { header, align, rows };
}

/** A table node for a parsed table; `fill` writes a cell's inline Markdown into the cell. */
export function $tableFromMarkdown(table: MarkdownTable, fill: (cell: TableCellNode, markdown: string) => void): TableNode {
  const node = $createTableNode();
  const addRow = (cells: string[], header: boolean) => {
    const row = $createTableRowNode();
    cells.forEach((markdown, column) => {
      const cell = $createTableCellNode(header ? TableCellHeaderStates.ROW : TableCellHeaderStates.NO_STATUS);
      const align = table.align[column];
      cell.append($createParagraphNode());
      fill(cell, markdown);
      if (align) for (const block of cell.getChildren()) if ('setFormat' in block) (block as { setFormat(f: ElementFormatType): void }).setFormat(align);
      row.append(cell);
    });
    node.append(row);
  };
  addRow(table.header, true);
  for (const row of table.rows) addRow(row, false);
  return node;
}

/** A table node as GFM lines; `cellMarkdown` reads a cell's content as Markdown. */
export function tableToMarkdown(node: TableNode, cellMarkdown: (cell: TableCellNode) => string): string {
  const rows = node.getChildren().filter($isTableRowNode);
  if (rows.length === 0) return '';
  const grid = rows.map((row) =>
    row
      .getChildren()
      .filter($isTableCellNode)
      .map((cell) =>
        cellMarkdown(cell)
          .trim()
          // A line break (a hard break, `\` at the end of the line) or a new paragraph: one `<br>`.
          .replace(/\\?\n+/g, '<br>')
          .replace(/(?<!\\)\|/g, '\\|'),
      ),
  );
  const columns = Math.max(...grid.map((r) => r.length));
  const first = rows[0]!.getChildren().filter($isTableCellNode);
  const align = Array.from({ length: columns }, (_, i) => {
    const block = first[i]?.getFirstChild();
    const format = block && 'getFormatType' in block ? (block as { getFormatType(): ElementFormatType }).getFormatType() : '';
    return format === 'center' ? ':---:' : format === 'right' ? '---:' : format === 'left' ? ':---' : '---';
  });
  const line = (cells: string[]) => `| ${Array.from({ length: columns }, (_, i) => cells[i] ?? '').join(' | ')} |`;
  return [line(grid[0]!), line(align), ...grid.slice(1).map(line)].join('\n');
}
