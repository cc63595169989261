/**
 * Prepares a Markdown body for Lexical's line-based importer: blocks Commonplace cannot represent
 * become verbatim code blocks (kept, never dropped), and nesting deeper than the editor can hold is
 * flattened so hostile input cannot exhaust the stack.
 */
import { TABLE_LANGUAGE, VERBATIM_LANGUAGE } from './file-transformers';
import { parseMarkdownTable } from './markdown-table';

/** Lists and quotes nest at most this deep; deeper lines are kept at this depth. */
export const MAX_NESTING = 16;
const MAX_INDENT = MAX_NESTING * 4;

export interface PreprocessResult {
  markdown: string;
  /** What the importer changed on the way (one message per kind). */
  warnings: string[];
}

const FENCE = /^[ \t]{0,3}(`{3,}|~{3,})/;
// Written so no two adjacent parts can match the same spaces: linear time on hostile lines.
const TABLE_DELIMITER = /^[ \t]*(?:\|[ \t]*)?:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*(?:\|[ \t]*)?$/;
const HTML_BLOCK = /^[ \t]{0,3}<(\/?[A-Za-z][A-Za-z0-9-]*(\s|\/?>|$)|!--|\?|![A-Z])/;
const DEFINITION = /^[ \t]{0,3}\[(\^[^\]]+|[^\]]+)\]:/;
const MATH_FENCE = /^[ \t]{0,3}\$\$/;
/** Stands in for a backslash inside a code span: Lexical's importer would otherwise unescape it. */
export const CODE_BACKSLASH = '\uE001';
const CODE_SPAN = /(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g;

/** Backslashes in code spans are literal; hide them from the importer's unescaping. */
function protectCodeSpans(line: string): string {
  if (!line.includes('\\') || !line.includes('`')) return line;
  return line.replace(CODE_SPAN, (span) => span.replace(/\\/g, CODE_BACKSLASH));
}

function fenceFor(lines: string[]): string {
  let longest = 2;
  for (const line of lines) for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(longest + 1);
}

/** Lines kept exactly as written: a code block the exporter writes back without its fence. */
export function verbatimBlock(lines: string[], language = VERBATIM_LANGUAGE): string {
  const fence = fenceFor(lines);
  return [`${fence}${language}`, ...lines, fence].join('\n');
}

/** Expands leading tabs and caps indentation and quote depth. */
function clampNesting(line: string, note: (warning: string) => void): string {
  const lead = /^[ \t>]*/.exec(line)![0];
  if (lead.length <= MAX_INDENT) return line;
  let columns = 0;
  let quotes = 0;
  for (const ch of lead) {
    if (ch === '>') quotes++;
    else columns += ch === '\t' ? 4 : 1;
  }
  if (columns <= MAX_INDENT && quotes <= MAX_NESTING) return line;
  note(`nesting deeper than ${MAX_NESTING} levels was flattened`);
  const rest = line.slice(lead.length);
  return (quotes ? '> '.repeat(Math.min(quotes, MAX_NESTING)) : '') + ' '.repeat(Math.min(columns, MAX_INDENT)) + rest;
}

/** Lines longer than this are kept verbatim: Lexical's inline matcher is slow on very long lines. */
export const MAX_INLINE_LINE = 20_000;

/** Runs of 4+ emphasis characters cannot be emphasis; escaped, they cost the inline matcher nothing. */
function escapeDelimiterRuns(line: string): string {
  if (!/([*_~])\1{3}/.test(line) || /^\s*([*_-])(\s*\1){2,}\s*$/.test(line)) return line;
  return line.replace(/(?<!\\)([*_~])\1{3,}/g, (run) => run.replace(/./g, '\\$&'));
}

/** Rewrites a Markdown body so Lexical's importer keeps everything in it. */
export function preprocessMarkdown(source: string): PreprocessResult {
  const warnings = new Set<string>();
  const note = (w: string) => warnings.add(w);
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const protectCode = !source.includes(CODE_BACKSLASH);
  const out: string[] = [];
  let fence: string | null = null;
  let previousBlank = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (fence !== null) {
      out.push(line);
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') fence = null;
      continue;
    }
    const open = FENCE.exec(line);
    if (open) {
      fence = open[1]!;
      // "``` js": Lexical's importer wants the language right after the fence.
      out.push(line.replace(/^([ \t]*(`{3,}|~{3,}))[ \t]+(?=\S)/, '$1'));
      previousBlank = false;
      continue;
    }
    // A block Commonplace cannot represent: collect it up to the next blank line (or its closing $$).
    const nextLine = lines[i + 1] ?? '';
    const startsTable =
      /^[ \t]{0,3}\|/.test(line) || (line.includes('|') && nextLine.length <= MAX_INLINE_LINE && nextLine.includes('-') && TABLE_DELIMITER.test(nextLine));
    const startsHtml = HTML_BLOCK.test(line);
    const startsDefinition = previousBlank && DEFINITION.test(line);
    const startsMath = MATH_FENCE.test(line);
    if (line.length > MAX_INLINE_LINE) {
      note(`a line longer than ${MAX_INLINE_LINE} characters was kept as text`);
      out.push(verbatimBlock([line]));
      previousBlank = false;
      continue;
    }
    const startsIndentedCode = previousBlank && /^( {4}|\t)/.test(line) && line.trim() !== '' && !isListContext(out);
    if (startsTable || startsHtml || startsDefinition || startsMath || startsIndentedCode) {
      const block: string[] = [line];
      if (startsMath && !/^\s*\$\$.*\$\$\s*$/.test(line)) {
        while (i + 1 < lines.length) {
          const next = lines[++i]!;
          block.push(next);
          if (MATH_FENCE.test(next)) break;
        }
      } else {
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== '' && !(startsIndentedCode && !/^( {4}|\t)/.test(lines[i + 1]!))) block.push(lines[++i]!);
      }
      if (startsHtml) note('HTML was kept as text');
      // A well-formed table becomes a table (after the importer, see note-markdown.ts); the rest is kept as text.
      out.push(startsTable && !startsHtml && parseMarkdownTable(block) ? verbatimBlock(block, TABLE_LANGUAGE) : verbatimBlock(block));
      previousBlank = false;
      continue;
    }
    const clamped = escapeDelimiterRuns(clampNesting(line, note));
    out.push(protectCode ? protectCodeSpans(clamped) : clamped);
    previousBlank = line.trim() === '';
  }
  return { markdown: out.join('\n'), warnings: [...warnings] };
}

/** Whether the block before the current line is a list (indented lines there continue it). */
function isListContext(out: string[]): boolean {
  for (let i = out.length - 1; i >= 0; i--) {
    const line = out[i]!;
    if (line.trim() === '') continue;
    return /^\s*([-*+]|\d{1,9}[.)])\s/.test(line) || /^\s{2,}/.test(line);
  }
  return false;
}
