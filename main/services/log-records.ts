/**
 * The framing of append-only logs on disk: each record is a 4-byte marker, its length, a CRC32 and
 * the payload, so a torn or corrupt record is found, reported and skipped without losing the records
 * after it.
 */
import { crc32 } from 'node:zlib';

const RECORD_MARKER = Buffer.from([0xc0, 0x9b, 0x1e, 0x5a]);
export const RECORD_HEADER_BYTES = 12; // marker, u32 length, u32 crc

export function encodeRecord(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  RECORD_MARKER.copy(header, 0);
  header.writeUInt32LE(payload.byteLength, 4);
  header.writeUInt32LE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

/** Reads every intact record; a bad one is reported and the scan resumes at the next marker. */
export function readLogRecords(
  buffer: Buffer,
  report: (offset: number, kind: 'corrupt-record' | 'truncated-tail', detail: string) => void,
): { records: Array<{ offset: number; payload: Uint8Array }>; goodLength: number } {
  const records: Array<{ offset: number; payload: Uint8Array }> = [];
  let pos = 0;
  let goodLength = 0;
  while (pos < buffer.length) {
    const atMarker = buffer.length - pos >= 4 && buffer.compare(RECORD_MARKER, 0, 4, pos, pos + 4) === 0;
    const next = buffer.indexOf(RECORD_MARKER, pos + 1);
    if (!atMarker) {
      if (next === -1) {
        report(pos, 'truncated-tail', `${buffer.length - pos} unreadable bytes at the end of the log`);
        break;
      }
      report(pos, 'corrupt-record', `${next - pos} unreadable bytes skipped`);
      pos = next;
      continue;
    }
    if (buffer.length - pos < RECORD_HEADER_BYTES) {
      report(pos, 'truncated-tail', 'record header cut short');
      break;
    }
    const length = buffer.readUInt32LE(pos + 4);
    const end = pos + RECORD_HEADER_BYTES + length;
    if (end > buffer.length) {
      if (next === -1) {
        report(pos, 'truncated-tail', 'last record cut short (an unfinished write)');
        break;
      }
      report(pos, 'corrupt-record', 'record length runs past the next record');
      pos = next;
      continue;
    }
    const payload = buffer.subarray(pos + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== buffer.readUInt32LE(pos + 8)) {
      report(pos, 'corrupt-record', 'checksum mismatch');
      pos = next === -1 ? buffer.length : next;
      continue;
    }
    records.push({ offset: pos, payload: new Uint8Array(payload) });
    pos = end;
    goodLength = end;
  }
  return { records, goodLength };
}
