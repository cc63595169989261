/**
 * The cryptography of membership, with Node's own crypto (no native add-on): Ed25519 signatures of
 * membership records, space keys sealed for one member's X25519 key (an ephemeral key agreement,
 * HKDF-SHA256 and AES-256-GCM, as libsodium's sealed boxes do with their own primitives), and the
 * symmetric channel invites and key handovers use, keyed from a secret both ends hold.
 */
import { createHash, createHmac, timingSafeEqual, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify, createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { signedBytes, type MemberKeys, type MembershipRecord, type UnsignedRecord } from '../../shared/membership';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const unb64 = (text: string) => Buffer.from(text, 'base64url');

/** A device's key pairs; the private halves never leave the host. */
export interface Identity {
  keys: MemberKeys;
  signKey: KeyObject;
  boxKey: KeyObject;
}

export interface StoredIdentity {
  version: 1;
  sign: { public: string; private: string };
  box: { public: string; private: string };
}

function rawPublic(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an OKP key');
  return jwk.x;
}

function publicKey(curve: 'Ed25519' | 'X25519', raw: string): KeyObject {
  if (unb64(raw).length !== 32) throw new Error(`not a ${curve} public key`);
  return createPublicKey({ key: { kty: 'OKP', crv: curve, x: raw }, format: 'jwk' });
}

export function newIdentity(): StoredIdentity {
  const signPair = generateKeyPairSync('ed25519');
  const boxPair = generateKeyPairSync('x25519');
  return {
    version: 1,
    sign: { public: rawPublic(signPair.publicKey), private: b64(signPair.privateKey.export({ format: 'der', type: 'pkcs8' })) },
    box: { public: rawPublic(boxPair.publicKey), private: b64(boxPair.privateKey.export({ format: 'der', type: 'pkcs8' })) },
  };
}

export function loadIdentity(stored: StoredIdentity): Identity {
  const signKey = createPrivateKey({ key: unb64(stored.sign.private), format: 'der', type: 'pkcs8' });
  const boxKey = createPrivateKey({ key: unb64(stored.box.private), format: 'der', type: 'pkcs8' });
  // The stored public halves must be the private keys' own.
  if (rawPublic(createPublicKey(signKey)) !== stored.sign.public || rawPublic(createPublicKey(boxKey)) !== stored.box.public) throw new Error('the identity file does not hold matching keys');
  return { keys: { sign: stored.sign.public, box: stored.box.public }, signKey, boxKey };
}

/** Signs a record (everything but `sig`). */
export function signRecord<R extends MembershipRecord = MembershipRecord>(record: UnsignedRecord, identity: Identity): R {
  const sig = sign(null, signedBytes(record), identity.signKey);
  return { ...record, sig: b64(sig) } as R;
}

export function verifyRecord(record: MembershipRecord, signKey: string): boolean {
  try {
    return verify(null, signedBytes(record), publicKey('Ed25519', signKey), unb64(record.sig));
  } catch {
    return false;
  }
}

/** Ed25519's PKCS#8 header for a raw 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function seedKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error('a signing seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The public key (raw, base64url) of the Ed25519 key pair a 32-byte seed (an invite token) makes. */
export function seedPublicKey(seed: Uint8Array): string {
  return rawPublic(createPublicKey(seedKey(seed)));
}

export function signWithSeed(bytes: Uint8Array, seed: Uint8Array): string {
  return b64(sign(null, bytes, seedKey(seed)));
}

/** Signs bytes as this device (Ed25519). */
export function signAs(identity: Identity, bytes: Uint8Array): string {
  return b64(sign(null, bytes, identity.signKey));
}

export function verifyWithKey(bytes: Uint8Array, sig: string, signKey: string): boolean {
  try {
    return verify(null, bytes, publicKey('Ed25519', signKey), unb64(sig));
  } catch {
    return false;
  }
}

function aeadKey(secret: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, 32));
}

