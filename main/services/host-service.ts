/**
 * The host side of the HostApi contract, shared by the Electron main process and the web host:
 * every call is validated against the contract's schema before any service sees it.
 */
import * as Y from 'yjs';
import { HostError, isAllowedExternalUrl, type HostEventName, type HostEvents, type HostInput, type HostMethod, type HostResult, type SpaceSummary } from '../../shared/host-api';
import { DEFAULT_ATTACHMENT_LIMIT_BYTES } from '../../shared/attachments/attachment';
import { parseHostCall } from '../../shared/host-schemas';
import { spaceName } from '../../shared/catalog';
import { CATALOG_DOC_ID } from '../../shared/note-doc';
import { DamagedDocError, DocStore, InvalidUpdateError, StoreError, type StoreOptions } from './doc-store';
import type { LanSync } from './lan-sync';
import { logger } from './logger';
import { readProfile, writeProfile } from './profile-store';
import { SecretConflictError, SpaceSecrets } from './space-secrets';
import { exportMarkdownZip, importMarkdownIntoStore } from './markdown-host';
import { SpaceHost } from './space-host';
import { oneRunAtATime } from '../../shared/one-run-at-a-time';
import type { ChangeOrigin, HistoryTiming } from './space-history';
import { readOrCreateIdentity, type KeyProtection } from './identity-store';
import { fingerprint, type Identity } from './member-crypto';
import { MembershipError } from './space-membership';
import { InviteRefusedError, inviteRecordKeys, SpaceInvites, type AnsweringSpace } from './space-invites';
import { Rendezvous } from './rendezvous';
import { KeyEpochs, type EpochSpace } from './key-epochs';
import { randomBytes } from 'node:crypto';
import { randomToken, roomFor } from './member-crypto';
import { encodeTokenInvite } from '../../shared/invite';
import { NO_RELAYS } from '../../shared/relays';
import { spaceName as catalogSpaceName } from '../../shared/catalog';
import { catalogMembers } from '../../shared/catalog';
import { errorMessage } from '../../shared/errors';

/** One connected renderer: a window in Electron, a WebSocket on the web host. */
export interface HostClient {
  send<E extends HostEventName>(event: E, payload: HostEvents[E]): void;
  /** A client in this process that syncs for the host (an always-on host's peers), not a window: nobody searches through it. */
  readonly headless?: boolean;
}

export interface HostServiceOptions {
  dataDir: string;
  host: 'electron' | 'web';
  version: string;
  /** Opens an already-validated external URL; hosts without a shell say false. */
  openExternal?: (url: string) => Promise<boolean>;
  store?: StoreOptions;
  /** The host's signalling server and LAN discovery; absent, sync.info reports no servers. */
  sync?: LanSync;
  /** When history cuts versions (tests shorten the waits). */
  historyTiming?: HistoryTiming;
  /** Encrypts this device's private keys at rest (the desktop app's OS keychain). */
  keyProtection?: KeyProtection;
  /** Largest attachment stored, in bytes (100 MB unless set). */
  attachmentLimit?: number;
}

type Handlers = { [M in HostMethod]: (client: HostClient, input: HostInput<M>) => Promise<HostResult<M>> };

/** Runs a membership change: what the signed records do not allow becomes the caller's `forbidden` error. */
async function asMember<T>(method: string, change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof MembershipError) throw new HostError('forbidden', `${method}: ${error.message}`);
    throw error;
  }
}

function storeFailure(method: string, error: unknown): never {
  if (error instanceof InvalidUpdateError) throw new HostError('corrupt-update', `${method}: ${error.message}`);
  if (error instanceof StoreError) throw new HostError('unavailable', `${method}: ${error.message}`);
  throw error;
}

const noteKey = (spaceId: string, noteId: string) => `${spaceId}/${noteId}`;
/** A document with nothing in it, as one update. */
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

export class HostService {
  readonly store: DocStore;
  private readonly spaceHosts = new Map<string, Promise<SpaceHost>>();
  /** Clients that get a space's events (catalog updates, notes changed, index caught up). */
  private readonly subscribers = new Map<string, Set<HostClient>>();
  /** Clients that hold a note (note.sync until note.release) and get its updates. */
  private readonly noteHolders = new Map<string, Set<HostClient>>();
  private readonly clients = new Set<HostClient>();
  private readonly handlers: Handlers;
  private readonly secrets: SpaceSecrets;
  private readonly offSync: () => void;
  /** This device's member id (from its profile), which names the member's own edits in history. */
  private memberId = '';
  private memberName = '';
  /** This device's key pairs, read (or made) on first use. */
  private identityRead: Promise<Identity> | null = null;
  /** Invites: answering them for the spaces here, redeeming them to join. */
  private readonly invites: SpaceInvites;
  /** This host's own client of signalling servers (invites, key changes). */
  private readonly rendezvous: Rendezvous;
  /** New space keys after removals, to and from every member. */
  private readonly epochs: KeyEpochs;
  /** Spaces whose devices already asked, since this host started, whether their key is the newest. */
  private readonly asked = new Set<string>();
  private invitesTimer: ReturnType<typeof setInterval> | null = null;
  private readonly profileRead: Promise<void>;
  private readonly removing = new Set<(spaceId: string) => void>();

