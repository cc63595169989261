/** Class names Lexical puts on what it renders; styled in styles.css. */
import type { EditorThemeClasses } from 'lexical';

export const editorTheme: EditorThemeClasses = {
  paragraph: 'ed-p',
  heading: { h1: 'ed-h1', h2: 'ed-h2', h3: 'ed-h3' },
  quote: 'ed-quote',
  link: 'ed-link',
  hr: 'ed-hr',
  mark: 'ed-comment-mark',
  table: 'ed-table',
  tableCell: 'ed-table-cell',
  tableCellHeader: 'ed-table-cell-header',
  tableSelection: 'ed-table-selection',
  tableCellSelected: 'ed-table-cell-selected',
  markOverlap: 'ed-comment-mark-overlap',
  code: 'ed-code',
  list: {
    ul: 'ed-ul',
    ol: 'ed-ol',
    listitem: 'ed-li',
    listitemChecked: 'ed-li-checked',
    listitemUnchecked: 'ed-li-unchecked',
    nested: { listitem: 'ed-li-nested' },
  },
  text: {
    bold: 'ed-bold',
    italic: 'ed-italic',
    underline: 'ed-underline',
    strikethrough: 'ed-strike',
    underlineStrikethrough: 'ed-underline-strike',
    code: 'ed-inline-code',
  },
};
