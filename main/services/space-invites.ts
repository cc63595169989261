/**
 * Invites that carry a token, not the space key. The token is the seed of an Ed25519 key pair whose
 * public half is all the space records (in the invite record), so the records hold no secret. The
 * joiner's host signs a request with the token (its member id, name and public keys) and publishes it
 * on the signalling topic the invite's public key names. A member's host listening there checks the
 * signature and the invite (not revoked, not expired, not used when single-use), records the new
 * member (a signed `join`), and answers with the space key sealed for the joiner's X25519 key; or
 * says why it refuses. Any member online answers invites that may be used more than once; a
 * single-use invite is answered by the device that made it, so two joiners cannot both be let in.
 * Answers carry a MAC under a key derived from the token, which the invite record holds encrypted with
 * the space key: a signalling server, a spoofed host or anyone else without that key cannot pose as a
 * member (hand the joiner a key of its own, or refuse on the members' behalf).
 */
import { randomBytes } from 'node:crypto';
import { canonicalJson, type MemberKeys } from '../../shared/membership';
import type { TokenInvite } from '../../shared/invite';
import { decryptWith, encryptWith, fromBase64Url, inviteAnswerKey, macMatches, macWith, sealFor, seedPublicKey, signWithSeed, toBase64Url, topicFor, unseal, verifyWithKey, type Identity } from './member-crypto';
import type { Rendezvous } from './rendezvous';
import type { SpaceMembership } from './space-membership';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

const PURPOSE = 'invite';
const ANSWER_PURPOSE = 'invite answer';
/** How long after it expired an invite is still answered with a refusal (then it is ignored). */
const REFUSE_FOR_MS = 30 * 24 * 3600 * 1000;
/** Most invite topics one host listens on (signalling servers allow 256 topics a connection): open ones first, newest first. */
const MAX_LISTENED = 128;
/** How often a joiner asks again while no member has answered. */
const ASK_EVERY_MS = 1500;

type Request = { v: 1; kind: 'request'; nonce: string; member: string; name: string; keys: MemberKeys; sig: string };
type ReplyBody = { v: 1; kind: 'accept'; nonce: string; epoch: number; sealed: string } | { v: 1; kind: 'refuse'; nonce: string; reason: RefusalReason };
type Reply = ReplyBody & { mac: string };
export type RefusalReason = 'expired' | 'revoked' | 'used' | 'member';

/** Why a redeemed invite did not let this device in, in words a member can act on. */
export class InviteRefusedError extends Error {
  constructor(readonly reason: RefusalReason | 'timeout') {
    super(
      {
        expired: 'This invite has expired: ask for a new one.',
        revoked: 'This invite was revoked: ask for a new one.',
        used: 'This invite was already used (it was for one person): ask for a new one.',
        member: 'This device is already a member of that space.',
        timeout: 'No member who can let you in answered. They need to have Commonplace open on a network you can reach; try again then.',
      }[reason],
    );
    this.name = 'InviteRefusedError';
  }
}

/** A space this host can answer invites for. */
export interface AnsweringSpace {
  spaceId: string;
  membership: SpaceMembership;
  /** The current space key (and its epoch), or null when this device does not hold it. */
  key(): Promise<{ key: Uint8Array; epoch: number } | null>;
  /** The space key of an epoch (current or earlier), if this device holds it. */
  keyOf(epoch: number): Promise<Uint8Array | null>;
}

const encode = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)));

function decode(data: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(fromBase64Url(data)));
  } catch {
    return null;
  }
}

function requestBytes(request: Omit<Request, 'sig'>): Uint8Array {
  return new TextEncoder().encode(canonicalJson(request));
}

export class SpaceInvites {
  /** Topic → the space and invite it answers for. */
  private answering = new Map<string, { space: AnsweringSpace; invite: string; verify: string }>();
  /** Topic → a redeem in progress. */
  private readonly redeeming = new Map<string, { nonce: string; answerKey: Uint8Array; settle: (reply: Reply) => void }>();
  private readonly offMessages: () => void;

  constructor(
    private readonly rendezvous: Rendezvous,
    private readonly identity: () => Promise<Identity>,
    private readonly me: () => { id: string; name: string },
  ) {
    this.offMessages = rendezvous.onMessage((topic, data) => void this.receive(topic, data));
  }

  /** Listens for the invites of these spaces that this device may answer. */
  async listen(spaces: AnsweringSpace[]): Promise<void> {
    const candidates: Array<{ topic: string; open: boolean; at: number; target: { space: AnsweringSpace; invite: string; verify: string } }> = [];
    const now = Date.now();
    for (const space of spaces) {
      const membership = space.membership.current();
      const mine = membership.members.get(this.me().id);
      if (!mine || mine.removed || !(await space.key())) continue;
      for (const invite of membership.invites.values()) {
        // Used, revoked and lately expired invites are still listened for, to say why they no longer work.
        if (invite.expires + REFUSE_FOR_MS < now || (invite.single && invite.by !== mine.id)) continue;
        const open = !invite.revoked && !(invite.single && invite.used) && invite.expires >= now;
        candidates.push({ topic: topicFor(fromBase64Url(invite.verify), PURPOSE), open, at: invite.at, target: { space, invite: invite.invite, verify: invite.verify } });
      }
    }
    candidates.sort((a, b) => Number(b.open) - Number(a.open) || b.at - a.at);
    this.answering = new Map(candidates.slice(0, MAX_LISTENED).map((c) => [c.topic, c.target]));
    this.applyTopics();
  }

  /** How many invites this device answers now (open ones, and those it still explains a refusal for). */
  get answeringCount(): number {
    return this.answering.size;
  }

