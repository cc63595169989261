import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { peerMessageProblem } from '../../shared/peer/peer-message-guard';

function syncMessage(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

describe('peer message guard', () => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello');

  it('passes the messages y-webrtc sends', () => {
    expect(peerMessageProblem(syncMessage((e) => syncProtocol.writeSyncStep1(e, doc)))).toBeNull();
    expect(peerMessageProblem(syncMessage((e) => syncProtocol.writeSyncStep2(e, doc)))).toBeNull();
    expect(peerMessageProblem(syncMessage((e) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(doc))))).toBeNull();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ name: 'Ana' });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]));
    expect(peerMessageProblem(encoding.toUint8Array(encoder))).toBeNull();
    expect(peerMessageProblem(new Uint8Array([3]))).toBeNull();
  });

  it('names what is wrong with malformed or truncated messages, without throwing', () => {
    const update = syncMessage((e) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(doc)));
    expect(peerMessageProblem(new Uint8Array())).toMatch(/undecodable/);
    expect(peerMessageProblem(new Uint8Array([9]))).toMatch(/unknown message type/);
    expect(peerMessageProblem(new Uint8Array([0, 7, 0]))).toMatch(/unknown sync step/);
    expect(peerMessageProblem(update.subarray(0, update.length - 3))).not.toBeNull();
    expect(peerMessageProblem(syncMessage((e) => {
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint8Array(e, new Uint8Array([5, 200, 1, 2, 3]));
    }))).not.toBeNull();
    const awareness = encoding.createEncoder();
    encoding.writeVarUint(awareness, 1);
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, 1);
    encoding.writeVarUint(inner, 5);
    encoding.writeVarUint(inner, 1);
    encoding.writeVarString(inner, '{not json');
    encoding.writeVarUint8Array(awareness, encoding.toUint8Array(inner));
    expect(peerMessageProblem(encoding.toUint8Array(awareness))).toMatch(/undecodable/);
  });
});