  constructor(private readonly options: HostServiceOptions) {
    this.store = new DocStore(options.dataDir, {
      ...options.store,
      onProblem: (problem) => {
        const log = problem.kind === 'migrated' ? logger.info : logger.warn;
        log(`store: ${problem.kind} in space ${problem.spaceId}${problem.kind === 'migrated' ? '' : ` at byte ${problem.offset}`}: ${problem.detail}`);
        options.store?.onProblem?.(problem);
      },
    });
    this.secrets = new SpaceSecrets(options.dataDir);
    this.profileRead = readProfile(options.dataDir).then(
      (profile) => {
        this.memberId = profile?.id ?? '';
        this.memberName = profile?.name ?? '';
      },
      () => {},
    );
    this.rendezvous = new Rendezvous();
    this.epochs = new KeyEpochs(
      this.rendezvous,
      () => this.identity(),
      () => this.memberId,
    );
    this.invites = new SpaceInvites(
      this.rendezvous,
      () => this.identity(),
      () => ({ id: this.memberId, name: this.memberName }),
    );
    this.offSync =
      options.sync?.onChange((info) => {
        for (const client of this.clients) client.send('sync.changed', info);
        void this.refreshInvites();
      }) ?? (() => {});
    // Invites expire, and a device that was away may hold an old key: both are checked now and then.
    this.invitesTimer = setInterval(() => {
      this.asked.clear();
      void this.refreshInvites();
    }, 120_000);
    this.invitesTimer.unref?.();
    this.handlers = {
      'app.info': async () => ({ version: options.version, host: options.host, platform: process.platform, attachmentLimit: options.attachmentLimit ?? DEFAULT_ATTACHMENT_LIMIT_BYTES }),
      'spaces.list': async () => ({ spaces: await this.listSpaces() }),
      'profile.get': async () => ({ profile: await readProfile(options.dataDir) }),
      'profile.set': async (_client, { profile }) => {
        await writeProfile(options.dataDir, profile);
        this.memberId = profile.id;
        this.memberName = profile.name;
        return { saved: true };
      },
      'spaces.remove': async (_client, { spaceId }) => {
        // Whatever syncs the space in this process (an always-on host's peer) lets go first, or it would write it back.
        for (const listener of this.removing) listener(spaceId);
        this.subscribers.delete(spaceId);
        for (const key of [...this.noteHolders.keys()]) if (key.startsWith(`${spaceId}/`)) this.noteHolders.delete(key);
        const host = this.spaceHosts.get(spaceId);
        this.spaceHosts.delete(spaceId);
        await (await host?.catch(() => null))?.close();
        await this.secrets.remove(spaceId);
        return { removed: await this.store.removeSpace(spaceId) };
      },
      'space.sync': async (_client, { spaceId, stateVector }) => {
        // Reading a space that is not on this device does not create it (a window may guess at one).
        if (!(await this.store.hasSpace(spaceId))) return { update: EMPTY_UPDATE, stateVector: new Uint8Array([0]) };
        const { store } = await this.space(spaceId);
        return { update: await this.diff(store.diff.bind(store), CATALOG_DOC_ID, stateVector, 'space.sync'), stateVector: Y.encodeStateVector(store.catalog) };
      },
      'space.append': async (client, { spaceId, update, source }) => {
        const { store } = await this.space(spaceId);
        await store.append(CATALOG_DOC_ID, update, this.origin(client, source)).catch((error: unknown) => storeFailure('space.append', error));
        this.broadcastCatalog(spaceId, update, client);
        return { saved: true };
      },
      'space.subscribe': async (client, { spaceId }) => {
        let set = this.subscribers.get(spaceId);
        if (!set) this.subscribers.set(spaceId, (set = new Set()));
        set.add(client);
        this.windowsChanged(spaceId);
        return { subscribed: true };
      },
      'space.unsubscribe': async (client, { spaceId }) => {
        this.subscribers.get(spaceId)?.delete(client);
        this.windowsChanged(spaceId);
        return { subscribed: false };
      },
      'note.sync': async (client, { spaceId, noteId, stateVector }) => {
        let set = this.noteHolders.get(noteKey(spaceId, noteId));
        if (!set) this.noteHolders.set(noteKey(spaceId, noteId), (set = new Set()));
        set.add(client);
        if (!(await this.store.hasSpace(spaceId))) return { update: EMPTY_UPDATE, stateVector: new Uint8Array([0]) };
        const { store } = await this.space(spaceId);
        const update = await this.diff(store.diff.bind(store), noteId, stateVector, 'note.sync');
        return { update, stateVector: await this.diff(store.stateVector.bind(store), noteId, stateVector, 'note.sync') };
      },
      'note.append': async (client, { spaceId, noteId, update, source }) => {
        const { store } = await this.space(spaceId);
        await store.append(noteId, update, this.origin(client, source)).catch((error: unknown) => storeFailure('note.append', error));
        this.broadcastNotes(spaceId, [{ docId: noteId, update }], client);
        return { saved: true };
      },
      'note.release': async (client, { spaceId, noteId }) => {
        this.noteHolders.get(noteKey(spaceId, noteId))?.delete(client);
        return { released: true };
      },
      'note.backlinks': async (_client, { spaceId, noteId }) => ({ noteIds: await (await this.space(spaceId)).search.backlinks(noteId) }),
      'attachment.stat': async (_client, { spaceId, hashes }) => {
        if (!(await this.store.hasSpace(spaceId))) return { sizes: hashes.map(() => null) };
        const { attachments } = await this.space(spaceId);
        return { sizes: await Promise.all(hashes.map((hash) => attachments.size(hash))) };
      },
      'attachment.read': async (_client, { spaceId, hash, offset, length }) => {
        if (!(await this.store.hasSpace(spaceId))) throw new HostError('unavailable', 'attachment.read: this space is not on this device');
        return { bytes: await (await this.space(spaceId)).attachments.read(hash, offset, length) };
      },
      'attachment.chunks': async (_client, { spaceId, hash }) => {
        if (!(await this.store.hasSpace(spaceId))) return { size: null, hashes: new Uint8Array(0) };
        const list = await (await this.space(spaceId)).attachments.chunkHashes(hash);
        return list ? { size: list.size, hashes: list.hashes } : { size: null, hashes: new Uint8Array(0) };
      },
      'attachment.write': async (_client, { spaceId, hash, size, offset, bytes }) => ({ complete: await (await this.space(spaceId)).attachments.write(hash, size, offset, bytes) }),
      'attachment.missing': async (_client, { spaceId }) => {
        if (!(await this.store.hasSpace(spaceId))) return { missing: [] };
        return { missing: await (await this.space(spaceId)).missingAttachments() };
      },
      'notes.manifest': async (_client, { spaceId }) => ({ manifest: await (await this.space(spaceId)).manifest().manifest() }),
      'notes.bucketDocs': async (_client, { spaceId, buckets }) => ({ docs: await (await this.space(spaceId)).manifest().bucketDocs(buckets) }),
      'notes.stateVectors': async (_client, { spaceId, docIds }) => {
        const { store } = await this.space(spaceId);
        return { stateVectors: await Promise.all(docIds.map((id) => store.stateVector(id).catch(() => new Uint8Array([0])))) };
      },
      'notes.pull': async (_client, { spaceId, requests }) => {
        const { store } = await this.space(spaceId);
        const updates: Uint8Array[] = [];
        for (const { docId, stateVector } of requests) {
          try {
            updates.push(await store.diff(docId, stateVector));
          } catch (error) {
            // One unreadable note must not stop the others: the peer gets nothing for it this time.
            logger.warn(`notes.pull: ${docId} in space ${spaceId}: ${errorMessage(error)}`);
            updates.push(Y.encodeStateAsUpdate(new Y.Doc()));
          }
        }
        return { updates };
      },
      'notes.push': async (client, { spaceId, updates }) => {
        const { store } = await this.space(spaceId);
        await store.appendMany(updates, { source: 'peers', client } satisfies ChangeOrigin).catch((error: unknown) => storeFailure('notes.push', error));
        const catalog = updates.filter((u) => u.docId === CATALOG_DOC_ID);
        if (catalog.length > 0) this.broadcastCatalog(spaceId, Y.mergeUpdates(catalog.map((u) => u.update)), client);
        this.broadcastNotes(spaceId, updates.filter((u) => u.docId !== CATALOG_DOC_ID), client);
        return { saved: true };
      },
      'space.summaries': async (_client, { spaceId }) => {
        if (!(await this.store.hasSpace(spaceId))) return { rows: '[]' };
        return { rows: (await this.space(spaceId)).summaries() };
      },
      'note.history': async (_client, { spaceId, noteId }) => {
        if (!(await this.store.hasSpace(spaceId))) return { versions: [] };
        return { versions: await (await this.space(spaceId)).history.versionsOf(noteId) };
      },
      'note.version': async (_client, { spaceId, noteId, n, against }) => {
        if (!(await this.store.hasSpace(spaceId))) return { shown: null };
        return { shown: await (await this.space(spaceId)).history.view(noteId, n, against) };
      },
      'note.restore': async (client, { spaceId, noteId, n }) => {
        const host = await this.space(spaceId);
        const restored = await host.history.restoreUpdate(noteId, n, this.memberId);
        if (!restored) return { update: null };
        const { update, redone } = restored;
        const origin: ChangeOrigin = { source: 'restore', member: this.memberId, label: String(n), client, redone };
        await host.store.append(noteId, update, origin).catch((error: unknown) => storeFailure('note.restore', error));
        // The caller applies it itself (its own undo then covers it); everyone else gets it now.
        this.broadcastNotes(spaceId, [{ docId: noteId, update }], client);
        return { update };
      },
      'note.seen': async (_client, { spaceId, noteIds, flush }) => {
        if (await this.store.hasSpace(spaceId)) await (await this.space(spaceId)).history.markSeen(noteIds, flush ?? true);
        return { seen: true };
      },
      'space.news': async (_client, { spaceId, flush }) => {
        if (!(await this.store.hasSpace(spaceId))) return { notes: [] };
        const host = await this.space(spaceId);
        // What peers sent becomes a version now (the member's own typing is not cut for it).
        if (flush) await host.history.flushWindows(undefined, true);
        return { notes: await host.history.news() };
      },
      'space.revertMember': async (client, { spaceId, memberId, since, apply }) => {
        const host = await this.space(spaceId);
        const reverts = await host.history.revertMember(memberId, since, this.memberId, apply);
        const changed: Array<{ docId: string; update: Uint8Array }> = [];
        for (const { docId, reverted } of reverts) {
          if (!reverted) continue;
          const origin: ChangeOrigin = { source: 'revert', member: this.memberId, label: `${memberId} ${since}`, client, redone: reverted.redone };
          await host.store.append(docId, reverted.update, origin).catch((error: unknown) => storeFailure('space.revertMember', error));
          changed.push({ docId, update: reverted.update });
        }
        const catalogUpdate = changed.find((c) => c.docId === CATALOG_DOC_ID);
        // Every window applies these, the caller's too: they are nobody's local edit.
        if (catalogUpdate) {
          this.broadcastCatalog(spaceId, catalogUpdate.update);
          this.broadcastChanged(spaceId, [CATALOG_DOC_ID]);
        }
        this.broadcastNotes(spaceId, changed.filter((c) => c.docId !== CATALOG_DOC_ID));
        return {
          notes: reverts.filter((r) => r.docId !== CATALOG_DOC_ID).map((r) => ({ noteId: r.docId, title: host.history.titleOf(r.docId) })),
          catalog: reverts.some((r) => r.docId === CATALOG_DOC_ID),
          applied: apply,
        };
      },
      'space.search': async (_client, { spaceId, query, limit, titlesOnly }) => ({ hits: await (await this.space(spaceId)).search.search(query, limit, titlesOnly) }),
      'shell.openExternal': async (_client, { url }) => {
        if (!isAllowedExternalUrl(url)) throw new HostError('forbidden', 'shell.openExternal: only http, https and mailto links open');
        return { opened: options.openExternal ? await options.openExternal(url) : false };
      },
      'sync.info': async () => options.sync?.info() ?? { lan: false, signalingUrls: [], addresses: [] },
      'space.sharing': async (_client, { spaceId, create }) => {
        // One read: a removed device's record keeps its key, so `create` never makes one for it.
        const sharing = await this.secrets.sharing(spaceId, create);
        // A device removed from a space syncs it no more (it keeps its notes).
        const relays = sharing.relays ?? NO_RELAYS;
        if (sharing.removed) return { room: null, addresses: sharing.addresses, epoch: sharing.epoch ?? 1, removed: true, relays };
        // The first member to share a space is its creator and first owner.
        if (create && sharing.secret) await this.registerSelf(spaceId, await this.space(spaceId), true);
        return { room: sharing.secret ? roomFor(sharing.secret) : null, addresses: sharing.addresses, epoch: sharing.epoch ?? 1, removed: false, relays };
      },
      'space.setRelays': async (_client, { spaceId, relays }) => {
        await this.secrets.setRelays(spaceId, relays);
        for (const client of this.clients) client.send('space.relays', { spaceId, relays });
        await this.refreshInvites();
        return { relays };
      },
      'space.removeMember': async (_client, { spaceId, memberId }) => {
        const host = await this.space(spaceId);
        const key = randomBytes(32);
        const epoch = await asMember('space.removeMember', () => host.membership.remove(memberId, key));
        // The records' own change may have moved this host already (adopt): then windows heard of it.
        await this.moveToKey(spaceId, key, epoch);
        await this.epochs.announce(this.epochSpace(spaceId, host));
        return this.members(spaceId);
      },
      'space.members': async (_client, { spaceId }) => this.members(spaceId),
      'space.createInvite': async (_client, { spaceId, expiresInMs, singleUse }) => {
        const sharing = await this.secrets.sharing(spaceId, true);
        if (!sharing.secret || sharing.removed) throw new HostError('forbidden', 'space.createInvite: this device is no longer a member of the space');
        const host = await this.space(spaceId);
        if (!host.membership.isMember()) await host.membership.register(true);
        const token = randomToken();
        const expires = Date.now() + expiresInMs;
        const spaceKey = { key: Buffer.from(sharing.secret, 'base64url'), epoch: sharing.epoch ?? 1 };
        const invite = await asMember('space.createInvite', () => host.membership.createInvite(inviteRecordKeys(Buffer.from(token, 'base64url'), spaceKey), expires, singleUse));
        await this.refreshInvites();
        const addresses = [...(options.sync?.info().addresses ?? []), ...sharing.addresses].filter((a, i, all) => all.indexOf(a) === i).slice(0, 16);
        return { code: encodeTokenInvite({ spaceId, name: catalogSpaceName(host.store.catalog), token, addresses, expires, relays: sharing.relays ?? NO_RELAYS }), invite, expires };
      },
      'space.revokeInvite': async (_client, { spaceId, invite }) => {
        const host = await this.space(spaceId);
        await asMember('space.revokeInvite', () => host.membership.revokeInvite(invite));
        await this.refreshInvites();
        return this.members(spaceId);
      },
      'space.redeemInvite': async (_client, { spaceId, token, expires, addresses, relays = NO_RELAYS }) => {
        if ((await this.secrets.read(spaceId)).secret) throw new HostError('forbidden', 'space.redeemInvite: This device is already a member of that space.');
        const servers = [...addresses.map((a) => `ws://${a}`), ...relays.rendezvous, ...(options.sync?.info().signalingUrls ?? [])];
        try {
          const { key, epoch } = await this.invites.redeem({ spaceId, name: '', token, expires, addresses }, servers);
          await this.secrets.join(spaceId, key.toString('base64url'), addresses, await this.store.hasSpace(spaceId), epoch, relays);
        } catch (error) {
          if (error instanceof InviteRefusedError) throw new HostError(error.reason === 'timeout' ? 'unavailable' : 'forbidden', error.message);
          if (error instanceof SecretConflictError) throw new HostError('forbidden', `space.redeemInvite: ${error.message}`);
          throw error;
        }
        await this.space(spaceId);
        await this.refreshInvites();
        return { joined: true };
      },
      'space.makeOwner': async (_client, { spaceId, memberId }) => {
        const host = await this.space(spaceId);
        await asMember('space.makeOwner', () => host.membership.makeOwner(memberId));
        return this.members(spaceId);
      },
      'space.join': async (_client, { spaceId, secret, addresses }) => {
        try {
          await this.secrets.join(spaceId, secret, addresses, await this.store.hasSpace(spaceId));
        } catch (error) {
          if (error instanceof SecretConflictError) throw new HostError('forbidden', `space.join: ${error.message}`);
          throw error;
        }
        await this.space(spaceId);
        return { joined: true };
      },
      'space.addAddress': async (_client, { spaceId, address }) => ({ addresses: await this.secrets.addAddress(spaceId, address) }),
      'space.exportMarkdown': (_client, input) => exportMarkdownZip(this.store, input),
      'space.importMarkdown': async (_client, input) => {
        const { spaceId, catalogUpdate, noteIds, result } = await importMarkdownIntoStore(this.store, input, async (id) => (await this.space(id)).attachments);
        // The import's origin is no client: every subscriber, the caller's window included, applies it.
        if (catalogUpdate) this.broadcastCatalog(spaceId, catalogUpdate);
        if (noteIds.length > 0) this.broadcastChanged(spaceId, noteIds);
        return result;
      },
    };
  }

