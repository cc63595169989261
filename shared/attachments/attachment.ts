/**
 * What every part of Commonplace agrees on about an attachment: it is named by the SHA-256 of its bytes
 * (so a device stores it once, and a peer's bytes are checked against its name), travels in chunks of
 * ATTACHMENT_CHUNK_BYTES, and is shown inline only when it is an image whose size the page can afford.
 */
import { imageSize } from 'image-size';

/** Lower-case hex SHA-256: an attachment's name everywhere (store, note, wire). */
export type AttachmentHash = string;

export function isAttachmentHash(value: unknown): value is AttachmentHash {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** Default largest attachment a host stores (configurable per host). */
export const DEFAULT_ATTACHMENT_LIMIT_BYTES = 100 * 1024 * 1024;
/** Bytes of one chunk on the wire and in one host call (each checked against its own SHA-256). */
export const ATTACHMENT_CHUNK_BYTES = 256 * 1024;
/** Largest chunk list a peer may announce: a file at the largest limit a host can be given (2 GiB). */
export const MAX_ATTACHMENT_CHUNKS = (2 * 1024 * 1024 * 1024) / ATTACHMENT_CHUNK_BYTES;
/** Pixels an image may decode to and still be shown inline (a 50-megapixel photo is 200 MB decoded). */
export const MAX_INLINE_IMAGE_PIXELS = 64 * 1024 * 1024;
/** Longest side shown inline; beyond it an image is a file to save, whatever its pixel count. */
export const MAX_INLINE_IMAGE_SIDE = 32_768;

/** Image types the page shows inline, through <img> only (an SVG there never runs script). */
const INLINE_IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
};

export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_BYTES));
}

export interface ImageFacts {
  /** The type the bytes are, whatever the file's name says. */
  mime: string;
  width: number;
  height: number;
}

/**
 * The image type and dimensions read from a file's header (never by decoding it), or null when the bytes
 * are no image the page shows. A header that claims more than the page can afford still reads; see
 * `isShownInline`.
 */
export function readImageFacts(bytes: Uint8Array): ImageFacts | null {
  try {
    const { type, width, height } = imageSize(bytes);
    const mime = type ? INLINE_IMAGE_TYPES[type] : undefined;
    if (!mime || !(width > 0) || !(height > 0)) return null;
    return { mime, width, height };
  } catch {
    return null;
  }
}

/** Whether an image of these dimensions is drawn in the note (else it is a file to save). */
export function isShownInline(mime: string, width: number, height: number): boolean {
  if (!Object.values(INLINE_IMAGE_TYPES).includes(mime)) return false;
  if (!(width > 0 && height > 0)) return false;
  return width <= MAX_INLINE_IMAGE_SIDE && height <= MAX_INLINE_IMAGE_SIDE && width * height <= MAX_INLINE_IMAGE_PIXELS;
}

/** A file name as a note may show and an export may start from: no folders, no control characters, bounded. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = [...base].filter((c) => c >= ' ' && c !== '\u007f').join('').trim().slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? 'attachment' : clean;
}

/** Lower-case hex of bytes (a SHA-256 digest as an attachment's name). */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** A size as people read it (units of 1024, as file managers on Windows do): 812 B, 4.2 KB, 100 MB. */
export function formatBytes(size: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}
