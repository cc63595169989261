/**
 * The files of one space's notes, stored once on this device by the SHA-256 of their bytes
 * (`spaces/<id>/attachments/<sha256>`). Whole files arrive in chunks, from this member's window or
 * from a peer, into `<sha256>.part`; only when every chunk is in and the bytes hash to the name is the
 * file renamed into place, so a stored attachment is always the file its name says. Files are kept
 * per space: a peer of one space can never fetch a file of another by guessing its hash.
 */
import { createHash } from 'node:crypto';
import { ObservableV2 } from 'lib0/observable';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ATTACHMENT_CHUNK_BYTES, chunkCount, formatBytes, isAttachmentHash, toHex } from '../../shared/attachments/attachment';
import { HostError } from '../../shared/host-api';
import { ensurePrivateDir, PRIVATE_FILE_MODE, syncDirectory, writeFileAtomic } from './private-files';

/** Files being received at once; the one touched least recently is given up beyond this. */
const MAX_PARTIAL = 32;
/** A file no chunk reached for this long is given up (its sender went away) when another file starts. */
const PARTIAL_IDLE_MS = 10 * 60_000;
/** Chunk lists kept in memory (a 100 MB file's list is 12.5 KB). */
const CHUNK_LISTS_KEPT = 64;
const SHA256_BYTES = 32;

interface Partial {
  size: number;
  received: Uint8Array;
  missing: number;
  touched: number;
  /** Chunk writes in flight: completion waits for them. */
  writing: Promise<void>;
  /** Every chunk is in and the file is being checked: chunks written again meanwhile are already in. */
  completing?: boolean;
}

export interface AttachmentStoreEvents {
  /** A file written in chunks is now stored (told once, by the write that completed it). */
  stored: (hash: string) => void;
}