  /** Moves a space to a new key, unless it is there already; then invites and windows follow. Says whether it moved. */
  private async moveToKey(spaceId: string, key: Uint8Array, epoch: number): Promise<boolean> {
    if (!(await this.secrets.rotate(spaceId, Buffer.from(key).toString('base64url'), epoch))) return false;
    // Windows move to the new key first; listening on its topics can wait for a refresh in progress.
    this.broadcastKey(spaceId, epoch, false);
    await this.refreshInvites();
    return true;
  }

  /** A space as key epochs handle it on this host. */
  private epochSpace(spaceId: string, host: SpaceHost): EpochSpace {
    return {
      spaceId,
      membership: host.membership,
      keys: async () => {
        const record = await this.secrets.read(spaceId);
        const toKey = (secret: string, epoch: number) => ({ epoch, key: Buffer.from(secret, 'base64url') });
        return {
          current: record.secret ? toKey(record.secret, record.epoch ?? 1) : null,
          previous: (record.previous ?? []).map((p) => toKey(p.secret, p.epoch)),
          removed: record.removed === true,
        };
      },
      adopt: async ({ epoch, key }) => {
        // The remover's own host gets here too (the key is sealed for it): it moved already.
        if (await this.moveToKey(spaceId, key, epoch)) logger.info(`space ${spaceId}: moved to space key ${epoch}`);
      },
      markRemoved: async () => {
        await this.secrets.markRemoved(spaceId);
        logger.info(`space ${spaceId}: this device was removed from it`);
        this.broadcastKey(spaceId, host.membership.current().epoch, true);
      },
      importRecords: async (records) => void (await host.membership.importRecords(records)),
    };
  }

