/**
 * Checks a y-webrtc message from a peer before y-webrtc applies it: a malformed sync or awareness
 * message would otherwise throw inside y-webrtc's handler, or half-apply to the space's document.
 * Returns why the message is unacceptable, or null when it is well formed.
 */
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { errorMessage } from '../errors';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_QUERY_AWARENESS = 3;
const MESSAGE_BC_PEER_ID = 4;
const SYNC_STEP_1 = 0;
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

export function peerMessageProblem(message: Uint8Array): string | null {
  try {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MESSAGE_SYNC: {
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (step === SYNC_STEP_1) Y.decodeStateVector(payload);
        else if (step === SYNC_STEP_2 || step === SYNC_UPDATE) Y.decodeUpdate(payload);
        else return `unknown sync step ${step}`;
        return null;
      }
      case MESSAGE_AWARENESS: {
        const update = decoding.createDecoder(decoding.readVarUint8Array(decoder));
        const count = decoding.readVarUint(update);
        for (let i = 0; i < count; i++) {
          decoding.readVarUint(update); // client id
          decoding.readVarUint(update); // clock
          const state: unknown = JSON.parse(decoding.readVarString(update));
          if (state !== null && (typeof state !== 'object' || Array.isArray(state))) return 'an awareness state that is not an object';
        }
        return null;
      }
      case MESSAGE_QUERY_AWARENESS:
        return null;
      case MESSAGE_BC_PEER_ID:
        decoding.readUint8(decoder);
        decoding.readVarString(decoder);
        return null;
      default:
        return `unknown message type ${type}`;
    }
  } catch (error) {
    return `undecodable: ${errorMessage(error)}`;
  }
}
