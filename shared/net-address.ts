/**
 * Network addresses as text, checked one way everywhere: host:port of a signalling server (invites,
 * "Connect to address", addresses remembered for a space), ws:// signalling URLs, and which IP
 * addresses are loopback, private or link-local. Strict on purpose: an address that one part of the
 * app reads differently from another (999.1.1.1, 01.2.3.4, a zone id) is refused everywhere.
 */

/** Dotted IPv4, four parts of 0–255 without leading zeros (which some parsers read as octal). */
export function parseIPv4(text: string): [number, number, number, number] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const parts = match.slice(1).map((part) => (part.length > 1 && part.startsWith('0') ? NaN : Number(part)));
  return parts.every((n) => n >= 0 && n <= 255) ? (parts as [number, number, number, number]) : null;
}

/** An IPv6 address without brackets or zone id, as its eight 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return null;
  let tail: number[] = [];
  let body = text;
  // An embedded IPv4 address fills the last two groups (::ffff:10.1.2.3).
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    const v4 = lastColon < 0 ? null : parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...head, ...rest].some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const written = head.length + rest.length + tail.length;
  if (halves.length === 1 ? written !== 8 : written > 7) return null;
  const zeros = new Array<number>(8 - written).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...(halves.length === 2 ? zeros : []), ...rest.map((g) => parseInt(g, 16)), ...tail];
}

/** A DNS name: labels of letters, digits and inner hyphens, at most 63 characters each and 253 in all. */
function isDnsName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = text.split('.');
  // A name whose last label is all digits is an IPv4 address to a URL parser: it must be a valid one.
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false;
  return labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

export interface HostPort {
  /** As in a URL: an IPv4 address, a DNS name, or an IPv6 address in brackets. */
  host: string;
  port: number;
}

/** host:port of a server: an IPv4 address, a bracketed IPv6 address or a DNS name, and a port of 1–65535. */
export function parseHostPort(text: string): HostPort | null {
  const colon = text.lastIndexOf(':');
  if (colon < 1 || !/^[1-9]\d{0,4}$/.test(text.slice(colon + 1))) return null;
  const port = Number(text.slice(colon + 1));
  if (port > 65535) return null;
  const host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) return parseIPv6(host.slice(1, -1)) ? { host, port } : null;
  return parseIPv4(host) || isDnsName(host) ? { host, port } : null;
}

export function isHostPort(text: string): boolean {
  return parseHostPort(text) !== null;
}

/** A signalling server's URL as the renderer dials it: ws://host:port (the LAN) or wss://host:port (a space's rendezvous). */
export function isSignalingUrl(url: string): boolean {
  const scheme = url.startsWith('ws://') ? 'ws://' : url.startsWith('wss://') ? 'wss://' : null;
  return scheme !== null && isHostPort(url.slice(scheme.length));
}

/** This machine by name or address: localhost, 127.0.0.0/8 or ::1 (with or without brackets). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = parseIPv4(host);
  if (v4) return v4[0] === 127;
  const v6 = parseIPv6(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  return v6 !== null && v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1;
}

/**
 * An address a device on the member's own network can have: private IPv4 (RFC 1918), IPv4
 * link-local (169.254/16), IPv6 unique local (fc00::/7) or link-local (fe80::/10). Never loopback,
 * public, multicast or shared carrier addresses.
 */
export function isPrivateOrLinkLocal(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4) {
    const [a, b] = v4;
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const v6 = parseIPv6(address);
  if (!v6) return false;
  return (v6[0]! & 0xfe00) === 0xfc00 || (v6[0]! & 0xffc0) === 0xfe80;
}
