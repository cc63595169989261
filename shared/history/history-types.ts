/** What hosts say about a note's history (the host API's results). */
import type { VersionView } from './version-view';

export type VersionKind = 'baseline' | 'edit' | 'restore' | 'revert' | 'import';

/** What a catalog version did to a note's entry. */
export type EntryChange = 'created' | 'renamed' | 'trashed' | 'restored' | 'deleted' | 'tags';

export interface VersionInfo {
  n: number;
  at: number;
  kind: VersionKind;
  /** Member ids of whoever wrote or deleted in the version ('' for someone unknown). */
  authors: string[];
  wordsAdded: number;
  wordsRemoved: number;
  /** Comments the version added, and threads it resolved (absent when none). */
  comments?: number;
  resolved?: number;
  label?: string;
  /** False when a damaged record means this version cannot be rebuilt. */
  available: boolean;
  /** The first version of the note (it created it). */
  first?: boolean;
}

export interface NoteNews {
  noteId: string;
  /** Versions by others since the member last saw the note, newest first. */
  versions: VersionInfo[];
  /** What others did to the note's entry (created, renamed, trashed…) since then. */
  entries: Array<{ change: EntryChange; at: number; authors: string[] }>;
  /** The version the member last saw (to highlight what others did since), if any. */
  seen: number | null;
  /** Changes from peers arrived that are not a version yet. */
  pending?: boolean;
}

export interface ShownVersion extends VersionView {
  version: VersionInfo;
  /** The version it is compared with, or null when compared with nothing. */
  against: number | null;
}
