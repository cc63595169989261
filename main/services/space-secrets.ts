/**
 * Space secrets on this device: one small file per space under `<data dir>/secrets/`, readable by
 * this user only (directory 0700, files 0600). Secrets never go into the space's document, logs or
 * exports; the only way one leaves the device is an invite the member chooses to share.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MAX_SPACE_ADDRESSES } from '../../shared/host-api';
import { relaysSchema, secretSchema, signalingAddressSchema, spaceIdSchema } from '../../shared/host-schemas';
import { hasRelays, mergeRelays, NO_RELAYS, type SpaceRelays } from '../../shared/relays';
import { ensurePrivateDir, writeFileAtomic } from './private-files';

const recordSchema = z.object({
  secret: secretSchema.nullable(),
  addresses: z.array(signalingAddressSchema).max(MAX_SPACE_ADDRESSES),
  /** Which key of the space `secret` is: 1, then one more at each removal of a member. */
  epoch: z.number().int().min(1).optional(),
  /** The space's earlier keys (to tell devices still on one of them what changed). */
  previous: z.array(z.object({ epoch: z.number().int().min(1), secret: secretSchema })).max(1000).optional(),
  /** This device was removed from the space: it keeps its notes and syncs no more. */
  removed: z.boolean().optional(),
  /** Rendezvous and TURN servers for members beyond the LAN (shared/relays.ts). */
  // Relays that no longer pass (stricter checks in a later version) are dropped, not the whole record with its key.
  relays: relaysSchema.optional().catch(undefined),
});
export type SpaceSharing = z.infer<typeof recordSchema>;

export class SecretConflictError extends Error {
  constructor() {
    super('this device already holds this space under a different secret');
    this.name = 'SecretConflictError';
  }
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class SpaceSecrets {
  private readonly dir: string;
  /** One write at a time per space, so concurrent calls cannot lose an address. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'secrets');
  }

  private path(spaceId: string): string {
    if (!spaceIdSchema.safeParse(spaceId).success) throw new Error('not a space id');
    return join(this.dir, `${spaceId}.json`);
  }

  private serialize<T>(spaceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(spaceId) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(spaceId, next.catch(() => {}));
    return next;
  }

  async read(spaceId: string): Promise<SpaceSharing> {
    try {
      const parsed = recordSchema.safeParse(JSON.parse(await readFile(this.path(spaceId), 'utf8')));
      if (parsed.success) return parsed.data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { secret: null, addresses: [] };
    }
    throw new Error(`the secret file of space ${spaceId} is unreadable`);
  }

  private async write(spaceId: string, record: SpaceSharing): Promise<void> {
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.path(spaceId), JSON.stringify(record));
  }

  /** Forgets a space's secret and addresses (the space was removed from this device). */
  remove(spaceId: string): Promise<void> {
    return this.serialize(spaceId, () => rm(this.path(spaceId), { force: true }));
  }

  /** The space's sharing record; with `create`, a space never shared before gets its secret now. */
  sharing(spaceId: string, create: boolean): Promise<SpaceSharing> {
    return this.serialize(spaceId, async () => {
      const record = await this.read(spaceId);
      if (record.secret || !create) return record;
      const created = { ...record, secret: newSecret() };
      await this.write(spaceId, created);
      return created;
    });
  }

  /** Records a joined space's secret; a different secret for a space already here is refused. */
  join(spaceId: string, secret: string, addresses: string[], spaceExists: boolean, epoch = 1, relays: SpaceRelays = NO_RELAYS): Promise<void> {
    return this.serialize(spaceId, async () => {
      const record = await this.read(spaceId);
      // A forged invite naming a space this device already has must not send its notes elsewhere.
      if (record.secret ? record.secret !== secret : spaceExists) throw new SecretConflictError();
      const merged = mergeRelays(record.relays ?? NO_RELAYS, relays);
      // Earlier keys stay (to tell devices still on one of them what changed).
      await this.write(spaceId, { ...record, secret, addresses: mergeAddresses(record.addresses, addresses), ...(epoch > 1 ? { epoch } : {}), ...(hasRelays(merged) ? { relays: merged } : {}) });
    });
  }

  /** Moves the space to a newer key; the current one joins the earlier ones. */
  rotate(spaceId: string, secret: string, epoch: number): Promise<boolean> {
    return this.serialize(spaceId, async () => {
      const record = await this.read(spaceId);
      if ((record.epoch ?? 1) >= epoch) return false;
      const previous = [...(record.previous ?? []), ...(record.secret ? [{ epoch: record.epoch ?? 1, secret: record.secret }] : [])];
      await this.write(spaceId, { ...record, secret, epoch, previous });
      return true;
    });
  }

  /** Records that this device was removed from the space (its key stays, to hear what comes after). */
  markRemoved(spaceId: string): Promise<void> {
    return this.serialize(spaceId, async () => {
      const record = await this.read(spaceId);
      if (!record.removed) await this.write(spaceId, { ...record, removed: true });
    });
  }

  /** Sets the space's rendezvous and TURN servers on this device. */
  setRelays(spaceId: string, relays: SpaceRelays): Promise<void> {
    return this.serialize(spaceId, async () => {
      const record = await this.read(spaceId);
      await this.write(spaceId, { ...record, relays });
    });
  }

  /** Remembers an address for a space and returns them all. */
  addAddress(spaceId: string, address: string): Promise<string[]> {
    return this.serialize(spaceId, async () => {
      const record = await this.read(spaceId);
      const addresses = mergeAddresses(record.addresses, [address]);
      await this.write(spaceId, { ...record, addresses });
      return addresses;
    });
  }
}

/** Newest addresses last; the oldest fall off past the cap. */
function mergeAddresses(old: string[], added: string[]): string[] {
  const merged = [...old.filter((a) => !added.includes(a)), ...added];
  return merged.slice(Math.max(0, merged.length - MAX_SPACE_ADDRESSES));
}
