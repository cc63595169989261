/**
 * The files of one space as a peer of it sees them, wherever it runs (a window, an always-on host):
 * stored by its host (the host API's attachment.* methods), fetched from the space's peers by an
 * AttachmentExchange, in the background for what the notes show and this device lacks, and announced
 * to peers when one arrives.
 */
import { ObservableV2 } from 'lib0/observable';
import { errorMessage } from '../errors';
import type { HostApi } from '../host-api';
import { ATTACHMENT_CHUNK_BYTES, chunkCount, DEFAULT_ATTACHMENT_LIMIT_BYTES } from './attachment';
import { AttachmentExchange } from './attachment-exchange';

/** The background asks the host what is missing at most this often. */
const MISSING_CHECK_MS = 5_000;
/** Chunk writes to the host in flight while adding a file. */
const UPLOADS_IN_FLIGHT = 4;

/** Hands a file to the host in chunks (a few in flight); resolves once the host has checked and kept it. */
export async function uploadAttachment(host: Pick<HostApi, 'call'>, spaceId: string, hash: string, bytes: Uint8Array): Promise<void> {
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

export class SpaceFiles {
  readonly exchange: AttachmentExchange;
  /** Files known to be on this device. */
  protected readonly stored = new Set<string>();
  private readonly events = new ObservableV2<{ change: (hash: string) => void }>();
  private readonly cleanups: Array<() => void> = [];
  private limit = DEFAULT_ATTACHMENT_LIMIT_BYTES;
  private missingTimer: ReturnType<typeof setTimeout> | null = null;
  private lastMissingCheck = 0;
  private destroyed = false;

  constructor(
    readonly spaceId: string,
    protected readonly host: HostApi,
    /** SHA-256 as this runtime has it (WebCrypto in a page, node:crypto in Node). */
    sha256: (bytes: Uint8Array) => Promise<Uint8Array>,
    private readonly warn: (message: string) => void,
  ) {
    this.exchange = new AttachmentExchange(
      {
        chunks: async (hash) => {
          const { size, hashes } = await host.call('attachment.chunks', { spaceId, hash });
          return size === null ? null : { size, hashes };
        },
        read: async (hash, offset, length) => (await host.call('attachment.read', { spaceId, hash, offset, length })).bytes,
        write: async (hash, size, offset, bytes) => (await host.call('attachment.write', { spaceId, hash, size, offset, bytes })).complete,
        has: (hash) => this.has(hash),
        sha256,
      },
      { warn, limit: () => this.limit },
    );
    this.exchange.on('state', (hash, state) => {
      if (state.state === 'stored') this.stored.add(hash);
      this.changed(hash);
    });
    this.cleanups.push(
      host.on('space.attachment', (event) => {
        if (event.spaceId !== spaceId) return;
        this.stored.add(event.hash);
        this.changed(event.hash);
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
        (error: unknown) => this.warn(`missing attachments: ${errorMessage(error)}`),
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

  /** Has the host store a file this device made (or was given); told to listeners once it is in. */
  protected async upload(hash: string, bytes: Uint8Array): Promise<void> {
    if (await this.has(hash)) return;
    await uploadAttachment(this.host, this.spaceId, hash, bytes);
    this.stored.add(hash);
    this.changed(hash);
  }

  protected changed(hash: string): void {
    this.events.emit('change', [hash]);
  }

  onChange(listener: (hash: string) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.missingTimer !== null) clearTimeout(this.missingTimer);
    for (const cleanup of this.cleanups) cleanup();
    this.exchange.destroy();
  }
}