  /** Tells every window that a space's key changed (or that this device was removed from it). */
  private broadcastKey(spaceId: string, epoch: number, removed: boolean): void {
    for (const client of this.clients) client.send('space.key', { spaceId, epoch, removed });
  }

  /**
   * Listens for the invites and key changes of every open space, on every server it knows. One refresh
   * runs at a time: an older one finishing last would put back what a newer one replaced.
   */
  private readonly refreshInvites = oneRunAtATime(() => this.refreshInvitesNow());

  private async refreshInvitesNow(): Promise<void> {
    try {
      const spaces: AnsweringSpace[] = [];
      const epochSpaces: EpochSpace[] = [];
      const addresses: string[] = [];
      const rendezvous: string[] = [];
      for (const [spaceId, pending] of this.spaceHosts) {
        const host = await pending.catch(() => null);
        if (!host) continue;
        const sharing = await this.secrets.read(spaceId).catch(() => null);
        addresses.push(...(sharing?.addresses ?? []));
        rendezvous.push(...(sharing?.relays?.rendezvous ?? []));
        spaces.push({
          spaceId,
          membership: host.membership,
          key: async () => {
            const current = await this.secrets.read(spaceId);
            return current.secret && !current.removed ? { key: Buffer.from(current.secret, 'base64url'), epoch: current.epoch ?? 1 } : null;
          },
          keyOf: async (epoch) => {
            const record = await this.secrets.read(spaceId);
            if (record.removed) return null;
            const secret = (record.epoch ?? 1) === epoch ? record.secret : record.previous?.find((p) => p.epoch === epoch)?.secret;
            return secret ? Buffer.from(secret, 'base64url') : null;
          },
        });
        if (sharing?.secret) epochSpaces.push(this.epochSpace(spaceId, host));
      }
      this.rendezvous.setServers([...new Set([...(this.options.sync?.info().signalingUrls ?? []), ...addresses.map((a) => `ws://${a}`), ...rendezvous])]);
      const before = this.invites.answeringCount;
      await this.invites.listen(spaces);
      // Said in the log: a host with no window lets members in only for invites it knows of.
      if (this.invites.answeringCount !== before) logger.info(`invites: answering ${this.invites.answeringCount} for the spaces on this device`);
      await this.epochs.listen(epochSpaces);
      // Each space asks once (then every few minutes) whether its key is still the newest.
      for (const space of epochSpaces) {
        if (this.asked.has(space.spaceId)) continue;
        this.asked.add(space.spaceId);
        setTimeout(() => void this.epochs.ask(space), 1000).unref?.();
      }
    } catch (error) {
      logger.warn(`invites: ${errorMessage(error)}`);
    }
  }

