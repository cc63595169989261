/**
 * How attachments are written in Markdown and read back: image and link forms, Obsidian embeds, alt
 * text, and a file's type from its name.
 */
import type { AttachmentFacts } from '../attachments/attachment-node';
import { escapeLinkText } from './markdown-escape';

/** A file's type by its extension, when its bytes are no image the page shows (an image's bytes give its type). */
const TYPES_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  zip: 'application/zip',
  epub: 'application/epub+zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  heic: 'image/heic',
  tif: 'image/tiff',
  tiff: 'image/tiff',
};

/** A file's type from its name's extension (`application/octet-stream` when unknown). */
export function typeFromName(name: string): string {
  const extension = /\.([A-Za-z0-9]{1,10})$/.exec(name)?.[1]?.toLowerCase();
  return (extension && TYPES_BY_EXTENSION[extension]) || 'application/octet-stream';
}

function isImage(facts: AttachmentFacts): boolean {
  return facts.mime.startsWith('image/');
}

/** `![[file]]`, `![[file#page=2]]`, `![[file|alt]]`, `![[file|300]]`: the target as a wiki-link's. */
export const EMBED_PATTERN = /!\[\[([^[\]\n|#^]+)(?:#[^[\]\n|]*)?(?:\|([^[\]\n]*))?\]\]/;
/** `![alt](destination "title")`, the destination raw or in <pointy brackets>; no two parts match the same text. */
export const IMAGE_PATTERN = /!\[((?:\\.|[^\\[\]\n])*)\]\(\s*(?:<((?:\\.|[^<>\n\\])*)>|((?:\\\S|\([^\s()]*\)|[^\s()\\])+))(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/;

/** Text with Markdown's backslash escapes undone, as the importer reads it. */
export function unescapeMarkdown(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** An embed's text after `|`: Obsidian's sizes (`300`, `300x200`) are not alt text. */
export function embedAlt(written: string): string {
  return written
    .split('|')
    .filter((part) => !/^\s*\d+(x\d+)?\s*$/.test(part))
    .join('|')
    .trim();
}

/** Alt text as the importer keeps it: '' when it only repeats the file's name. */
export function altFor(written: string, name: string): string {
  const alt = written.replace(/\s+/g, ' ').trim();
  return alt === name ? '' : alt;
}

/** An attachment as a Markdown image (images) or link (other files) to `href` (already encoded). */
export function attachmentLink(facts: AttachmentFacts, href: string, fileName: string): string {
  const alt = facts.alt.replace(/\s+/g, ' ').trim();
  return isImage(facts) ? `![${escapeLinkText(alt)}](${href})` : `[${escapeLinkText(alt || fileName)}](${href})`;
}

/** An attachment as an Obsidian embed (Obsidian embeds any file this way). */
export function attachmentEmbed(facts: AttachmentFacts, fileName: string): string {
  const alt = facts.alt.replace(/[[\]|\s]+/g, ' ').trim();
  return alt && alt !== fileName ? `![[${fileName}|${alt}]]` : `![[${fileName}]]`;
}
