/**
 * Bucket digests for the manifest, kept current as documents change: each bucket is the XOR of the
 * digests of its documents, recomputed only for buckets whose documents changed since it was asked for.
 */
import { DIGEST_BYTES, xorInto } from '../doc-digest';
import { BUCKETS, bucketOf, MANIFEST_BYTES } from './protocol';

export class ManifestIndex {
  private readonly members: Array<Set<string>> = Array.from({ length: BUCKETS }, () => new Set());
  private readonly digests: Array<Uint8Array | null> = Array.from({ length: BUCKETS }, () => null);
  /** Bumped when a bucket's documents change, so a digest computed meanwhile is not kept. */
  private readonly versions = new Uint32Array(BUCKETS);

  constructor(private readonly digestOf: (docId: string) => Promise<Uint8Array | null>) {}

  /** Counts a document in its bucket (again) after it was added or changed. */
  touch(docId: string): void {
    const bucket = bucketOf(docId);
    this.members[bucket]!.add(docId);
    this.digests[bucket] = null;
    this.versions[bucket]!++;
  }

  forget(docId: string): void {
    const bucket = bucketOf(docId);
    this.members[bucket]!.delete(docId);
    this.digests[bucket] = null;
    this.versions[bucket]!++;
  }

  async manifest(): Promise<Uint8Array> {
    const out = new Uint8Array(MANIFEST_BYTES);
    for (let bucket = 0; bucket < BUCKETS; bucket++) out.set(await this.bucketDigest(bucket), bucket * DIGEST_BYTES);
    return out;
  }

  async bucketDocs(buckets: number[]): Promise<Array<{ docId: string; digest: Uint8Array }>> {
    const docs: Array<{ docId: string; digest: Uint8Array }> = [];
    for (const bucket of buckets) {
      for (const docId of this.members[bucket] ?? []) {
        const digest = await this.digestOf(docId);
        if (digest) docs.push({ docId, digest });
      }
    }
    return docs;
  }

  private async bucketDigest(bucket: number): Promise<Uint8Array> {
    const known = this.digests[bucket];
    if (known) return known;
    const version = this.versions[bucket];
    const out = new Uint8Array(DIGEST_BYTES);
    for (const docId of [...this.members[bucket]!]) {
      const digest = await this.digestOf(docId);
      if (digest) xorInto(out, digest);
    }
    // A change while digests were read leaves the bucket to be computed again next time.
    if (this.versions[bucket] === version) this.digests[bucket] = out;
    return out;
  }
}
