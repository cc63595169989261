/** YAML front matter: split from a file, read leniently, and written for exports. */
import { parse, stringify } from 'yaml';

export interface FrontMatter {
  /** The parsed mapping, or null when there was none or it was not valid YAML. */
  data: Record<string, unknown> | null;
  /** The front matter block as written (with its fences), when present. */
  raw: string | null;
  body: string;
  error: string | null;
}

/** Splits `---` front matter from a Markdown file; invalid YAML is reported, never thrown. */
export function splitFrontMatter(text: string): FrontMatter {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return { data: null, raw: null, body: text, error: null };
  const raw = match[0];
  const body = text.slice(raw.length);
  try {
    const data: unknown = parse(match[1]!, { maxAliasCount: 100, prettyErrors: false, uniqueKeys: false });
    if (data === null || data === undefined) return { data: {}, raw, body, error: null };
    if (typeof data !== 'object' || Array.isArray(data)) return { data: null, raw, body, error: 'front matter is not a YAML mapping' };
    return { data: data as Record<string, unknown>, raw, body, error: null };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { data: null, raw, body, error: `front matter is not valid YAML (${message})` };
  }
}

/** Tags from `tags`/`tag`: a list, or a string of comma- (or space-) separated tags. */
export function frontMatterTags(data: Record<string, unknown>): string[] {
  const tags: string[] = [];
  for (const key of ['tags', 'tag']) {
    const value = data[key];
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,\s]+/) : [];
    for (const item of items) if (typeof item === 'string' || typeof item === 'number') tags.push(String(item));
  }
  return tags.map((t) => t.trim().replace(/^#+/, '').trim()).filter(Boolean);
}

/** Other names a note answers to in [[wiki-links]] (Obsidian's `aliases`). */
export function frontMatterAliases(data: Record<string, unknown>): string[] {
  const value = data.aliases ?? data.alias;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.filter((a): a is string => typeof a === 'string').map((a) => a.trim()).filter(Boolean);
}

/** A time from front matter (ISO 8601 string, a YAML date, or epoch milliseconds), or null if invalid. */
export function frontMatterTime(value: unknown): number | null {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : null;
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 && value < 8.64e15 ? value : null;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return null;
  const time = Date.parse(value.trim());
  return Number.isFinite(time) ? time : null;
}

export function frontMatterString(value: unknown): string | null {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number') return String(value);
  return null;
}

/** Writes front matter for an exported note; keys in a fixed order so exports diff cleanly. */
export function formatFrontMatter(fields: Record<string, unknown>): string {
  const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
  return `---\n${stringify(clean, { lineWidth: 0 })}---\n`;
}
