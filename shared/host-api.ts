/**
 * The one contract between the renderer and its host (Electron main or the web host):
 * method names, runtime schemas for every input, and the result types.
 */
import { z } from 'zod';
import { isHostPort } from './net-address';
import type { SearchHit } from './search-index';

/** Largest Yjs update one call may carry; a whole catalog or note travels in one sync reply. */
export const MAX_UPDATE_BYTES = 64 * 1024 * 1024;
/** Documents one batched call (digests, state vectors, pulls and pushes of peer sync) may name. */
export const MAX_DOCS_PER_CALL = 512;
/** Bytes one batched push may carry in all. */
export const MAX_PUSH_BYTES = 48 * 1024 * 1024;
/** Longest search query. */
export const MAX_QUERY_CHARS = 500;
/** Largest state vector one call may carry (a vector is a few bytes per client). */
export const MAX_STATE_VECTOR_BYTES = 1024 * 1024;
/** Markdown import over the API: one file, the files of one call together, and files per call. */
export const MAX_MARKDOWN_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_IMPORT_CALL_BYTES = 48 * 1024 * 1024;
export const MAX_IMPORT_CALL_FILES = 5000;
/** Largest encoded message either transport accepts. */
export const MAX_MESSAGE_BYTES = Math.ceil((MAX_UPDATE_BYTES * 4) / 3) + 64 * 1024;

const bytes = (max: number) =>
  z
    .custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes')
    .refine((b) => b.byteLength <= max, { message: `larger than ${max} bytes` });

/** Space ids are random url-safe strings; anything else could name a path. */
export const spaceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a space id');

export const profileSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    name: z.string().trim().min(1).max(200),
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  })
  .strict();
export type MemberProfile = z.infer<typeof profileSchema>;
/** host:port of a signalling server: an IPv4 address, a bracketed IPv6 address or a DNS name (shared/net-address.ts). */
export const signalingAddressSchema = z.string().max(300).refine(isHostPort, 'not a host:port address');

/** Note ids: random url-safe strings; anything else could name a path. */
export const noteIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a note id');
/** A document of a space in peer sync: a note, or the catalog itself. */
export const docIdSchema = z.union([z.literal('catalog'), noteIdSchema]);

/** A space secret as text: 32 random bytes in base64url without padding. */
export const secretSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a space secret');

/** Most signalling addresses remembered per space (invite hints and manual connections). */
export const MAX_SPACE_ADDRESSES = 32;

