/**
 * The runtime schemas of the host contract (shared/host-api.ts): every input a host accepts, checked
 * with zod before any handler runs. Loaded by hosts and tools, not by the renderer.
 */
import { z } from 'zod';
import { HostError, MAX_ATTACHMENT_READ_BYTES, MAX_DOCS_PER_CALL, MAX_IMPORT_CALL_BYTES, MAX_IMPORT_CALL_FILES, MAX_MARKDOWN_FILE_BYTES, MAX_PUSH_BYTES, MAX_QUERY_CHARS, MAX_SPACE_ADDRESSES, MAX_STATE_VECTOR_BYTES, MAX_UPDATE_BYTES, type HostMethod } from './host-api';
import { isHostPort } from './net-address';
import { MAX_CREDENTIAL_CHARS, MAX_RELAY_URL_CHARS, MAX_RENDEZVOUS, MAX_TURN_SERVERS, relaysProblem, type SpaceRelays } from './relays';
import { ATTACHMENT_CHUNK_BYTES } from './attachments/attachment';

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

/** A space's rendezvous and TURN servers (shared/relays.ts). */
export const relaysSchema = z
  .object({
    rendezvous: z.array(z.string().max(MAX_RELAY_URL_CHARS)).max(MAX_RENDEZVOUS),
    turn: z
      .array(z.object({ url: z.string().max(MAX_RELAY_URL_CHARS), username: z.string().max(MAX_CREDENTIAL_CHARS), credential: z.string().max(MAX_CREDENTIAL_CHARS) }).strict())
      .max(MAX_TURN_SERVERS),
  })
  .strict()
  .superRefine((relays: SpaceRelays, ctx) => {
    const problem = relaysProblem(relays);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Note ids: random url-safe strings; anything else could name a path. */
export const noteIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a note id');
/** A document of a space in peer sync: a note, or the catalog itself. */
export const docIdSchema = z.union([z.literal('catalog'), noteIdSchema]);

/** Who an update comes from, as a window tells its host: its member's own edits, or what its peers sent. */
const changeSourceSchema = z.enum(['local', 'peers']);
const versionNumber = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Member ids as profiles make them (and '' for someone unknown, which history may name). */
const memberIdSchema = z.string().max(64);

/** A space secret as text: 32 random bytes in base64url without padding. */
export const secretSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a space secret');

/** An attachment's name: the lower-case hex SHA-256 of its bytes (it becomes a file name). */
const attachmentHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'not an attachment hash');
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const hostInputSchemas = {
  'app.info': z.object({}).strict(),
  'spaces.list': z.object({}).strict(),
  'profile.get': z.object({}).strict(),
  'profile.set': z.object({ profile: profileSchema }).strict(),
  'spaces.remove': z.object({ spaceId: spaceIdSchema }).strict(),
  'space.sync': z.object({ spaceId: spaceIdSchema, stateVector: bytes(MAX_STATE_VECTOR_BYTES) }).strict(),
  'space.append': z.object({ spaceId: spaceIdSchema, update: bytes(MAX_UPDATE_BYTES), source: changeSourceSchema.optional() }).strict(),
  'space.subscribe': z.object({ spaceId: spaceIdSchema }).strict(),
  'space.unsubscribe': z.object({ spaceId: spaceIdSchema }).strict(),
  'note.sync': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema, stateVector: bytes(MAX_STATE_VECTOR_BYTES) }).strict(),
  'note.append': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema, update: bytes(MAX_UPDATE_BYTES), source: changeSourceSchema.optional() }).strict(),
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
  'space.summaries': z.object({ spaceId: spaceIdSchema }).strict(),
  'note.history': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema }).strict(),
  'note.version': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema, n: versionNumber, against: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional() }).strict(),
  'note.restore': z.object({ spaceId: spaceIdSchema, noteId: noteIdSchema, n: versionNumber }).strict(),
  'note.seen': z.object({ spaceId: spaceIdSchema, noteIds: z.array(noteIdSchema).max(MAX_DOCS_PER_CALL), flush: z.boolean().optional() }).strict(),
  'space.news': z.object({ spaceId: spaceIdSchema, flush: z.boolean().optional() }).strict(),
  'space.revertMember': z.object({ spaceId: spaceIdSchema, memberId: memberIdSchema, since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), apply: z.boolean() }).strict(),
  'space.search': z
    .object({ spaceId: spaceIdSchema, query: z.string().max(MAX_QUERY_CHARS), limit: z.number().int().min(1).max(200).optional(), titlesOnly: z.boolean().optional() })
    .strict(),
  'attachment.stat': z.object({ spaceId: spaceIdSchema, hashes: z.array(attachmentHashSchema).max(MAX_DOCS_PER_CALL) }).strict(),
  'attachment.read': z.object({ spaceId: spaceIdSchema, hash: attachmentHashSchema, offset: byteCount, length: z.number().int().min(0).max(MAX_ATTACHMENT_READ_BYTES) }).strict(),
  'attachment.chunks': z.object({ spaceId: spaceIdSchema, hash: attachmentHashSchema }).strict(),
  'attachment.write': z.object({ spaceId: spaceIdSchema, hash: attachmentHashSchema, size: byteCount, offset: byteCount, bytes: bytes(ATTACHMENT_CHUNK_BYTES) }).strict(),
  'attachment.missing': z.object({ spaceId: spaceIdSchema }).strict(),
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
  'space.members': z.object({ spaceId: spaceIdSchema }).strict(),
  'space.makeOwner': z.object({ spaceId: spaceIdSchema, memberId: memberIdSchema }).strict(),
  'space.removeMember': z.object({ spaceId: spaceIdSchema, memberId: memberIdSchema }).strict(),
  'space.createInvite': z
    .object({ spaceId: spaceIdSchema, expiresInMs: z.number().int().min(60_000).max(365 * 24 * 3600 * 1000), singleUse: z.boolean() })
    .strict(),
  'space.revokeInvite': z.object({ spaceId: spaceIdSchema, invite: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/) }).strict(),
  'space.redeemInvite': z
    .object({
      spaceId: spaceIdSchema,
      token: secretSchema,
      expires: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      addresses: z.array(signalingAddressSchema).max(MAX_SPACE_ADDRESSES),
      relays: relaysSchema.optional(),
    })
    .strict(),
  'space.setRelays': z.object({ spaceId: spaceIdSchema, relays: relaysSchema }).strict(),
  'space.addAddress': z.object({ spaceId: spaceIdSchema, address: signalingAddressSchema }).strict(),
  'space.exportMarkdown': z
    .object({
      scope: z.enum(['note', 'space', 'all']),
      spaceId: spaceIdSchema.optional(),
      noteId: noteIdSchema.optional(),
      wikilinks: z.boolean().optional(),
      comments: z.boolean().optional(),
    })
    .strict()
    .refine((i) => i.scope === 'all' || i.spaceId !== undefined, { message: 'spaceId is required unless scope is all' })
    .refine((i) => i.scope !== 'note' || i.noteId !== undefined, { message: 'noteId is required when scope is note' }),
  'space.importMarkdown': z
    .object({
      spaceId: spaceIdSchema,
      /** Names the space when this import creates it. */
      spaceName: z.string().max(200).optional(),
      // A Markdown file is held to its own limit; another file (an attachment) only to the call's, then to the host's attachment limit.
      files: z
        .array(
          z
            .object({ path: z.string().min(1).max(1024), bytes: bytes(MAX_IMPORT_CALL_BYTES) })
            .strict()
            .refine((f) => !/\.(md|markdown|mdown|mkd)$/i.test(f.path) || f.bytes.byteLength <= MAX_MARKDOWN_FILE_BYTES, { message: `larger than ${MAX_MARKDOWN_FILE_BYTES} bytes for a Markdown file` }),
        )
        .max(MAX_IMPORT_CALL_FILES)
        .optional(),
      zip: bytes(MAX_IMPORT_CALL_BYTES).optional(),
      /** Files the window already stored as attachments (attachment.write), by their path in the import: read only if a note shows them. */
      attachments: z
        .array(z.object({ path: z.string().min(1).max(1024), hash: attachmentHashSchema, size: byteCount }).strict())
        .max(MAX_IMPORT_CALL_FILES)
        .optional(),
      author: z.object({ id: z.string().min(1).max(64), name: z.string().max(200) }).strict().optional(),
      folderTags: z.boolean().optional(),
    })
    .strict()
    .refine((i) => (i.files === undefined) !== (i.zip === undefined), { message: 'send either files or zip' })
    .refine((i) => (i.files ?? []).reduce((sum, f) => sum + f.bytes.byteLength, 0) <= MAX_IMPORT_CALL_BYTES, { message: `larger than ${MAX_IMPORT_CALL_BYTES} bytes in one call` }),
} as const;

export type HostInput<M extends keyof typeof hostInputSchemas> = z.infer<(typeof hostInputSchemas)[M]>;

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

