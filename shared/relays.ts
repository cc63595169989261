/**
 * A space's relays, for members on different networks: rendezvous (signalling servers reached over
 * wss://, such as the always-on host's) and TURN servers with their credentials. Both see only what the
 * space key encrypts (signalling) or DTLS protects (TURN). Kept with the space's secret on each device
 * and carried in its invites. Checked by hand: the renderer loads no zod.
 */
import { parseHostPort } from './net-address';

export interface TurnServer {
  /** turn:host[:port] or turns:host[:port], optionally with ?transport=udp or ?transport=tcp. */
  url: string;
  username: string;
  credential: string;
}

export interface SpaceRelays {
  /** wss://host:port of signalling servers beyond the LAN. */
  rendezvous: string[];
  turn: TurnServer[];
}

export const NO_RELAYS: SpaceRelays = { rendezvous: [], turn: [] };
export const MAX_RENDEZVOUS = 4;
export const MAX_TURN_SERVERS = 4;
export const MAX_CREDENTIAL_CHARS = 256;
export const MAX_RELAY_URL_CHARS = 300;

export const hasRelays = (relays: SpaceRelays): boolean => relays.rendezvous.length + relays.turn.length > 0;

/** What is wrong with a rendezvous URL, in words a member can act on, or null. */
export function rendezvousProblem(url: string): string | null {
  if (typeof url !== 'string' || url.length > MAX_RELAY_URL_CHARS) return 'a rendezvous is a URL such as wss://notes.example.org:4443';
  if (!url.startsWith('wss://')) return 'a rendezvous starts with wss:// (signalling beyond the LAN is always encrypted in transit)';
  return parseHostPort(url.slice('wss://'.length)) ? null : 'a rendezvous is wss://host:port, for example wss://notes.example.org:4443';
}

const TURN_URL = /^(turns?):([^:?/@\s]+|\[[0-9a-fA-F:]+\])(?::([1-9]\d{0,4}))?(?:\?transport=(?:udp|tcp))?$/;

/**
 * The server a TURN URL names, as scheme:host:port with the default port filled in (3478, or 5349 for
 * turns:), or null when it is not one. WebRTC reports errors with the port and transport always
 * written out, so the two are compared this way.
 */
export function turnServerAddress(url: string): string | null {
  const match = typeof url === 'string' && url.length <= MAX_RELAY_URL_CHARS ? TURN_URL.exec(url) : null;
  if (!match) return null;
  const port = match[3] ?? (match[1] === 'turns' ? '5349' : '3478');
  return parseHostPort(`${match[2]}:${port}`) ? `${match[1]}:${match[2]}:${port}` : null;
}

/** What is wrong with a TURN server entry, or null. */
export function turnServerProblem(server: TurnServer): string | null {
  if (typeof server !== 'object' || server === null) return 'not a TURN server';
  if (!turnServerAddress(server.url)) return 'a TURN server is turn:host:port (or turns:host:port), for example turn:relay.example.org:3478';
  for (const [field, value] of [
    ['username', server.username],
    ['password', server.credential],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) return `a TURN server needs a ${field}`;
    if (value.length > MAX_CREDENTIAL_CHARS || [...value].some((c) => c < ' ' || c === '\u007f')) return `the TURN ${field} is too long or has control characters`;
  }
  return null;
}

/** What is wrong with a space's relays, or null. */
export function relaysProblem(relays: SpaceRelays): string | null {
  if (typeof relays !== 'object' || relays === null || !Array.isArray(relays.rendezvous) || !Array.isArray(relays.turn)) return 'not a list of relays';
  if (relays.rendezvous.length > MAX_RENDEZVOUS) return `at most ${MAX_RENDEZVOUS} rendezvous`;
  if (relays.turn.length > MAX_TURN_SERVERS) return `at most ${MAX_TURN_SERVERS} TURN servers`;
  for (const url of relays.rendezvous) {
    const problem = rendezvousProblem(url);
    if (problem) return problem;
  }
  for (const server of relays.turn) {
    const problem = turnServerProblem(server);
    if (problem) return problem;
  }
  return null;
}

/** The relays of both, each once (an invite's added to those a device had). */
export function mergeRelays(a: SpaceRelays, b: SpaceRelays): SpaceRelays {
  const turn = new Map<string, TurnServer>();
  for (const server of [...a.turn, ...b.turn]) turn.set(server.url, server);
  return { rendezvous: [...new Set([...a.rendezvous, ...b.rendezvous])].slice(-MAX_RENDEZVOUS), turn: [...turn.values()].slice(-MAX_TURN_SERVERS) };
}

export function sameRelays(a: SpaceRelays, b: SpaceRelays): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** WebRTC's iceServers for a space: its TURN servers, and no public STUN (nothing the space did not name). */
export function iceServersOf(relays: SpaceRelays): RTCIceServer[] {
  return relays.turn.map((server) => ({ urls: server.url, username: server.username, credential: server.credential }));
}
