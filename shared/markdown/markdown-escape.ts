/**
 * Escaping for exported Markdown: only what would change meaning when read back, so text written by
 * people comes back as they wrote it (`snake_case`, `~45s`, `C:\Users` stay unescaped).
 */

/** A private-use character that stands in for a character Lexical's exporter must not escape. */
const KEEP = '\uE000';
const PUNCTUATION = /[!-/:-@[-`{-~]/;
const WORD = /[\p{L}\p{N}]/u;

/**
 * Marks the characters of plain text that need no escape, so Lexical's exporter (which escapes every
 * `*`, `_`, `` ` ``, `~` and `\`) leaves them alone; `restoreKept` undoes the marks afterwards.
 * Returns null when the text already holds the marker character (then the default escaping applies).
 */
export function protectUnescapedCharacters(text: string): string | null {
  if (text.includes(KEEP)) return null;
  // Where a `_` could open or close emphasis (CommonMark flanking, simplified to the run's own text).
  const space = (c: string | undefined) => c === undefined || /\s/.test(c);
  const opens = new Set<number>();
  const closes = new Set<number>();
  // A `_` pairs when it can open and some `_` after it can close, or can close and some `_` before it can open.
  let firstOpen = Infinity;
  let lastClose = -Infinity;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '_') continue;
    const prev = text[i - 1];
    const next = text[i + 1];
    if (!space(next) && !(prev !== undefined && WORD.test(prev))) {
      opens.add(i);
      firstOpen = Math.min(firstOpen, i);
    }
    if (!space(prev) && !(next !== undefined && WORD.test(next))) {
      closes.add(i);
      lastClose = i;
    }
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const prev = text[i - 1];
    const next = text[i + 1];
    // Inside a word, `_` can neither open nor close emphasis (CommonMark; Lexical's `_` is not intraword),
    // and a `_` with nothing to pair with in its run is text as written (`_tr_anslate`, `_Devices.`).
    if (c === '_' && prev !== undefined && next !== undefined && WORD.test(prev) && WORD.test(next)) out += KEEP + '_';
    else if (c === '_' && !(opens.has(i) && lastClose > i) && !(closes.has(i) && firstOpen < i)) out += KEEP + '_';
    // A lone `~` is text; only `~~` is strikethrough.
    else if (c === '~' && prev !== undefined && next !== undefined && prev !== '~' && next !== '~') out += KEEP + '~';
    // A backslash only escapes ASCII punctuation; before anything else it is a literal backslash.
    else if (c === '\\' && next !== undefined && !PUNCTUATION.test(next)) out += KEEP + '\\';
    // A run of backticks is written as character references: `\`\`` can still read as a code span.
    else if (c === '`' && (prev === '`' || next === '`')) out += '&#96;';
    else out += c;
  }
  return out;
}

/** Removes the escapes Lexical added to characters marked by `protectUnescapedCharacters`. */
export function restoreKept(markdown: string): string {
  return markdown.replace(/\uE000\\?(.)/gsu, '$1');
}

/**
 * Escapes the start of a paragraph line that Markdown would read as a block: a heading, quote, list
 * item, fence, table, HTML block, footnote or link definition, math block or thematic break.
 */
export function escapeBlockStart(line: string): string {
  if (/^#{1,6}(\s|$)/.test(line)) return '\\' + line;
  if (/^[>|<+-]/.test(line) && /^(>|\||<[A-Za-z!/?]|[+-](\s|$)|-{3,}\s*$)/.test(line)) return '\\' + line;
  if (/^\d{1,9}[.)](\s|$)/.test(line)) return line.replace(/^(\d+)([.)])/, '$1\\$2');
  if (/^\[\^?[^\]]*\]:/.test(line)) return '\\' + line;
  if (/^\$\$/.test(line)) return '\\' + line;
  if (/^=+\s*$/.test(line)) return '\\' + line;
  // Leading spaces would be trimmed or read as an indented code block.
  if (/^[ \t]/.test(line)) return line.replace(/^[ \t]+/, (ws) => [...ws].map((ch) => (ch === '\t' ? '&#9;' : '&#32;')).join(''));
  return line;
}

/** Escapes text for the inside of a Markdown link label. */
export function escapeLinkText(text: string): string {
  return text.replace(/([\\[\]*_`~<])/g, '\\$1');
}

/** A link destination that survives spaces, parentheses and non-ASCII names. */
export function encodeLinkPath(path: string): string {
  return path
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%2F/gi, '/'))
    .join('/')
    .replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'));
}

/**
 * Emphasis that runs across a link: Lexical writes each text run apart (`*see* [*the guide*](u)*.*`),
 * since a link is an element of its own. Joined again, it reads as it was written
 * (`*see [the guide](u).*`); both render the same.
 */
export function joinEmphasisAroundLinks(line: string): string {
  return line.replace(
    /(?:(?<![*\\])\*([^*\n]+?)\*( ?))?\[\*([^*\]\n]+)\*\]\(([^()\s]*)\)(?:( ?)\*([^*\n]+?)\*(?!\*))?/g,
    (whole, before: string | undefined, gap1: string | undefined, label: string, href: string, gap2: string | undefined, after: string | undefined) =>
      before === undefined && after === undefined ? whole : `*${before ?? ''}${gap1 ?? ''}[${label}](${href})${gap2 ?? ''}${after ?? ''}*`,
  );
}