export const hostInputSchemas = {
  'app.info': z.object({}).strict(),
  'spaces.list': z.object({}).strict(),
  'profile.get': z.object({}).strict(),
  'profile.set': z.object({ profile: profileSchema }).strict(),
  'spaces.remove': z.object({ spaceId: spaceIdSchema }).strict(),
  'space.sync': z.object({ spaceId: spaceIdSchema, stateVector: bytes(MAX_STATE_VECTOR_BYTES) }).strict(),
  'space.append': z.object({ spaceId: spaceIdSchema, update: bytes(MAX_UPDATE_BYTES) }).strict(),
  'space.subscribe': z.object({ spaceId: spaceIdSchema }).strict(),
  'space.unsubscribe': z.object({ spaceId: spaceIdSchema }).strict(),
  'note.sync': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema, stateVector: bytes(MAX_STATE_VECTOR_BYTES) }).strict(),
  'note.append': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema, update: bytes(MAX_UPDATE_BYTES) }).strict(),
  'note.release': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema }).strict(),
  'note.backlinks': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema }).strict(),
  'notes.manifest': z.object({ spaceId: spaceIdSchema }).strict(),
  'notes.bucketDocs': z.object({ spaceId: spaceIdSchema, buckets: z.array(z.number().int().min(0).max(255)).max(256) }).strict(),
  'notes.stateVectors': z.object({ spaceId: spaceIdSchema, docIds: z.array(docIdSchema).max(MAX_DOCS_PER_CALL) }).strict(),
  'notes.pull': z
    .object({ spaceId: spaceIdSchema, requests: z.array(z.object({ docId: docIdSchema, stateVector: bytes(MAX_STATE_VECTOR_BYTES) }).strict()).max(MAX_DOCS_PER_CALL) })
    .strict(),
  'notes.push': z
    .object({ spaceId: spaceIdSchema, updates: z.array(z.object({ docId: docIdSchema, update: bytes(MAX_UPDATE_BYTES) }).strict()).max(MAX_DOCS_PER_CALL) })
    .strict()
    .refine((i) => i.updates.reduce((sum, u) => sum + u.update.byteLength, 0) <= MAX_PUSH_BYTES, { message: `larger than ${MAX_PUSH_BYTES} bytes in one call` }),
  'space.search': z
    .object({ spaceId: spaceIdSchema, query: z.string().max(MAX_QUERY_CHARS), limit: z.number().int().min(1).max(200).optional(), titlesOnly: z.boolean().optional() })
    .strict(),
  'shell.openExternal': z.object({ url: z.string().max(4096) }).strict(),
  'sync.info': z.object({}).strict(),
  'space.sharing': z.object({ spaceId: spaceIdSchema, create: z.boolean() }).strict(),
  'space.join': z
    .object({
      spaceId: spaceIdSchema,
      name: z.string().max(200),
      secret: secretSchema,
      addresses: z.array(signalingAddressSchema).max(MAX_SPACE_ADDRESSES),
    })
    .strict(),
  'space.addAddress': z.object({ spaceId: spaceIdSchema, address: signalingAddressSchema }).strict(),
  'space.exportMarkdown': z
    .object({
      scope: z.enum(['note', 'space', 'all']),
      spaceId: spaceIdSchema.optional(),
      noteId: noteIdSchema.optional(),
      wikilinks: z.boolean().optional(),
    })
    .strict()
    .refine((i) => i.scope === 'all' || i.spaceId !== undefined, { message: 'spaceId is required unless scope is all' })
    .refine((i) => i.scope !== 'note' || i.noteId !== undefined, { message: 'noteId is required when scope is note' }),
  'space.importMarkdown': z
    .object({
      spaceId: spaceIdSchema,
      /** Names the space when this import creates it. */
      spaceName: z.string().max(200).optional(),
      files: z.array(z.object({ path: z.string().min(1).max(1024), bytes: bytes(MAX_MARKDOWN_FILE_BYTES) }).strict()).max(MAX_IMPORT_CALL_FILES).optional(),
      zip: bytes(MAX_IMPORT_CALL_BYTES).optional(),
      author: z.object({ id: z.string().min(1).max(64), name: z.string().max(200) }).strict().optional(),
      folderTags: z.boolean().optional(),
    })
    .strict()
    .refine((i) => (i.files === undefined) !== (i.zip === undefined), { message: 'send either files or zip' })
    .refine((i) => (i.files ?? []).reduce((sum, f) => sum + f.bytes.byteLength, 0) <= MAX_IMPORT_CALL_BYTES, { message: `larger than ${MAX_IMPORT_CALL_BYTES} bytes in one call` }),
} as const;

export type HostMethod = keyof typeof hostInputSchemas;
export type HostInput<M extends HostMethod> = z.infer<(typeof hostInputSchemas)[M]>;

export interface SpaceSummary {
  id: string;
  name: string;
  noteCount: number;
}

export interface HostResults {
  'app.info': { version: string; host: 'electron' | 'web'; platform: string };
  'spaces.list': { spaces: SpaceSummary[] };
  /** This device's member profile, or null before the member has chosen a name. */
  'profile.get': { profile: MemberProfile | null };
  'profile.set': { saved: true };
  /** Deletes the space's durable copy from this device (other members keep theirs). */
  'spaces.remove': { removed: boolean };
  /** The catalog updates the caller lacks, and the host's state vector so the caller can send what the host lacks. */
  'space.sync': { update: Uint8Array; stateVector: Uint8Array };
  /** A catalog update; resolves once it is durable on disk. */
  'space.append': { saved: true };
  /** The caller gets the space's events: catalog updates, notes changed elsewhere, the index caught up. */
  'space.subscribe': { subscribed: true };
  'space.unsubscribe': { subscribed: false };
  /** As space.sync for one note; the caller also gets 'note.update' for it until 'note.release'. */
  'note.sync': { update: Uint8Array; stateVector: Uint8Array };
  'note.append': { saved: true };
  'note.release': { released: true };
  /** Ids of the notes that link to this one (any state; the caller shows the active ones). */
  'note.backlinks': { noteIds: string[] };
  /** Peer sync: the space's bucket digests (see shared/note-sync). */
  'notes.manifest': { manifest: Uint8Array };
  'notes.bucketDocs': { docs: Array<{ docId: string; digest: Uint8Array }> };
  'notes.stateVectors': { stateVectors: Uint8Array[] };
  /** One update per request, in order: what a replica with that state vector lacks. */
  'notes.pull': { updates: Uint8Array[] };
  /** Updates from peers for documents the caller does not hold; resolves once they are on disk. */
  'notes.push': { saved: true };
  'space.search': { hits: SearchHit[] };
  'shell.openExternal': { opened: boolean };
  /** Where the renderer finds peers: its own host's signalling server and every one discovered on the LAN. */
  'sync.info': SyncInfo;
  /** The space's secret (null until it is first shared, unless `create`) and its remembered addresses. */
  'space.sharing': { secret: string | null; addresses: string[] };
  /** Records a joined space's secret and addresses on this device and creates the space in the store. */
  'space.join': { joined: true };
  /** Remembers a signalling address for a space ("Connect to address"). */
  'space.addAddress': { addresses: string[] };
  /** A zip of Markdown files with front matter (and index.md per space). */
  'space.exportMarkdown': { zip: Uint8Array; fileName: string; noteCount: number };
  /** One report per file; the imported notes reach subscribers as a 'space.update'. */
  'space.importMarkdown': {
    spaceId: string;
    imported: number;
    skipped: number;
    failed: number;
    reports: Array<{ path: string; status: 'imported' | 'skipped' | 'failed'; noteId?: string; title?: string; messages: string[] }>;
  };
}