  /**
   * Makes this device a member of a space whose key it holds (see SpaceMembership.register). A failure
   * is logged: the device still syncs with the key, and tries again on the next change of the records.
   */
  private async registerSelf(spaceId: string, host: SpaceHost, asCreator: boolean): Promise<void> {
    if (!this.memberId || host.membership.isMember()) return;
    await host.membership.register(asCreator).catch((error: unknown) => logger.warn(`membership of space ${spaceId}: ${errorMessage(error)}`));
  }

  private identity(): Promise<Identity> {
    this.identityRead ??= readOrCreateIdentity(this.options.dataDir, this.options.keyProtection).catch((error: unknown) => {
      this.identityRead = null;
      throw error;
    });
    return this.identityRead;
  }

  /** The space's members as its signed records say, for the Members panel. */
  private async members(spaceId: string): Promise<HostResult<'space.members'>> {
    if (!(await this.store.hasSpace(spaceId))) return { members: [], epoch: 1, registered: false, owner: false, invites: [] };
    const host = await this.space(spaceId);
    // A space shared before membership existed becomes one the first time a member looks.
    const sharing = await this.secrets.read(spaceId);
    if (sharing.secret) await this.registerSelf(spaceId, host, true);
    const membership = host.membership.current();
    const profiles = catalogMembers(host.store.catalog);
    const lastSeen = host.history.lastSeenByMember();
    const me = membership.members.get(this.memberId);
    return {
      members: [...membership.members.values()].map((m) => ({
        id: m.id,
        name: profiles.get(m.id)?.name || m.name,
        color: profiles.get(m.id)?.color ?? null,
        owner: m.owner,
        removed: m.removed,
        ...(m.removedBy ? { removedBy: m.removedBy } : {}),
        invitedBy: m.invitedBy,
        joinedAt: m.joinedAt,
        device: fingerprint(m.keys),
        you: m.id === this.memberId,
        lastSeen: lastSeen.get(m.id) ?? null,
      })),
      epoch: membership.epoch,
      registered: !!me && !me.removed,
      owner: !!me && !me.removed && me.owner,
      invites:
        me?.owner && !me.removed
          ? [...membership.invites.values()].map((i) => ({ invite: i.invite, expires: i.expires, single: i.single, used: i.used, revoked: i.revoked, by: i.by, at: i.at }))
          : [],
    };
  }

