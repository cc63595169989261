/**
 * The normalisation the fidelity test applies to both the source file and the exported file before
 * comparing them. Every rule is a difference in spelling, not in meaning (CommonMark renders both
 * sides the same), or a documented limit of the format (see docs/markdown.md):
 *
 *  1. Line endings: CRLF and CR become LF; trailing spaces and tabs at the end of a line are dropped.
 *  2. Fenced code blocks are compared line by line, exactly, except that a closing fence is compared
 *     as its opening fence's run.
 *  3. Soft-wrapped lines are joined: a line that continues a paragraph, list item or quote is
 *     appended to the previous line with one space (Commonplace stores paragraphs, not line wraps).
 *     Hard breaks (`\` or two spaces at the end of a line) are compared as `\`.
 *  4. Blank lines: runs of blank lines count as one; blank lines between list items (loose vs tight
 *     lists) are dropped; leading and trailing blank lines are dropped.
 *  5. List markers: `*` and `+` bullets are compared as `-`; `1)` as `1.`; indentation of nested
 *     items is compared as depth (two spaces per level), not as columns.
 *  6. Emphasis markers: `_x_` and `__x__` are compared as `*x*` and `**x**`.
 *  7. Runs of spaces inside a line are compared as one space (outside code).
 *  8. Quote markers: `>` followed by no space is compared as `> `.
 *  9. Fence info strings: "``` js" is compared as "```js".
 * 10. A list directly after a paragraph is compared the same with or without a blank line before it.
 */

const FENCE = /^(\s*)(`{3,}|~{3,})/;
const LIST = /^(\s*)([-*+]|\d{1,9}[.)])\s+(?=\S)/;

/** `_` and `__` that open or close emphasis become `*` and `**`; `_` inside words stays. */
function emphasisMarkers(line: string): string {
  // Leave code spans alone.
  return line
    .split(/(`+[^`]*?`+)/)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part.replace(/(\\?)(_{1,3})/g, (run: string, escape: string, unders: string, offset: number) => {
        if (escape) return run;
        const before = part[offset - 1] ?? ' ';
        const after = part[offset + run.length] ?? ' ';
        const word = /[\p{L}\p{N}]/u;
        if (word.test(before) && word.test(after)) return run;
        const left = !/\s/u.test(after);
        const right = !/\s/u.test(before);
        return left || right ? '*'.repeat(unders.length) : run;
      });
    })
    .join('');
}

export function normaliseMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  let blankPending = false;
  let inList = false;
  const depths: number[] = [];
  for (const raw of lines) {
    const line = raw.replace(/[ \t]+$/, '');
    if (fence !== null) {
      const close = FENCE.exec(line);
      if (close && close[2]!.startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') {
        out.push(fence);
        fence = null;
      } else out.push(raw.replace(/[ \t]+$/, ''));
      continue;
    }
    const open = FENCE.exec(line);
    if (open) {
      if (blankPending && out.length) out.push('');
      blankPending = false;
      fence = open[2]!;
      out.push(line.trim().replace(/^(`{3,}|~{3,})[ \t]+/, '$1'));
      inList = false;
      continue;
    }
    if (line.trim() === '') {
      blankPending = true;
      continue;
    }
    const hard = /( {2,}|\\)$/.test(raw.replace(/\t+$/, '')) ? '\\' : '';
    let text = line.replace(/\\$/, '').trimEnd();
    const list = LIST.exec(text);
    if (list) {
      const indent = list[1]!.replace(/\t/g, '    ').length;
      while (depths.length && depths[depths.length - 1]! > indent) depths.pop();
      if (!depths.length || depths[depths.length - 1]! < indent) depths.push(indent);
      const marker = /^\d/.test(list[2]!) ? list[2]!.replace(')', '.') : '-';
      text = '  '.repeat(depths.length - 1) + marker + ' ' + emphasisMarkers(text.slice(list[0].length).replace(/ {2,}/g, ' '));
      // A list may follow a paragraph with or without a blank line (CommonMark renders both alike).
      if (blankPending && !inList && out.length && out[out.length - 1] !== '') out.push('');
      if (!inList && out.length && out[out.length - 1] === '') out.pop();
      out.push(text + hard);
      inList = true;
      blankPending = false;
      continue;
    }
    text = emphasisMarkers(text.trim().replace(/^>(?=\S)/, '> ').replace(/ {2,}/g, ' '));
    const previous = out[out.length - 1];
    const continues = !blankPending && previous !== undefined && previous !== '' && !/^#{1,6}\s/.test(previous) && !/^#{1,6}\s/.test(text) && !FENCE.test(previous) && !(text.startsWith('>') !== previous.trimStart().startsWith('>'));
    if (continues && !previous.endsWith('\\')) {
      out[out.length - 1] = previous + ' ' + (text.startsWith('>') && previous.trimStart().startsWith('>') ? text.replace(/^>\s?/, '') : text);
      if (hard) out[out.length - 1] += hard;
      continue;
    }
    if (blankPending && out.length) {
      out.push('');
      inList = false;
      depths.length = 0;
    }
    blankPending = false;
    out.push(text + hard);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}
