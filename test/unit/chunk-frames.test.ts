import { describe, expect, it } from 'vitest';
import { encodeFrames, FRAME_BYTES, FrameAssembler } from '../../shared/peer/chunk-frames';

function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('data-channel framing', () => {
  it('splits any message into frames of at most 64 KiB and reassembles it exactly', () => {
    const assembler = new FrameAssembler();
    for (const [id, length] of [0, 1, FRAME_BYTES - 13, FRAME_BYTES - 12, FRAME_BYTES * 3 + 5, 5 * 1024 * 1024].entries()) {
      const message = bytes(length, id + 1);
      const frames = encodeFrames(message, id);
      expect(frames.every((f) => f.byteLength <= FRAME_BYTES)).toBe(true);
      const results = frames.map((f) => assembler.push(f.slice().buffer));
      expect(results.slice(0, -1).every((r) => r.kind === 'partial')).toBe(true);
      const last = results.at(-1)!;
      expect(last.kind).toBe('message');
      if (last.kind === 'message') expect(Buffer.from(last.message).equals(Buffer.from(message))).toBe(true);
    }
  });

  it('rejects out-of-order, foreign and malformed frames without throwing, then recovers', () => {
    const assembler = new FrameAssembler();
    const frames = encodeFrames(bytes(200_000), 7);
    expect(assembler.push(frames[0]).kind).toBe('partial');
    expect(assembler.push(frames[2])).toMatchObject({ kind: 'error', reason: 'a frame out of order' });
    expect(assembler.push(frames[1]).kind).toBe('error'); // the message was abandoned
    expect(assembler.push('a string')).toMatchObject({ kind: 'error' });
    expect(assembler.push(new Uint8Array([1, 2, 3]))).toMatchObject({ kind: 'error' });
    expect(assembler.push(new Uint8Array(20))).toMatchObject({ kind: 'error' });
    const bad = frames[0]!.slice();
    new DataView(bad.buffer).setUint32(9, 0); // zero frames
    expect(assembler.push(bad).kind).toBe('error');
    const other = encodeFrames(bytes(10, 3), 8);
    expect(assembler.push(other[0])).toMatchObject({ kind: 'message' });
  });

  it('says when a message is interrupted by the next one, and keeps the new one', () => {
    const assembler = new FrameAssembler();
    const first = encodeFrames(bytes(150_000), 1);
    assembler.push(first[0]);
    const second = encodeFrames(bytes(100_000, 5), 2);
    expect(assembler.push(second[0]).kind).toBe('error');
    expect(assembler.push(second[1]).kind).toBe('message');
  });

  it('caps reassembly: a peer cannot make us buffer more than the cap', () => {
    const assembler = new FrameAssembler(1024 * 1024);
    const huge = encodeFrames(bytes(1), 1)[0]!.slice();
    new DataView(huge.buffer).setUint32(9, 1_000_000); // claims ~64 GB
    expect(assembler.push(huge)).toMatchObject({ kind: 'error' });
    const frames = encodeFrames(bytes(3 * 1024 * 1024), 2);
    const results = frames.map((f) => assembler.push(f));
    expect(results.some((r) => r.kind === 'error')).toBe(true);
    expect(results.some((r) => r.kind === 'message')).toBe(false);
  });
});