  /** How an append is named in history: the member's own edits carry the member's id. */
  private origin(client: HostClient, source: 'local' | 'peers' | undefined): ChangeOrigin {
    return source === 'local' ? { source, member: this.memberId, client } : { source: source ?? 'local', client };
  }

  /** A space's host side (store, search, digests, history), opened on first use. */
  async space(spaceId: string): Promise<SpaceHost> {
    let host = this.spaceHosts.get(spaceId);
    const current = host ? await host.catch(() => null) : null;
    if (current && !current.store.failed) return current;
    if (host) {
      // A failed write left memory ahead of the disk: the store reloads what is durable.
      this.spaceHosts.delete(spaceId);
      await current?.close().catch(() => {});
    }
    host = this.store.space(spaceId).then(
      (store) =>
        new SpaceHost(
          store,
          (update) => this.broadcastCatalog(spaceId, update),
          (message) => logger.warn(message),
          () => this.memberId,
          this.options.historyTiming,
          () => this.identity(),
          () => this.memberName,
          this.options.attachmentLimit,
        ),
    );
    host.then(
      (h) => {
        h.search.on('indexed', () => this.emitSpace(spaceId, 'space.indexed', { spaceId }));
        h.search.setWindowsOpen(this.windowOpen(spaceId));
        // Told once, by the write that completed the file (windows then tell their peers).
        h.attachments.on('stored', (hash) => this.emitSpace(spaceId, 'space.attachment', { spaceId, hash }));
        h.history.on('recorded', (docIds, authors) => this.emitSpace(spaceId, 'space.history', { spaceId, docIds, byOthers: authors.some((a) => a !== this.memberId) }));
        h.history.on('pending', (docId) => this.emitSpace(spaceId, 'space.history', { spaceId, docIds: [docId], byOthers: true }));
        // A device that holds the key of a space whose members it is not among registers itself (first key only).
        let registering: ReturnType<typeof setTimeout> | null = null;
        h.membership.onChange(() => {
          void this.refreshInvites();
          void this.secrets
            .read(spaceId)
            .then((sharing) => (sharing.secret ? this.epochs.check(this.epochSpace(spaceId, h)) : undefined))
            .catch((error: unknown) => logger.warn(`space key of ${spaceId}: ${errorMessage(error)}`));
          if (registering !== null || h.membership.isMember()) return;
          registering = setTimeout(() => {
            registering = null;
            void this.secrets
              .read(spaceId)
              .then((sharing) => (sharing.secret ? this.registerSelf(spaceId, h, false) : undefined))
              .catch((error: unknown) => logger.warn(`membership of space ${spaceId}: ${errorMessage(error)}`));
          }, 300);
          registering.unref?.();
        });
      },
      () => this.spaceHosts.delete(spaceId),
    );
    this.spaceHosts.set(spaceId, host);
    return host.catch((error: unknown) => {
      if (error instanceof StoreError) throw new HostError('unavailable', error.message);
      throw error;
    });
  }

