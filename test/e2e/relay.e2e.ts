/**
 * Beyond one network: Ana and Ben are at home, each behind a router that masquerades and lets nothing
 * in unasked (iptables, in network namespaces of the test's own); between them a public network runs
 * a TURN server (Debian's coturn) and the always-on host (`commonplace serve`), whose signalling also
 * listens over TLS as the space's rendezvous (wss://, with a certificate the test makes). Ana names
 * both in the space's settings through the UI; the invites carry them.
 *
 * - The always-on host joins with Ana's invite (`commonplace join`), answered through the rendezvous.
 * - Ben joins through the UI and co-edits with Ana. With the always-on host frozen (SIGSTOP), Ana's
 *   keystrokes still reach Ben: the homes have no route to each other, so only the TURN relay carries them.
 * - The always-on host is killed (kill -9) and started again, and has lost nothing.
 * - Ana and Ben go away; Cleo, new, at Ben's home, joins and gets the whole space from the always-on host alone.
 * - Wrong TURN credentials and an unreachable rendezvous show a clear message in the sync status.
 *
 * RELAY_DEBUG=1 prints the hosts' and coturn's logs when a step fails.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, removeDir, tempDir, title, type RunningHost } from './harness';
import { decodeAnyInvite, encodeTokenInvite } from '../../shared/invite';
import { skipUnlessAvailable } from '../support/required';
import { joinWith, poll, shareCode, startMember, syncState, syncStatus, typeAtEnd, type Member } from './peers';
import { relayLabUnavailable, RENDEZVOUS, SERVICE, setRelays, startRelayLab, TURN_PASSWORD, TURN_PORT, TURN_USER, type RelayLab } from './relay-lab';

const skip = skipUnlessAvailable(relayLabUnavailable(), 'relay.e2e (needs root, `ip netns`, iptables, openssl and coturn)');
const TURN = `turn:${SERVICE}:${TURN_PORT}`;

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
});

describe.skipIf(skip)('members on different networks, through a relay and an always-on host', () => {
  let lab: RelayLab;
  let alwaysOn: RunningHost;
  let alwaysOnDir: string;
  const logs = (members: Member[]) => [`always-on:\n${alwaysOn.output()}`, `coturn:\n${lab.coturnLog().slice(-4000)}`, ...members.map((m, i) => `member ${i}:\n${m.host.output()}`)].join('\n');
  const debug = (members: Member[]) => (error: unknown) => {
    if (process.env.RELAY_DEBUG) console.log(logs(members));
    throw error;
  };
  const member = (home: number, name: string) => startMember(lab.homes[home]!.name, name, lab.scratch, cleanups, { env: lab.env, browserArgs: lab.browserArgs });

  beforeAll(async () => {
    lab = await startRelayLab('cpnat');
    cleanups.push(() => lab.destroy());
    alwaysOnDir = await tempDir('relay-always-on');
    cleanups.push(() => removeDir(alwaysOnDir));
    alwaysOn = await lab.startAlwaysOn(alwaysOnDir);
    cleanups.push(() => alwaysOn.stop('SIGKILL'));
  });

  it('co-edits between two homes through TURN, and keeps the space for a new member while everyone is away', { timeout: 240_000 }, async () => {
    await expect.poll(() => alwaysOn.output(), poll).toContain('signalling over TLS (a rendezvous, wss://) on every interface, port 4443');
    const ana = await member(0, 'Ana');
    const a = ana.browser.page;
    await a.getByRole('button', { name: 'New note' }).first().click();
    await title(a).fill('Handover');
    await typeAtEnd(a, 'Bed 4: line check at 02:00.');
    await setRelays(a, { rendezvous: RENDEZVOUS, turn: TURN, username: TURN_USER, password: TURN_PASSWORD });

    // The always-on host joins with an invite: Ana's host answers it through the rendezvous.
    const forHost = await shareCode(a);
    expect(() => lab.cli('join', '--data-dir', alwaysOnDir, '--code', forHost)).not.toThrow();
    const spaceLine = () => lab.cli('spaces', '--data-dir', alwaysOnDir).split('\n').find((line) => /\t2 notes\t/.test(line));
    await expect.poll(spaceLine, { timeout: 60_000, interval: 500 }).toBeTruthy().catch(debug([ana]));
    const spaceId = spaceLine()!.split('\t')[0]!;
    // `relays` takes an invite's relays for a space the host holds (one that joined before the space named them); the same ones change nothing.
    expect(lab.cli('relays', '--data-dir', alwaysOnDir, '--code', forHost)).toContain(`space ${spaceId}: rendezvous ${RENDEZVOUS}; TURN ${TURN}`);
    const invite = decodeAnyInvite(forHost);
    if (invite.kind !== 'token') throw new Error('expected a current invite');
    expect(() => lab.cli('relays', '--data-dir', alwaysOnDir, '--code', encodeTokenInvite({ ...invite, relays: undefined }))).toThrow(/names no rendezvous or TURN server/);

    // Ben, in another home, joins through the UI, and both co-edit.
    const forBen = await shareCode(a);
    const forCleo = await shareCode(a);
    const ben = await member(1, 'Ben');
    const b = ben.browser.page;
    await joinWith(b, forBen).catch(debug([ana, ben]));
    await b.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: /^Handover/ }).click();
    await expect.poll(() => body(b).textContent(), { timeout: 60_000, interval: 200 }).toContain('Bed 4: line check at 02:00.');
    // Ana, Ben and the always-on host are all connected to each other.
    for (const page of [a, b]) await expect.poll(() => syncStatus(page).getAttribute('data-peers'), { timeout: 60_000, interval: 200 }).toBe('2');
    for (const page of [a, b]) await expect.poll(() => syncState(page), poll).toBe('up-to-date');
    await typeAtEnd(b, ' Ben: done at 02:05.');
    await expect.poll(() => body(a).textContent(), poll).toContain('Ben: done at 02:05.');

    // Frozen always-on host: nothing passes through it, and the homes have no route to each other. What reaches Ben goes through TURN.
    alwaysOn.process.kill('SIGSTOP');
    try {
      await typeAtEnd(a, ' Ana, through the relay.');
      await expect.poll(() => body(b).textContent(), poll).toContain('Ana, through the relay.').catch(debug([ana, ben]));
    } finally {
      alwaysOn.process.kill('SIGCONT');
    }
    expect(lab.coturnLog()).toMatch(/ALLOCATE processed, success/);

    // The always-on host catches up, is killed with SIGKILL and started again: nothing is lost.
    const exported = async (label: string) => {
      const out = join(lab.scratch, `export-${label}`);
      lab.cli('export', '--data-dir', alwaysOnDir, '--space', spaceId, '--out', out);
      const files: string[] = [];
      for (const entry of await readdir(out, { recursive: true })) if (entry.endsWith('Handover.md')) files.push(await readFile(join(out, entry), 'utf8'));
      return files.join('\n');
    };
    await expect.poll(() => exported('before'), { timeout: 60_000, interval: 1000 }).toContain('Ana, through the relay.');
    await alwaysOn.stop('SIGKILL');
    alwaysOn = await lab.startAlwaysOn(alwaysOnDir);
    expect(await exported('after')).toContain('Ana, through the relay.');
    await expect.poll(() => alwaysOn.output(), poll).toContain('invites: answering');

    // Everyone goes away; Cleo, new, at Ben's home, gets the space from the always-on host alone.
    for (const m of [ana, ben]) {
      await m.browser.close();
      await m.host.stop('SIGKILL');
    }
    const cleo = await member(1, 'Cleo');
    const c = cleo.browser.page;
    await joinWith(c, forCleo).catch(debug([cleo]));
    await expect.poll(() => syncState(c), { timeout: 60_000, interval: 200 }).toBe('up-to-date');
    await c.getByRole('navigation', { name: 'Notes' }).getByRole('link', { name: /^Handover/ }).click();
    await expect.poll(() => body(c).textContent(), poll).toContain('Ben: done at 02:05. Ana, through the relay.');

    // Wrong TURN credentials: the status says so, and Cleo still syncs with the always-on host, which she reaches without a relay.
    await setRelays(c, { rendezvous: RENDEZVOUS, turn: TURN, username: TURN_USER, password: 'wrong' });
    await expect.poll(() => syncStatus(c).textContent(), { timeout: 60_000, interval: 300 }).toContain(`The TURN server ${TURN} refused this space's username or password.`);
    await expect.poll(() => syncState(c), { timeout: 60_000, interval: 200 }).toBe('up-to-date');
    // A rendezvous nobody answers: said too.
    await setRelays(c, { rendezvous: `wss://${SERVICE}:4999`, turn: TURN, username: TURN_USER, password: TURN_PASSWORD });
    await expect.poll(() => syncStatus(c).textContent(), { timeout: 60_000, interval: 300 }).toContain(`Cannot reach the rendezvous wss://${SERVICE}:4999.`);
  });
});
