/**
 * Reading a space as schema 1 stored it (one Y.Doc per space: `snapshot.bin`, then `log.bin`), for the
 * one-time migration to a document per note and for read-only tools meeting a directory not yet
 * migrated. Nothing here writes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as Y from 'yjs';
import { readLogRecords } from './log-records';
import { errorMessage } from '../../shared/errors';

const SNAPSHOT_MAGIC = Buffer.from('CPSNAP01', 'ascii');
const SNAPSHOT_HEADER = SNAPSHOT_MAGIC.length + 8; // magic, u32 length, u32 crc
export const LEGACY_FILES = ['snapshot.bin', 'log.bin'] as const;

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The schema-1 snapshot's state, or an error saying why it is not one (the file is left untouched). */
function decodeSnapshot(buffer: Buffer, path: string): Uint8Array {
  const length = buffer.length >= SNAPSHOT_HEADER ? buffer.readUInt32LE(SNAPSHOT_MAGIC.length) : -1;
  if (buffer.length < SNAPSHOT_HEADER || buffer.compare(SNAPSHOT_MAGIC, 0, SNAPSHOT_MAGIC.length, 0, SNAPSHOT_MAGIC.length) !== 0 || length !== buffer.length - SNAPSHOT_HEADER) {
    throw new Error(`${path} is not a Commonplace snapshot; it was left untouched`);
  }
  const state = buffer.subarray(SNAPSHOT_HEADER);
  if (crc32(state) !== buffer.readUInt32LE(SNAPSHOT_MAGIC.length + 4)) throw new Error(`${path} fails its checksum; it was left untouched`);
  return new Uint8Array(state);
}

/**
 * A schema-1 space read from `dir`, or null when the folder holds none. Damaged log records are
 * reported and skipped, as the schema-1 store did; the log is read before the snapshot, so a
 * compaction running meanwhile can only add what the log held.
 */
export async function readLegacySpace(dir: string, onProblem?: (detail: string) => void): Promise<Y.Doc | null> {
  const log = await readIfExists(join(dir, 'log.bin'));
  const snapshot = await readIfExists(join(dir, 'snapshot.bin'));
  if (log === null && snapshot === null) return null;
  const doc = new Y.Doc();
  if (snapshot) Y.applyUpdate(doc, decodeSnapshot(snapshot, join(dir, 'snapshot.bin')));
  const { records } = readLogRecords(log ?? Buffer.alloc(0), (offset, kind, detail) => onProblem?.(`${kind} at byte ${offset} of the schema-1 log: ${detail}`));
  for (const { offset, payload } of records) {
    try {
      Y.decodeUpdate(payload);
      Y.applyUpdate(doc, payload);
    } catch (error) {
      onProblem?.(`unreadable update at byte ${offset} of the schema-1 log: ${errorMessage(error)}`);
    }
  }
  return doc;
}