  private async diff(diff: (docId: string, sv: Uint8Array) => Promise<Uint8Array>, docId: string, stateVector: Uint8Array, method: string): Promise<Uint8Array> {
    try {
      Y.decodeStateVector(stateVector);
    } catch {
      throw new HostError('invalid-input', `${method}: stateVector is not a Yjs state vector`);
    }
    try {
      return await diff(docId, stateVector);
    } catch (error) {
      // A damaged document stays damaged: retrying cannot help, so it is not 'unavailable'.
      if (error instanceof DamagedDocError) throw new HostError('corrupt-update', `${method}: ${error.message}`);
      if (error instanceof StoreError) throw new HostError('unavailable', `${method}: ${error.message}`);
      throw error;
    }
  }

  /** Validates a call from an untrusted client and runs it; failures are HostErrors. */
  async handle(client: HostClient, method: unknown, input: unknown): Promise<unknown> {
    const call = parseHostCall(method, input);
    await this.profileRead;
    this.clients.add(client);
    const handler = this.handlers[call.method] as (client: HostClient, input: unknown) => Promise<unknown>;
    try {
      return await handler(client, call.input);
    } catch (error) {
      if (error instanceof HostError) throw error;
      logger.error(`${call.method} failed: ${errorMessage(error)}`);
      throw new HostError('internal', `${call.method} failed`);
    }
  }

