/** The y-webrtc room of a space, derived from its secret so the name on the wire reveals nothing. */
const ROOM_DOMAIN = 'commonplace/y-webrtc-room/v1\n';

/** Hex SHA-256 of a domain-separated string: a signalling server sees only this as the topic. */
export async function roomNameForSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ROOM_DOMAIN + secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
