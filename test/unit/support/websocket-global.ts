/** y-webrtc's signalling client takes the WebSocket global, which Node 20 lacks: ws's, as the host's own is (headless-sync.ts). Imported for its effect. */
import { WebSocket } from 'ws';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
