/**
 * Invites that carry a token, not the space key. The joiner's host publishes a request on the topic
 * the token names (encrypted with the token: only holders of the invite can write or read it), with
 * its member id, name and public keys. A member's host that listens on that topic checks the invite
 * (not revoked, not expired, not used when single-use), records the new member (a signed `join`),
 * and answers with the space key sealed for the joiner's X25519 key; or says why it refuses. Any
 * member online answers invites that may be used more than once; a single-use invite is answered by
 * the device that made it, so two joiners cannot both be let in by two members at once.
 */
import { randomBytes } from 'node:crypto';
import type { MemberKeys } from '../../shared/membership';
import type { TokenInvite } from '../../shared/invite';
import { decryptWith, encryptWith, fromBase64Url, sealFor, toBase64Url, topicFor, unseal, type Identity } from './member-crypto';
import { Rendezvous } from './rendezvous';
import type { SpaceMembership } from './space-membership';
import { logger } from './logger';
import { errorMessage } from '../../shared/errors';

const PURPOSE = 'invite';
/** How long after it expired an invite is still answered with a refusal (then it is ignored). */
const REFUSE_FOR_MS = 30 * 24 * 3600 * 1000;
/** How often a joiner asks again while no member has answered. */
const ASK_EVERY_MS = 1500;

type Request = { v: 1; kind: 'request'; nonce: string; member: string; name: string; keys: MemberKeys };
type Reply = { v: 1; kind: 'accept'; nonce: string; epoch: number; sealed: string } | { v: 1; kind: 'refuse'; nonce: string; reason: RefusalReason };
export type RefusalReason = 'expired' | 'revoked' | 'used' | 'member' | 'removed';

/** Why a redeemed invite did not let this device in, in words a member can act on. */
export class InviteRefusedError extends Error {
  constructor(readonly reason: RefusalReason | 'timeout') {
    super(
      {
        expired: 'This invite has expired: ask for a new one.',
        revoked: 'This invite was revoked: ask for a new one.',
        used: 'This invite was already used (it was for one person): ask for a new one.',
        member: 'This device is already a member of that space.',
        removed: 'You were removed from this space: an owner must invite you again.',
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
}

export class SpaceInvites {
  private readonly rendezvous: Rendezvous;
  /** Topic → the space and invite it answers for. */
  private answering = new Map<string, { space: AnsweringSpace; invite: string; token: Uint8Array }>();
  private servers: string[] = [];
  /** Servers named by invites being redeemed, besides the host's own. */
  private readonly extraServers = new Map<string, number>();
  /** Topic → a redeem in progress. */
  private readonly redeeming = new Map<string, { token: Uint8Array; nonce: string; settle: (reply: Reply) => void }>();

  constructor(
    private readonly identity: () => Promise<Identity>,
    private readonly me: () => { id: string; name: string },
  ) {
    this.rendezvous = new Rendezvous((topic, data) => void this.receive(topic, data));
  }

  /** The servers to meet members on: this host's own and those it discovered or remembers. */
  setServers(urls: string[]): void {
    this.servers = urls;
    this.applyServers();
  }

  private applyServers(): void {
    this.rendezvous.setServers([...new Set([...this.servers, ...this.extraServers.keys()])]);
  }

  /** Listens for the invites of these spaces that this device may answer. */
  async listen(spaces: AnsweringSpace[]): Promise<void> {
    const next = new Map<string, { space: AnsweringSpace; invite: string; token: Uint8Array }>();
    const now = Date.now();
    for (const space of spaces) {
      const membership = space.membership.current();
      const mine = membership.members.get(this.me().id);
      if (!mine || mine.removed || !(await space.key())) continue;
      for (const invite of membership.invites.values()) {
        // Used, revoked and lately expired invites are still listened for, to say why they no longer work.
        if (invite.expires + REFUSE_FOR_MS < now || (invite.single && invite.by !== mine.id)) continue;
        const token = fromBase64Url(invite.token);
        next.set(topicFor(token, PURPOSE), { space, invite: invite.invite, token });
      }
    }
    this.answering = next;
    this.applyTopics();
  }

  private applyTopics(): void {
    this.rendezvous.setTopics([...this.answering.keys(), ...this.redeeming.keys()]);
  }

  private async receive(topic: string, data: string): Promise<void> {
    const redeem = this.redeeming.get(topic);
    const answer = this.answering.get(topic);
    const token = redeem?.token ?? answer?.token;
    if (!token) return;
    let message: Request | Reply;
    try {
      message = JSON.parse(decryptWith(token, PURPOSE, data).toString('utf8')) as Request | Reply;
    } catch {
      return; // not for us, or not an invite message
    }
    if (redeem && (message.kind === 'accept' || message.kind === 'refuse') && message.nonce === redeem.nonce) redeem.settle(message);
    else if (answer && message.kind === 'request') await this.answer(topic, answer, message);
  }

  /** Checks a join request against the invite as the records say now, records the member and hands over the key. */
  private async answer(topic: string, target: { space: AnsweringSpace; invite: string; token: Uint8Array }, request: Request): Promise<void> {
    if (typeof request.member !== 'string' || typeof request.name !== 'string' || typeof request.keys?.sign !== 'string' || typeof request.keys?.box !== 'string' || typeof request.nonce !== 'string') return;
    const reply = (body: { kind: 'accept'; epoch: number; sealed: string } | { kind: 'refuse'; reason: RefusalReason }) =>
      this.rendezvous.publish(topic, encryptWith(target.token, PURPOSE, new TextEncoder().encode(JSON.stringify({ v: 1, nonce: request.nonce, ...body }))));
    try {
      const membership = target.space.membership.current();
      const invite = membership.invites.get(target.invite);
      const existing = membership.members.get(request.member);
      let refusal: RefusalReason | null = null;
      if (!invite || invite.revoked) refusal = 'revoked';
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
  async redeem(invite: TokenInvite, servers: string[], timeoutMs = 45_000): Promise<{ key: Buffer; epoch: number }> {
    if (invite.expires < Date.now()) throw new InviteRefusedError('expired');
    const token = fromBase64Url(invite.token);
    const topic = topicFor(token, PURPOSE);
    const identity = await this.identity();
    const { id, name } = this.me();
    const nonce = toBase64Url(randomBytes(12));
    const request: Request = { v: 1, kind: 'request', nonce, member: id, name, keys: identity.keys };
    for (const url of servers) this.extraServers.set(url, (this.extraServers.get(url) ?? 0) + 1);
    this.applyServers();
    let ask: ReturnType<typeof setInterval> | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        this.redeeming.set(topic, { token, nonce, settle: resolve });
        this.applyTopics();
        const send = () => this.rendezvous.publish(topic, encryptWith(token, PURPOSE, new TextEncoder().encode(JSON.stringify(request))));
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
      for (const url of servers) {
        const count = (this.extraServers.get(url) ?? 1) - 1;
        if (count > 0) this.extraServers.set(url, count);
        else this.extraServers.delete(url);
      }
      this.applyServers();
    }
  }

  close(): void {
    this.rendezvous.close();
  }
}