  /** Told before a space is removed from this device. */
  onSpaceRemoving(listener: (spaceId: string) => void): () => void {
    this.removing.add(listener);
    return () => this.removing.delete(listener);
  }

  /** Forgets a client that went away. */
  detach(client: HostClient): void {
    for (const [spaceId, set] of this.subscribers) if (set.delete(client)) this.windowsChanged(spaceId);
    for (const set of this.noteHolders.values()) set.delete(client);
    this.clients.delete(client);
  }

  /** Whether a window has the space open (the host's own peers are no window). */
  private windowOpen(spaceId: string): boolean {
    return [...(this.subscribers.get(spaceId) ?? [])].some((client) => !client.headless);
  }

  /** Tells an open space's search whether a window has it open: its index is held in memory while one has. */
  private windowsChanged(spaceId: string): void {
    void this.spaceHosts.get(spaceId)?.then(
      (host) => host.search.setWindowsOpen(this.windowOpen(spaceId)),
      () => {},
    );
  }

  private emitSpace<E extends 'space.indexed' | 'space.changed' | 'space.history' | 'space.attachment'>(spaceId: string, event: E, payload: HostEvents[E], except?: HostClient): void {
    for (const client of this.subscribers.get(spaceId) ?? []) if (client !== except) client.send(event, payload);
  }

  /** Sends a catalog update to the space's subscribers except `from` (the client it came from, if any). */
  private broadcastCatalog(spaceId: string, update: Uint8Array, from?: HostClient): void {
    for (const client of this.subscribers.get(spaceId) ?? []) if (client !== from) client.send('space.update', { spaceId, update });
  }

  /** Sends note updates to the clients holding those notes, and says which notes changed to the rest. */
  private broadcastNotes(spaceId: string, updates: Array<{ docId: string; update: Uint8Array }>, from?: HostClient): void {
    if (updates.length === 0) return;
    for (const { docId, update } of updates) {
      for (const client of this.noteHolders.get(noteKey(spaceId, docId)) ?? []) if (client !== from) client.send('note.update', { spaceId, noteId: docId, update });
    }
    this.broadcastChanged(spaceId, [...new Set(updates.map((u) => u.docId))], from);
  }

  private broadcastChanged(spaceId: string, noteIds: string[], from?: HostClient): void {
    this.emitSpace(spaceId, 'space.changed', { spaceId, noteIds }, from);
  }

  private async listSpaces(): Promise<SpaceSummary[]> {
    const ids = await this.store.listSpaceIds();
    const spaces: SpaceSummary[] = [];
    for (const id of ids) {
      try {
        const host = await this.space(id);
        spaces.push({ id, name: spaceName(host.store.catalog), noteCount: host.activeNoteCount() });
      } catch (error) {
        logger.warn(`space ${id} could not be opened: ${errorMessage(error)}`);
      }
    }
    return spaces;
  }

  /**
   * Opens every space in the background (catalogs, link graphs, and with `searchIndexes` the search
   * indexes), so the first window that opens one does not wait for its disk copy to be read.
   */
  async warmUp({ searchIndexes = false }: { searchIndexes?: boolean } = {}): Promise<void> {
    for (const id of await this.store.listSpaceIds().catch(() => [])) {
      await this.space(id)
        .then(async (host) => {
          host.store.diff(CATALOG_DOC_ID, new Uint8Array([0])).catch(() => {});
          host.summaries();
          // Asked for before the link graph is read, the index is brought up to date in the same pass.
          await (searchIndexes ? host.search.preload() : host.search.ready);
        })
        .catch((error: unknown) => logger.warn(`space ${id} could not be opened: ${errorMessage(error)}`));
    }
    // Invites to answer, and whether each space's key is still the newest.
    await this.refreshInvites();
  }

  /** Writes everything queued to disk. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  async close(): Promise<void> {
    if (this.invitesTimer) clearInterval(this.invitesTimer);
    this.invites.close();
    this.epochs.close();
    this.rendezvous.close();
    this.subscribers.clear();
    this.noteHolders.clear();
    this.clients.clear();
    this.offSync();
    const hosts = [...this.spaceHosts.values()];
    this.spaceHosts.clear();
    await Promise.allSettled(hosts.map(async (h) => (await h).close()));
    await this.store.close();
  }
}
