/**
 * The files of one space as a window sees them: adding a file (hashed here, stored by the host in
 * chunks), showing one (read from the host into a blob URL), and fetching what this device lacks from
 * peers (`AttachmentExchange` on the space's data channels): what the member looks at first, the
 * rest of what the space's notes show in the background.
 */
import { ObservableV2 } from 'lib0/observable';
import { AttachmentExchange, type AttachmentSource, type FetchState } from '../../shared/attachments/attachment-exchange';
import { ATTACHMENT_CHUNK_BYTES, chunkCount, cleanFileName, DEFAULT_ATTACHMENT_LIMIT_BYTES, formatBytes, isShownInline, readImageFacts, toHex, type ImageFacts } from '../../shared/attachments/attachment';
import type { AttachmentFacts } from '../../shared/attachments/attachment-node';
import { MAX_ATTACHMENT_READ_BYTES, type HostApi } from '../../shared/host-api';
import { errorMessage } from '../../shared/errors';

/** Chunk writes to the host in flight while adding a file. */
const UPLOADS_IN_FLIGHT = 4;
/** Blob URLs kept for images no view shows any more (a note with many photos scrolls back without reading again). */
const URLS_KEPT = 64;
/** The background asks the host what is missing at most this often. */
const MISSING_CHECK_MS = 5_000;

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

/** Hands a file to the host in chunks (a few in flight); resolves once the host has checked and kept it. */
export async function uploadAttachment(host: HostApi, spaceId: string, hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
  const total = chunkCount(bytes.byteLength);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const offset = next++ * ATTACHMENT_CHUNK_BYTES;
      await host.call('attachment.write', { spaceId, hash, size: bytes.byteLength, offset, bytes: bytes.subarray(offset, offset + ATTACHMENT_CHUNK_BYTES) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOADS_IN_FLIGHT, total) }, worker));
}

export class SpaceAttachments {
  readonly exchange: AttachmentExchange;
  /** Blob URLs of images shown lately, with how many views hold each. */
  private readonly images = new Map<string, { url: Promise<string>; refs: number }>();
  private readonly stored = new Set<string>();
  private readonly events = new ObservableV2<{ change: (hash: string) => void }>();
  private readonly cleanups: Array<() => void> = [];
  private limit = DEFAULT_ATTACHMENT_LIMIT_BYTES;
  private missingTimer: ReturnType<typeof setTimeout> | null = null;
  private lastMissingCheck = 0;
  private destroyed = false;

  constructor(
    readonly spaceId: string,
    private readonly host: HostApi,
  ) {
    const source: AttachmentSource = {
      chunks: async (hash) => {
        const { size, hashes } = await host.call('attachment.chunks', { spaceId, hash });
        return size === null ? null : { size, hashes };
      },
      read: async (hash, offset, length) => (await host.call('attachment.read', { spaceId, hash, offset, length })).bytes,
      write: async (hash, size, offset, bytes) => (await host.call('attachment.write', { spaceId, hash, size, offset, bytes })).complete,
      has: (hash) => this.has(hash),
      sha256: async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)),
    };
    this.exchange = new AttachmentExchange(source, { warn: (message) => console.warn(`space ${spaceId}: ${message}`), limit: () => this.limit });
    this.exchange.on('state', (hash, state: FetchState) => {
      if (state.state === 'stored') this.stored.add(hash);
      this.events.emit('change', [hash]);
    });
    this.cleanups.push(
      host.on('space.attachment', (event) => {
        if (event.spaceId !== spaceId) return;
        this.stored.add(event.hash);
        this.events.emit('change', [event.hash]);
        this.exchange.announce(event.hash);
      }),
      // Notes changed: they may show files this device lacks.
      host.on('space.indexed', (event) => event.spaceId === spaceId && this.scheduleMissingCheck()),
    );
    void host.call('app.info', {}).then((info) => (this.limit = info.attachmentLimit), () => {});
  }

  /** The largest file the host stores. */
  get limitBytes(): number {
    return this.limit;
  }

  /** A peer connected or left: fetch in the background what the notes show and this device lacks. */
  peersChanged(): void {
    if (this.exchange.peers > 0) this.scheduleMissingCheck();
  }

  private scheduleMissingCheck(): void {
    if (this.missingTimer !== null || this.destroyed) return;
    const wait = Math.max(0, this.lastMissingCheck + MISSING_CHECK_MS - Date.now());
    this.missingTimer = setTimeout(() => {
      this.missingTimer = null;
      this.lastMissingCheck = Date.now();
      if (this.exchange.peers === 0) return;
      this.host.call('attachment.missing', { spaceId: this.spaceId }).then(
        ({ missing }) => this.exchange.want(missing.map((m) => m.hash)),
        (error: unknown) => console.warn(`space ${this.spaceId}: missing attachments: ${errorMessage(error)}`),
      );
    }, wait);
  }

  async has(hash: string): Promise<boolean> {
    if (this.stored.has(hash)) return true;
    const [size] = (await this.host.call('attachment.stat', { spaceId: this.spaceId, hashes: [hash] })).sizes;
    if (size === null || size === undefined) return false;
    this.stored.add(hash);
    return true;
  }

  onChange(listener: (hash: string) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
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
      this.events.emit('change', [hash]);
      return true;
    }
    const stored = await this.exchange.fetch(hash);
    this.events.emit('change', [hash]);
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
    if (file.size > this.limit) throw new AttachmentTooLarge(`${cleanFileName(file.name)} is ${formatBytes(file.size)}: attachments are limited to ${formatBytes(this.limit)}.`);
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

  private async upload(hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    if (await this.has(hash)) return;
    await uploadAttachment(this.host, this.spaceId, hash, bytes);
    this.stored.add(hash);
    this.events.emit('change', [hash]);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.missingTimer !== null) clearTimeout(this.missingTimer);
    for (const cleanup of this.cleanups) cleanup();
    this.exchange.destroy();
    for (const { url } of this.images.values()) void url.then((u) => URL.revokeObjectURL(u), () => {});
    this.images.clear();
  }
}
