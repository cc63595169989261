/**
 * The files of one space as a window sees them: adding a file (hashed here, stored by the host in
 * chunks) and showing one (read from the host into a blob URL); fetching what this device lacks from
 * peers is SpaceFiles' (what the member looks at first, the rest in the background).
 */
import { cleanFileName, formatBytes, isShownInline, readImageFacts, toHex, type ImageFacts } from '../../shared/attachments/attachment';
import type { AttachmentFacts } from '../../shared/attachments/attachment-node';
import { SpaceFiles } from '../../shared/attachments/space-files';
import { MAX_ATTACHMENT_READ_BYTES, type HostApi } from '../../shared/host-api';

/** Blob URLs kept for images no view shows any more (a note with many photos scrolls back without reading again). */
const URLS_KEPT = 64;

export type AttachmentAvailability =
  | { state: 'stored' }
  | { state: 'checking' }
  | { state: 'fetching'; received: number; size: number }
  | { state: 'unavailable' };

export class AttachmentTooLarge extends Error {}

/** A file a note says is an image, whose own bytes are no image this page draws (or one too large to decode safely). */
export class NotShownInline extends Error {
  constructor(readonly facts: ImageFacts | null) {
    super(facts ? `an image of ${facts.width}×${facts.height} pixels, too large to show here` : 'not an image this page shows');
  }
}

/** After the next frame (or 100 ms, in a window that is not drawing). */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100);
  });
}

/** The lower-case hex SHA-256 of bytes (WebCrypto: off the main thread). */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

export class SpaceAttachments extends SpaceFiles {
  /** Blob URLs of images shown lately, with how many views hold each. */
  private readonly images = new Map<string, { url: Promise<string>; refs: number }>();

  constructor(spaceId: string, host: HostApi) {
    super(spaceId, host, async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)), (message) => console.warn(`space ${spaceId}: ${message}`));
  }

  /** Where a file stands on this device: stored, being fetched, or not to be had from anyone online. */
  availability(hash: string): AttachmentAvailability {
    if (this.stored.has(hash)) return { state: 'stored' };
    const state = this.exchange.state(hash);
    if (state?.state === 'fetching') return state;
    if (state?.state === 'unavailable') return { state: 'unavailable' };
    return { state: 'checking' };
  }

  /**
   * Makes sure a file the member looks at is here: checks the host, then asks peers ahead of the
   * background. Resolves whether it is stored.
   */
  async ensure(hash: string): Promise<boolean> {
    if (await this.has(hash)) {
      this.changed(hash);
      return true;
    }
    const stored = await this.exchange.fetch(hash);
    this.changed(hash);
    return stored;
  }

  /**
   * A blob URL of a stored image to draw, held until `release` (a URL in use is never revoked). The
   * bytes decide: an image is drawn only if its own header (not what the note says, which any member
   * may have written) names a type and size the page can afford; otherwise the promise rejects with
   * NotShownInline, and the view shows a chip.
   */
  acquireImage(hash: string): { url: Promise<string>; release: () => void } {
    let entry = this.images.get(hash);
    if (!entry) {
      const url = this.readAll(hash).then((parts) => {
        const facts = parts[0] ? readImageFacts(parts[0].subarray(0, 512 * 1024)) : null;
        if (!facts || !isShownInline(facts.mime, facts.width, facts.height)) throw new NotShownInline(facts);
        return URL.createObjectURL(new Blob(parts, { type: facts.mime }));
      });
      entry = { url, refs: 0 };
      url.catch(() => this.images.get(hash) === entry && this.images.delete(hash));
      this.images.set(hash, entry);
    }
    const held = entry;
    held.refs++;
    // Most recently used last: trimming starts from the front.
    this.images.delete(hash);
    this.images.set(hash, held);
    let released = false;
    return {
      url: held.url,
      release: () => {
        if (released) return;
        released = true;
        held.refs--;
        this.trimImages();
      },
    };
  }

  private trimImages(): void {
    let unused = [...this.images.values()].filter((e) => e.refs === 0).length;
    for (const [hash, entry] of this.images) {
      if (unused <= URLS_KEPT) break;
      if (entry.refs > 0) continue;
      this.images.delete(hash);
      unused--;
      void entry.url.then((u) => URL.revokeObjectURL(u), () => {});
    }
  }

  /** Saves a stored file through the browser, as an opaque download (never a page of this origin). */
  async download(hash: string, name: string): Promise<void> {
    const url = URL.createObjectURL(new Blob(await this.readAll(hash), { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.rel = 'noopener';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  private async readAll(hash: string): Promise<Uint8Array<ArrayBuffer>[]> {
    const [size] = (await this.host.call('attachment.stat', { spaceId: this.spaceId, hashes: [hash] })).sizes;
    if (size === null || size === undefined) throw new Error('not on this device');
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let offset = 0; offset < size; offset += MAX_ATTACHMENT_READ_BYTES) {
      const { bytes } = await this.host.call('attachment.read', { spaceId: this.spaceId, hash, offset, length: MAX_ATTACHMENT_READ_BYTES });
      parts.push(bytes as Uint8Array<ArrayBuffer>);
    }
    return parts;
  }

  /**
   * Adds a file: checks the limit, hashes it, and has the host store it. Resolves with the node's facts
   * as soon as the file can be shown (the bytes are already in a blob URL here); `stored` resolves once
   * the host has every chunk.
   */
  async add(file: File, by: string): Promise<{ facts: AttachmentFacts; stored: Promise<void> }> {
    if (file.size > this.limitBytes) throw new AttachmentTooLarge(`${cleanFileName(file.name)} is ${formatBytes(file.size)}: attachments are limited to ${formatBytes(this.limitBytes)}.`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const hash = await sha256Hex(bytes);
    const image = readImageFacts(bytes.subarray(0, Math.min(bytes.byteLength, 512 * 1024)));
    const facts: AttachmentFacts = {
      hash,
      name: cleanFileName(file.name || (image ? `image.${image.mime.split('/')[1]!.replace('+xml', '')}` : 'file')),
      mime: image?.mime ?? (file.type || 'application/octet-stream'),
      size: bytes.byteLength,
      alt: '',
      width: image?.width ?? 0,
      height: image?.height ?? 0,
      by,
    };
    // Shown from the bytes in hand, before the host has them (facts read from those bytes: no need to read them again).
    if (image && isShownInline(image.mime, image.width, image.height) && !this.images.has(hash)) {
      this.images.set(hash, { url: Promise.resolve(URL.createObjectURL(new Blob([bytes], { type: image.mime }))), refs: 0 });
      this.trimImages();
    }
    // The host gets it once the image has had its frame (the chunks' encoding would otherwise delay the first paint).
    const stored = afterNextPaint().then(() => this.upload(hash, bytes));
    return { facts, stored };
  }

  override destroy(): void {
    super.destroy();
    for (const { url } of this.images.values()) void url.then((u) => URL.revokeObjectURL(u), () => {});
    this.images.clear();
  }
}