export class AttachmentStore extends ObservableV2<AttachmentStoreEvents> {
  private readonly partial = new Map<string, Partial>();
  private readonly chunkLists = new Map<string, Uint8Array>();
  private ready: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    /** Largest file accepted, in bytes. */
    readonly limit: number,
  ) {
    super();
  }

  /** Creates the folder, and forgets partial files a previous run left (their chunk maps were in memory). */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      await ensurePrivateDir(this.dir);
      for (const name of await readdir(this.dir)) if (name.endsWith('.part')) await rm(join(this.dir, name), { force: true });
    })();
    return this.ready;
  }

  private path(hash: string): string {
    // Checked again here: the hash becomes a file name.
    if (!isAttachmentHash(hash)) throw new HostError('invalid-input', 'not an attachment hash');
    return join(this.dir, hash);
  }

  /** The stored file's size, or null when this device does not have it. */
  async size(hash: string): Promise<number | null> {
    try {
      const info = await stat(this.path(hash));
      return info.isFile() ? info.size : null;
    } catch {
      return null;
    }
  }

  /** The hashes stored here. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter(isAttachmentHash);
    } catch {
      return [];
    }
  }

  async read(hash: string, offset: number, length: number): Promise<Uint8Array> {
    const handle = await open(this.path(hash), 'r').catch(() => {
      throw new HostError('unavailable', `attachment ${hash.slice(0, 12)} is not on this device`);
    });
    try {
      const size = (await handle.stat()).size;
      const end = Math.min(size, offset + length);
      const bytes = new Uint8Array(Math.max(0, end - offset));
      for (let done = 0; done < bytes.byteLength; ) {
        const { bytesRead } = await handle.read(bytes, done, bytes.byteLength - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return bytes;
    } finally {
      await handle.close();
    }
  }

  /** The SHA-256 of every chunk of a stored file, one after another: what a peer checks each chunk against. */
  async chunkHashes(hash: string): Promise<{ size: number; hashes: Uint8Array } | null> {
    const size = await this.size(hash);
    if (size === null) return null;
    let hashes = this.chunkLists.get(hash);
    if (!hashes) {
      const list = new Uint8Array(chunkCount(size) * SHA256_BYTES);
      const handle = await open(this.path(hash), 'r');
      try {
        const buffer = new Uint8Array(ATTACHMENT_CHUNK_BYTES);
        for (let i = 0; i < chunkCount(size); i++) {
          const { bytesRead } = await handle.read(buffer, 0, ATTACHMENT_CHUNK_BYTES, i * ATTACHMENT_CHUNK_BYTES);
          list.set(createHash('sha256').update(buffer.subarray(0, bytesRead)).digest(), i * SHA256_BYTES);
        }
      } finally {
        await handle.close();
      }
      hashes = list;
      this.chunkLists.set(hash, hashes);
      if (this.chunkLists.size > CHUNK_LISTS_KEPT) this.chunkLists.delete(this.chunkLists.keys().next().value!);
    }
    return { size, hashes };
  }

  private checkSize(size: number): void {
    if (size > this.limit) throw new HostError('too-large', `the file is ${formatBytes(size)}, over the limit of ${formatBytes(this.limit)} for attachments`);
  }

  /** Stores a whole file (an import); returns its hash. */
  async put(bytes: Uint8Array): Promise<string> {
    this.checkSize(bytes.byteLength);
    await this.prepare();
    const hash = createHash('sha256').update(bytes).digest('hex');
    if ((await this.size(hash)) === null) await writeFileAtomic(this.path(hash), bytes);
    return hash;
  }

  /**
   * Writes one chunk of a file (`offset` a multiple of ATTACHMENT_CHUNK_BYTES, every chunk full but the
   * last). Once every chunk is in, the file is checked against its hash and kept, or thrown away with a
   * `corrupt-update` error. Returns whether the file is now stored.
   */
  async write(hash: string, size: number, offset: number, bytes: Uint8Array): Promise<boolean> {
    this.checkSize(size);
    const target = this.path(hash);
    if ((await this.size(hash)) !== null) return true;
    const index = offset / ATTACHMENT_CHUNK_BYTES;
    const expected = Math.min(ATTACHMENT_CHUNK_BYTES, size - offset);
    if (!Number.isInteger(index) || index < 0 || index >= chunkCount(size) || bytes.byteLength !== Math.max(0, expected)) {
      throw new HostError('invalid-input', `a chunk of ${bytes.byteLength} bytes at ${offset} does not fit a file of ${size} bytes`);
    }
    await this.prepare();
    let part = this.partial.get(hash);
    if (!part || part.size !== size) {
      // A new file: create it empty (its chunks may arrive in any order), after the writes of a file of
      // another size under this name. Registered before any await, so chunks arriving meanwhile join it
      // instead of starting (and truncating) a file of their own.
      const create = async () => (await open(`${target}.part`, 'w', PRIVATE_FILE_MODE)).close();
      part = { size, received: new Uint8Array(chunkCount(size)), missing: chunkCount(size), touched: Date.now(), writing: part ? part.writing.then(create) : create() };
      this.partial.set(hash, part);
      this.forgetOldPartials();
    }
    part.touched = Date.now();
    if (part.received[index]) return false;
    part.received[index] = 1;
    part.missing--;
    const written = part.writing.then(async () => {
      const handle = await open(`${target}.part`, 'r+');
      try {
        await handle.write(bytes, 0, bytes.byteLength, offset);
      } finally {
        await handle.close();
      }
    });
    part.writing = written.catch(() => {});
    try {
      await written;
    } catch (error) {
      if (this.partial.get(hash) === part) this.partial.delete(hash);
      throw error;
    }
    if (part.missing > 0 || this.partial.get(hash) !== part || part.completing) return false;
    // Kept in the map while checked, so a chunk written again meanwhile does not start the file over.
    part.completing = true;
    try {
      await part.writing;
      return await this.complete(hash, target);
    } finally {
      if (this.partial.get(hash) === part) this.partial.delete(hash);
    }
  }

  /** Every chunk is in: keep the file if its bytes are what its name says. */
  private async complete(hash: string, target: string): Promise<boolean> {
    const handle = await open(`${target}.part`, 'r+');
    let actual: string;
    try {
      const digest = createHash('sha256');
      const buffer = new Uint8Array(1024 * 1024);
      for (let position = 0; ; ) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
        if (bytesRead === 0) break;
        digest.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
      }
      actual = digest.digest('hex');
      if (actual === hash) await handle.sync();
    } finally {
      await handle.close();
    }
    if (actual !== hash) {
      await rm(`${target}.part`, { force: true });
      throw new HostError('corrupt-update', `the bytes received hash to ${actual.slice(0, 12)}, not to the attachment's ${hash.slice(0, 12)}: they were not kept`);
    }
    await rename(`${target}.part`, target);
    await syncDirectory(this.dir);
    this.emit('stored', [hash]);
    return true;
  }

  /** Gives up files nobody wrote to for PARTIAL_IDLE_MS, then the least recently touched beyond MAX_PARTIAL (after their writes). */
  private forgetOldPartials(): void {
    const now = Date.now();
    const drop = (hash: string) => {
      const part = this.partial.get(hash)!;
      this.partial.delete(hash);
      void part.writing.then(() => (this.partial.has(hash) ? undefined : rm(`${join(this.dir, hash)}.part`, { force: true })));
    };
    for (const [hash, part] of [...this.partial]) if (!part.completing && now - part.touched > PARTIAL_IDLE_MS) drop(hash);
    while (this.partial.size > MAX_PARTIAL) {
      let oldest: string | null = null;
      for (const [hash, part] of this.partial) if (!part.completing && (oldest === null || part.touched < this.partial.get(oldest)!.touched)) oldest = hash;
      if (oldest === null) break;
      drop(oldest);
    }
  }
}

/** The hex SHA-256 of bytes, as the store names them. */
export function attachmentHashOf(bytes: Uint8Array): string {
  return toHex(createHash('sha256').update(bytes).digest());
}