export interface SyncInfo {
  /** False when LAN sync is off (`--no-lan`): only this machine's own signalling server is used. */
  lan: boolean;
  /** ws:// URLs: this host's signalling server first, then those discovered over mDNS. */
  signalingUrls: string[];
  /** host:port of every address this host's signalling server listens on (for invites). */
  addresses: string[];
}

export type HostResult<M extends HostMethod> = HostResults[M];

/** Events the host pushes to subscribed renderers. */
export interface HostEvents {
  /** Another client of the same host changed the catalog; apply it. */
  'space.update': { spaceId: string; update: Uint8Array };
  /** Another client of the same host changed a note the caller holds (note.sync); apply it. */
  'note.update': { spaceId: string; noteId: string; update: Uint8Array };
  /** Notes changed by another client of the host (an import, another window, a peer of another window). */
  'space.changed': { spaceId: string; noteIds: string[] };
  /** The space's search index and links caught up with changes: search results and backlinks may differ. */
  'space.indexed': { spaceId: string };
  /** The set of reachable signalling servers changed (a peer appeared on or left the LAN). */
  'sync.changed': SyncInfo;
  /** The desktop app was opened with a commonplace://join/… link: offer to join with this code. */
  'app.openInvite': { code: string };
}
export type HostEventName = keyof HostEvents;

export type HostErrorCode =
  | 'unknown-method'
  | 'invalid-input'
  | 'too-large'
  | 'corrupt-update'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

/** A typed failure a host returns instead of throwing across the boundary. */
export class HostError extends Error {
  constructor(
    readonly code: HostErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

export function isHostMethod(name: unknown): name is HostMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(hostInputSchemas, name);
}

/** Validates a call's method and input; throws HostError with a readable reason. */
export function parseHostCall<M extends HostMethod>(method: unknown, input: unknown): { method: M; input: HostInput<M> } {
  if (!isHostMethod(method)) throw new HostError('unknown-method', `unknown method ${JSON.stringify(String(method)).slice(0, 80)}`);
  const parsed = hostInputSchemas[method].safeParse(input);
  if (!parsed.success) {
    const tooLarge = parsed.error.issues.some((i) => i.message.startsWith('larger than'));
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw new HostError(tooLarge ? 'too-large' : 'invalid-input', `${method}: ${reason}`);
  }
  return { method: method as M, input: parsed.data as HostInput<M> };
}

/** What the renderer sees of its host, whichever host it is. */
export interface HostApi {
  call<M extends HostMethod>(method: M, input: HostInput<M>): Promise<HostResult<M>>;
  on<E extends HostEventName>(event: E, listener: (payload: HostEvents[E]) => void): () => void;
  /** Called with true when the host connection is up, false when it drops. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

/**
 * The schemes of links that may open outside the app (in the system browser or mail client), for both
 * hosts and for the editor's link field: never file:, javascript: or custom protocols.
 */
export const EXTERNAL_LINK_SCHEMES: readonly string[] = ['http:', 'https:', 'mailto:'];

/** Whether a link may open outside the app: a URL with one of EXTERNAL_LINK_SCHEMES. */
export function isAllowedExternalUrl(url: string): boolean {
  try {
    return EXTERNAL_LINK_SCHEMES.includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