function encrypt(key: Buffer, plain: Uint8Array): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function decrypt(key: Buffer, sealed: Uint8Array): Buffer {
  if (sealed.length < 12 + 16) throw new Error('too short to be sealed');
  const nonce = sealed.subarray(0, 12);
  const tag = sealed.subarray(sealed.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

const SEAL_INFO = 'commonplace sealed key v1';

/** Seals `plain` for the holder of the X25519 private key whose public half is `recipientBox` (base64url). */
export function sealFor(plain: Uint8Array, recipientBox: string): string {
  const recipient = publicKey('X25519', recipientBox);
  const ephemeral = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const ephemeralRaw = unb64(rawPublic(ephemeral.publicKey));
  const key = aeadKey(shared, Buffer.concat([ephemeralRaw, unb64(recipientBox)]), SEAL_INFO);
  return b64(Buffer.concat([ephemeralRaw, encrypt(key, plain)]));
}

/** Opens what sealFor sealed for this identity; throws when it was sealed for someone else or altered. */
export function unseal(sealed: string, identity: Identity): Buffer {
  const bytes = unb64(sealed);
  if (bytes.length < 32 + 12 + 16) throw new Error('too short to be a sealed key');
  const ephemeral = publicKey('X25519', b64(bytes.subarray(0, 32)));
  const shared = diffieHellman({ privateKey: identity.boxKey, publicKey: ephemeral });
  const key = aeadKey(shared, Buffer.concat([bytes.subarray(0, 32), unb64(identity.keys.box)]), SEAL_INFO);
  return decrypt(key, bytes.subarray(32));
}

/** Encrypts a message for whoever holds `secret` (an invite token, a space key), for one purpose. */
export function encryptWith(secret: Uint8Array, purpose: string, plain: Uint8Array): string {
  return b64(encrypt(aeadKey(secret, Buffer.alloc(0), `commonplace ${purpose} v1`), plain));
}

export function decryptWith(secret: Uint8Array, purpose: string, sealed: string): Buffer {
  return decrypt(aeadKey(secret, Buffer.alloc(0), `commonplace ${purpose} v1`), unb64(sealed));
}

/** The key that authenticates answers to an invite's joiner: derived from its token, which the joiner holds. */
export function inviteAnswerKey(seed: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', seed, Buffer.alloc(0), 'commonplace invite answer v1', 32));
}

/** HMAC-SHA256 of `bytes` under `key` (base64url). */
export function macWith(key: Uint8Array, bytes: Uint8Array): string {
  return b64(createHmac('sha256', key).update(bytes).digest());
}

export function macMatches(key: Uint8Array, bytes: Uint8Array, mac: string): boolean {
  const expected = createHmac('sha256', key).update(bytes).digest();
  const given = unb64(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const ROOM_DOMAIN = 'commonplace/y-webrtc-room/v1\n';

/**
 * The y-webrtc room of a space key: its name (hex SHA-256 of a domain-separated string, all a
 * signalling server sees) and the password y-webrtc encrypts signalling with, derived so that a window
 * never holds the key itself (which also opens invites and key changes).
 */
export function roomFor(secret: string): { name: string; password: string } {
  return {
    name: createHash('sha256').update(ROOM_DOMAIN + secret).digest('hex'),
    password: b64(new Uint8Array(hkdfSync('sha256', unb64(secret), Buffer.alloc(0), 'commonplace room password v1', 32))),
  };
}

/** A signalling topic only holders of `secret` can name: hex SHA-256 of a purpose and the secret. */
export function topicFor(secret: Uint8Array, purpose: string): string {
  return createHash('sha256').update(`commonplace ${purpose} topic v1\0`).update(secret).digest('hex');
}

/** A short, readable fingerprint of a device's signing key (to tell devices apart on screen). */
export function fingerprint(keys: MemberKeys): string {
  return createHash('sha256').update(unb64(keys.sign)).digest('hex').slice(0, 12).replace(/(.{4})(?=.)/g, '$1 ');
}

export function randomToken(): string {
  return b64(randomBytes(32));
}

export { b64 as toBase64Url, unb64 as fromBase64Url };
