/**
 * The one contract between the renderer and its host (Electron main or the web host): method names,
 * the result types, the events and the errors. The runtime schemas of every input are in
 * host-schemas.ts, which only hosts load (zod is large; the renderer needs none of it).
 */
import type { hostInputSchemas, HostInput as SchemaInput } from './host-schemas';
import type { SearchHit } from './search-index';
import type { NoteNews, ShownVersion, VersionInfo } from './history/history-types';
import type { SpaceRelays } from './relays';

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
/** Markdown import over the API: one Markdown file (any other file may fill the call), the files of one call together, and files per call. */
export const MAX_MARKDOWN_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_IMPORT_CALL_BYTES = 48 * 1024 * 1024;
export const MAX_IMPORT_CALL_FILES = 5000;
/** Most signalling addresses remembered per space (invite hints and manual connections). */
export const MAX_SPACE_ADDRESSES = 32;
/** Bytes one attachment.read may return. */
export const MAX_ATTACHMENT_READ_BYTES = 4 * 1024 * 1024;
/** Largest encoded message either transport accepts. */
export const MAX_MESSAGE_BYTES = Math.ceil((MAX_UPDATE_BYTES * 4) / 3) + 64 * 1024;

export type HostMethod = keyof typeof hostInputSchemas;
export type HostInput<M extends HostMethod> = SchemaInput<M>;
/** A member's profile as the host keeps it (shared/host-schemas.ts checks it). */
export interface MemberProfile {
  id: string;
  name: string;
  color: string;
}

export interface SpaceSummary {
  id: string;
  name: string;
  noteCount: number;
}

export interface HostResults {
  /** `attachmentLimit`: the largest file this host stores as an attachment, in bytes. */
  'app.info': { version: string; host: 'electron' | 'web'; platform: string; attachmentLimit: number };
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
  /** Attachments (shared/attachments): the size of each file on this device, or null where it is not. */
  'attachment.stat': { sizes: Array<number | null> };
  /** Bytes of a stored file (at most MAX_ATTACHMENT_READ_BYTES a call). */
  'attachment.read': { bytes: Uint8Array };
  /** A stored file's size and the SHA-256 of each of its chunks (what a peer checks them against); size null when absent. */
  'attachment.chunks': { size: number | null; hashes: Uint8Array };
  /** One chunk of a file, from this window or a peer; `complete` once every chunk is in and the bytes match the hash. */
  'attachment.write': { complete: boolean };
  /** Files the space's notes show that this device lacks, with the notes that show each. */
  'attachment.missing': { missing: Array<{ hash: string; noteIds: string[] }> };
  /**
   * The space's notes as lists show them (not the deleted ones), so a window shows its list and its
   * note before it has decoded the catalog: a JSON array of SummaryRow, as text (the host keeps it
   * encoded, and thousands of rows cross the wire without being walked value by value).
   */
  'space.summaries': { rows: string };
  /** A note's versions, newest first (open changes become one first). */
  'note.history': { versions: VersionInfo[] };
  /** One version with what changed since another (by default the one before); null when it cannot be rebuilt. */
  'note.version': { shown: ShownVersion | null };
  /** Brings a version back as a new edit, recorded and sent on by the host; the caller applies `update` itself (so it can undo it). */
  'note.restore': { update: Uint8Array | null };
  /** Records that the member has seen these notes as they are now (unless `flush: false`, open changes become a version first). */
  'note.seen': { seen: true };
  /** What others changed since the member last saw each note (with `flush`, what peers sent becomes a version first). */
  'space.news': { notes: NoteNews[] };
  /** The notes (and whether the catalog) a member changed since a time; with `apply`, those changes are taken back as new edits. */
  'space.revertMember': { notes: Array<{ noteId: string; title: string }>; catalog: boolean; applied: boolean };
  'shell.openExternal': { opened: boolean };
  /** Where the renderer finds peers: its own host's signalling server and every one discovered on the LAN. */
  'sync.info': SyncInfo;
  /**
   * The space's current key (null until it is first shared, unless `create`; null for a device removed
   * from the space), its epoch, and its remembered addresses.
   */
  /** The space's y-webrtc room (derived from the space key, which stays in the host), or null when not shared. */
  'space.sharing': { room: SpaceRoom | null; addresses: string[]; epoch: number; removed: boolean; relays: SpaceRelays };
  /** Sets the space's rendezvous and TURN servers on this device (invites made after carry them). */
  'space.setRelays': { relays: SpaceRelays };
  /** Removes a member (owners only): a new space key and room, sealed for every remaining member. */
  'space.removeMember': MembersView;
  /** Records a joined space's secret and addresses on this device and creates the space in the store. */
  'space.join': { joined: true };
  /** The space's members as its signed records say (a space shared before membership existed becomes one now). */
  'space.members': MembersView;
  /** Makes a member an owner (owners only); the members after. */
  'space.makeOwner': MembersView;
  /** A new invite (owners only): a code with a one-time token, valid until `expires`. */
  'space.createInvite': { code: string; invite: string; expires: number };
  'space.revokeInvite': MembersView;
  /** Joins with a current invite: a member online checks it and hands over the space key for this device. */
  'space.redeemInvite': { joined: true };
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

/** One member of a space, as the Members panel shows them. */
export interface MemberView {
  id: string;
  name: string;
  color: string | null;
  owner: boolean;
  removed: boolean;
  removedBy?: string;
  invitedBy: string | null;
  joinedAt: number;
  /** A short fingerprint of the member's device key. */
  device: string;
  you: boolean;
  /** When this device last recorded an edit of theirs. */
  lastSeen: number | null;
}

/** What a window needs to sync a space: a room name that reveals nothing, and y-webrtc's password. */
export interface SpaceRoom {
  name: string;
  password: string;
}

/** An invite as owners see it. */
export interface InviteView {
  invite: string;
  expires: number;
  single: boolean;
  used: boolean;
  revoked: boolean;
  by: string;
  at: number;
}

export interface MembersView {
  members: MemberView[];
  /** Invites (owners see them). */
  invites: InviteView[];
  /** The space key's epoch: 1, then one more at each removal. */
  epoch: number;
  /** Whether this device is a member. */
  registered: boolean;
  owner: boolean;
}

/** One note in `space.summaries`, as an array to keep the message small. */
export type SummaryRow = [id: string, title: string, tags: string[], createdAt: number, createdBy: string, updatedAt: number, updatedBy: string, trashedAt: number | null, state: 'active' | 'trashed', folder: string];

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
  /** An attachment of the space is now stored on this device (from this window, another, or a peer). */
  'space.attachment': { spaceId: string; hash: string };
  /** The space's key changed (a member was removed; sync moves to the new room), or this device was removed. */
  'space.key': { spaceId: string; epoch: number; removed: boolean };
  /** New versions were recorded for these documents (History, What's new and the list's marks may differ). */
  'space.history': { spaceId: string; docIds: string[]; byOthers: boolean };
  /** The space's rendezvous or TURN servers changed on this device. */
  'space.relays': { spaceId: string; relays: SpaceRelays };
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