  private applyTopics(): void {
    this.rendezvous.setTopics('invites', [...this.answering.keys(), ...this.redeeming.keys()]);
  }

  private async receive(topic: string, data: string): Promise<void> {
    const redeem = this.redeeming.get(topic);
    const answer = this.answering.get(topic);
    if (!redeem && !answer) return;
    const message = decode(data) as Request | Reply | null;
    if (!message || message.v !== 1) return;
    if (redeem && (message.kind === 'accept' || message.kind === 'refuse') && message.nonce === redeem.nonce) {
      const { mac, ...body } = message;
      // Only a member holding the space key can authenticate an answer; anything else is ignored.
      if (typeof mac === 'string' && macMatches(redeem.answerKey, replyBytes(body), mac)) redeem.settle(message);
    } else if (answer && message.kind === 'request') await this.answer(topic, answer, message);
  }

  /** Checks a join request against the invite as the records say now, records the member and hands over the key. */
  private async answer(topic: string, target: { space: AnsweringSpace; invite: string; verify: string }, request: Request): Promise<void> {
    if (typeof request.member !== 'string' || typeof request.name !== 'string' || typeof request.keys?.sign !== 'string' || typeof request.keys?.box !== 'string' || typeof request.nonce !== 'string' || typeof request.sig !== 'string') return;
    // Only a holder of the token can sign with it.
    const { sig, ...unsigned } = request;
    if (!verifyWithKey(requestBytes(unsigned), sig, target.verify)) return;
    try {
      const membership = target.space.membership.current();
      const invite = membership.invites.get(target.invite);
      // The key that authenticates answers opens with the space key the invite was made under.
      const inviteKey = invite ? await target.space.keyOf(invite.epoch) : null;
      if (!invite || !inviteKey) return;
      const answerKey = decryptWith(inviteKey, ANSWER_PURPOSE, invite.answer);
      const reply = (fields: { kind: 'accept'; epoch: number; sealed: string } | { kind: 'refuse'; reason: RefusalReason }) => {
        const body = { v: 1, nonce: request.nonce, ...fields } as ReplyBody;
        this.rendezvous.publish(topic, encode({ ...body, mac: macWith(answerKey, replyBytes(body)) }));
      };
      const existing = membership.members.get(request.member);
      let refusal: RefusalReason | null = null;
      if (invite.revoked) refusal = 'revoked';
      else if (invite.expires < Date.now()) refusal = 'expired';
      else if (existing && !existing.removed) {
        // The same device asking again (its first answer was lost) gets the key again.
        if (existing.keys.sign !== request.keys.sign) refusal = 'member';
      } else if (invite.single && invite.used) refusal = 'used';
      if (refusal) {
        reply({ kind: 'refuse', reason: refusal });
        return;
      }
      const key = await target.space.key();
      if (!key) return;
      if (!existing || existing.removed) {
        await target.space.membership.append([{ id: toBase64Url(randomBytes(12)), by: this.me().id, at: Date.now(), t: 'join', member: request.member, name: request.name.slice(0, 200), keys: request.keys, invite: target.invite }]);
        if (!target.space.membership.isMemberId(request.member)) {
          reply({ kind: 'refuse', reason: 'used' });
          return;
        }
      }
      reply({ kind: 'accept', epoch: key.epoch, sealed: sealFor(key.key, request.keys.box) });
    } catch (error) {
      logger.warn(`invite for space ${target.space.spaceId} could not be answered: ${errorMessage(error)}`);
    }
  }

  /** Asks members online to let this device in with `invite`; resolves with the space key. */
  async redeem(invite: TokenInvite, servers: string[], timeoutMs = 30_000): Promise<{ key: Buffer; epoch: number }> {
    if (invite.expires < Date.now()) throw new InviteRefusedError('expired');
    const seed = fromBase64Url(invite.token);
    const verify = seedPublicKey(seed);
    const topic = topicFor(fromBase64Url(verify), PURPOSE);
    const identity = await this.identity();
    const { id, name } = this.me();
    const unsigned: Omit<Request, 'sig'> = { v: 1, kind: 'request', nonce: toBase64Url(randomBytes(12)), member: id, name, keys: identity.keys };
    const request: Request = { ...unsigned, sig: signWithSeed(requestBytes(unsigned), seed) };
    const release = this.rendezvous.addServers(servers);
    let ask: ReturnType<typeof setInterval> | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        this.redeeming.set(topic, { nonce: unsigned.nonce, answerKey: inviteAnswerKey(seed), settle: resolve });
        this.applyTopics();
        const send = () => this.rendezvous.publish(topic, encode(request));
        send();
        ask = setInterval(send, ASK_EVERY_MS);
        timer = setTimeout(() => reject(new InviteRefusedError('timeout')), timeoutMs);
      });
      if (reply.kind === 'refuse') throw new InviteRefusedError(reply.reason);
      return { key: unseal(reply.sealed, identity), epoch: reply.epoch };
    } finally {
      if (ask) clearInterval(ask);
      if (timer) clearTimeout(timer);
      this.redeeming.delete(topic);
      this.applyTopics();
      release();
    }
  }

  close(): void {
    this.offMessages();
  }
}

function replyBytes(body: ReplyBody): Uint8Array {
  return new TextEncoder().encode(canonicalJson(body));
}

/**
 * What an invite record holds of its token (a signing seed): the public key it stands for, and the key
 * that authenticates answers, encrypted with the current space key.
 */
export function inviteRecordKeys(seed: Uint8Array, spaceKey: { key: Uint8Array; epoch: number }): { verify: string; answer: string; epoch: number } {
  return { verify: seedPublicKey(seed), answer: encryptWith(spaceKey.key, ANSWER_PURPOSE, inviteAnswerKey(seed)), epoch: spaceKey.epoch };
}
