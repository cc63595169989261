/** File and folder names that are valid on Windows, macOS and Linux, and unique in their folder. */
import { MAX_FILE_NAME_BYTES } from './limits';

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const encoder = new TextEncoder();

function cutToBytes(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = encoder.encode(ch).length;
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/** A name's safe form: no separators, control or reserved characters, reserved names or trailing dots. */
export function safeBaseName(title: string, fallback = 'Untitled'): string {
  let name = title
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/[/\\:*?"<>|]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (!name) name = fallback;
  if (RESERVED.test(name)) name = `${name}_`;
  return name;
}

/** Picks unique, safe names within one folder (compared case-insensitively, as macOS and Windows do). */
export class FolderNames {
  private readonly taken = new Set<string>();

  constructor(reserved: string[] = []) {
    for (const name of reserved) this.taken.add(name.normalize('NFC').toLowerCase());
  }

  /** A unique `<name><extension>` for a title; the extension includes its dot ('' for folders). */
  pick(title: string, extension: string): string {
    const room = MAX_FILE_NAME_BYTES - encoder.encode(extension).length;
    const base = safeBaseName(cutToBytes(safeBaseName(title), room - 6));
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? '' : ` ${n}`;
      const candidate = safeBaseName(cutToBytes(base, room - encoder.encode(suffix).length)) + suffix + extension;
      const key = candidate.toLowerCase();
      if (!this.taken.has(key)) {
        this.taken.add(key);
        return candidate;
      }
    }
  }
}

/**
 * A path from an archive or a folder listing as forward-slash segments, or null when it is absolute,
 * climbs out with `..`, or holds a segment no file system accepts.
 */
export function safeRelativePath(path: string): string | null {
  const unified = path.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) return null;
  const segments = unified.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return null;
  // eslint-disable-next-line no-control-regex -- control characters make a name unsafe
  if (segments.some((s) => s === '..' || /[\u0000-\u001f]/.test(s))) return null;
  return segments.join('/');
}

/** The folder part of a forward-slash path ('' at the root). */
export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

/** Joins a relative link to the folder of the file it is in; null when it leaves the import. */
export function resolveRelative(fromDir: string, href: string): string | null {
  let target = href.split('#')[0]!.split('?')[0]!;
  if (target.startsWith('<') && target.endsWith('>')) target = target.slice(1, -1);
  try {
    target = decodeURIComponent(target);
  } catch {
    // keep it as written
  }
  if (!target) return null;
  const parts = target.startsWith('/') ? [] : fromDir.split('/').filter(Boolean);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(segment);
  }
  return parts.join('/');
}

/** App settings, trash and version control in a vault or zip: never notes, never attachments. */
export function isIgnoredPath(path: string): boolean {
  return /(^|\/)(\.obsidian|\.trash|\.git|__MACOSX)(\/|$)/.test(path);
}
