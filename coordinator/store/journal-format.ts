import { crc32 } from 'node:zlib';
import type { Patch } from 'immer';

/** JournalRecord is one group-committed batch: its sequence number and the immer patches it made. */
export interface JournalRecord {
  seq: number;
  patches: Patch[];
}

/** HEADER is the frame header: payload length (u32 LE) then the payload's CRC-32 (u32 LE). */
const HEADER = 8;

/** encodeRecord frames one record: [length][crc32][JSON payload], the JSON encoded straight into the frame. */
export function encodeRecord(record: JournalRecord): Buffer {
  const json = JSON.stringify(record);
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER + length);
  frame.write(json, HEADER, 'utf8');
  frame.writeUInt32LE(length, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER)), 4);
  return frame;
}

/**
 * ScanResult is what a journal segment holds: the whole records, the byte length they cover
 * (`goodBytes`) and, when the bytes after them are not a whole record, why (`tail`).
 */
export interface ScanResult {
  records: JournalRecord[];
  goodBytes: number;
  /** torn: the last frame is cut short or fails its checksum with nothing after it (a crash mid-append) */
  tail: 'clean' | 'torn' | 'corrupt';
}

/**
 * scanRecords reads frames until the data ends or one is not whole. A short or mismatching last
 * frame is a torn tail (an append that never completed, so never acknowledged); a bad frame with
 * more bytes after it is corruption (it cannot come from a crash: appends are one at a time).
 */
export function scanRecords(data: Buffer): ScanResult {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < HEADER) return { records, goodBytes: at, tail: 'torn' };
    const len = data.readUInt32LE(at);
    const end = at + HEADER + len;
    if (end > data.length) return { records, goodBytes: at, tail: 'torn' };
    const payload = data.subarray(at + HEADER, end);
    const record = crc32(payload) === data.readUInt32LE(at + 4) ? parse(payload) : null;
    if (!record) return { records, goodBytes: at, tail: end === data.length ? 'torn' : 'corrupt' };
    records.push(record);
    at = end;
  }
  return { records, goodBytes: at, tail: 'clean' };
}

function parse(payload: Buffer): JournalRecord | null {
  try {
    const r = JSON.parse(payload.toString('utf8')) as Partial<JournalRecord>;
    return Number.isSafeInteger(r.seq) && Array.isArray(r.patches) ? (r as JournalRecord) : null;
  } catch {
    return null;
  }
}
