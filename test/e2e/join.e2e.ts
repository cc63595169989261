/**
 * Joining on one machine, as a new member would: two web hosts side by side (each with its own data
 * directory, port and signalling server, on the default signalling port 4318 or the free one the
 * second host falls back to), two Chromium processes as they ship (no
 * --disable-features=WebRtcHideLocalIpsWithMdns, so host candidates travel as mDNS names). Through
 * the UI: "Share space", copy the invite code, "Join space" in the other window, paste, "Join"; then
 * both windows must reach "Up to date" and co-edit both ways. Last, both work offline and come back
 * at the same moment, so both announce at once and may offer to each other at once (glare), and must
 * be up to date again.
 *
 * Joining failed now and then (the joiner stayed "Looking for members on this network…" for good, or
 * both stayed "Syncing…" after coming back together), so each case runs several rounds, each with fresh hosts and fresh browser profiles and a deadline of its
 * own, and fails with the list of rounds that did not make it. JOIN_ROUNDS changes the count,
 * JOIN_DEBUG=1 prints the pages' consoles.
 *
 * The cases:
 * - hosts on loopback only (`--no-lan`), no network namespace: what two hosts on one machine can use
 *   without touching the network. Needs an interface besides loopback that is up with an IPv4 default
 *   route: Chromium gathers no WebRTC candidates on loopback and binds to the default route's
 *   interface. Nothing crosses that interface (both candidates are this machine's own address).
 * - the same, with an invite that names the inviter's server twice (127.0.0.1 and localhost), as an
 *   invite from a host with LAN sync names it by 127.0.0.1 and by its LAN address: on one machine the
 *   joiner then reaches the inviter's server through two connections. Same needs.
 * - hosts with LAN sync on (their default): both hosts and both browsers in one network namespace of
 *   the test's own (one machine with one LAN interface, so mDNS and the invite's LAN address stay off
 *   this machine's real network). Needs root and `ip netns`.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeAnyInvite, encodeTokenInvite } from '../../shared/invite';
import { body, openBrowser, passFirstRun, removeDir, startHost, tempDir, title, until, type Browser, type RunningHost } from './harness';
import { skipUnlessAvailable } from '../support/required';
import { chromiumInNamespace, netnsUnavailable, soloNamespace } from './netns';

/** Why this machine cannot run WebRTC between two browsers outside a namespace, or null. */
function noDefaultRoute(): string | null {
  try {
    // Columns: interface, destination (hex), ...; the default route has destination 00000000.
    const routes = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    const found = routes.map((line) => line.trim().split(/\s+/)).some((cols) => cols[1] === '00000000' && cols[0] !== 'lo');
    return found ? null : 'no IPv4 default route on an interface besides loopback (Chromium gathers no WebRTC candidates without one)';
  } catch {
    return 'cannot read the routing table (/proc/net/route)';
  }
}

const skip = skipUnlessAvailable(noDefaultRoute(), 'join.e2e on loopback (needs a default route for WebRTC)');
const skipLan = skipUnlessAvailable(netnsUnavailable(), 'join.e2e with LAN sync (needs root and `ip netns`)');

const ROUNDS = Number(process.env.JOIN_ROUNDS ?? 4);
/** From "Join" to both windows "Up to date". */
const CONNECT_MS = 20_000;
const EDIT_MS = 10_000;
/** Reads of the page give up quickly: a missing element is an answer, not a reason to wait. */
const READ = { timeout: 2000 };
const debug = !!process.env.JOIN_DEBUG;

const syncStatus = (page: Page) => page.getByRole('status', { name: 'Sync status' });
const syncState = (page: Page) => syncStatus(page).getAttribute('data-state', READ);

interface Member {
  host: RunningHost;
  browser: Browser;
  dataDir: string;
}

interface Setup {
  /** Hosts with LAN sync, hosts and browsers inside this network namespace. */
  netns?: string;
  chromium?: string;
  /** Rewrites the invite before it is pasted. */
  editInvite?: (code: string) => string;
}

let open: Member[] = [];

async function closeAll(): Promise<void> {
  const members = open;
  open = [];
  await Promise.all(
    members.map(async (m) => {
      await m.browser.close().catch(() => {});
      await m.host.stop('SIGKILL').catch(() => {});
      await removeDir(m.browser.profileDir).catch(() => {});
      await removeDir(m.dataDir).catch(() => {});
    }),
  );
}

afterEach(closeAll);

async function startMember(name: string, round: number, setup: Setup): Promise<Member> {
  const dataDir = await tempDir(`join-${name}`);
  let host: RunningHost;
  try {
    // No --signaling-port: the default (4318, or a free port when taken), as a member who just runs the host gets.
    host = await startHost(dataDir, 0, setup.netns ? { netns: setup.netns, lan: true } : {});
  } catch (error) {
    await removeDir(dataDir);
    throw error;
  }
  let browser: Browser;
  try {
    browser = await openBrowser(host.url, undefined, { executablePath: setup.chromium });
  } catch (error) {
    await host.stop('SIGKILL');
    await removeDir(dataDir);
    throw error;
  }
  open.push({ host, browser, dataDir });
  if (debug) browser.page.on('console', (m) => console.log(`[${round} ${name}] ${m.type()} ${m.text().slice(0, 400)}`));
  await passFirstRun(browser.page, name);
  await until(() => title(browser.page).inputValue(READ), (t) => t === 'Welcome to Commonplace', `${name}'s welcome note`);
  return { host, browser, dataDir };
}

async function shareCode(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Share space' }).click();
  await page.getByRole('button', { name: 'Create invite' }).click();
  const field = page.getByRole('textbox', { name: 'Invite code' });
  const code = await until(() => field.inputValue(READ), (v) => v.startsWith('cp2.'), 'the invite code', 10_000);
  await page.getByRole('button', { name: 'Close' }).click();
  return code;
}

async function join(page: Page, code: string): Promise<void> {
  await page.getByRole('button', { name: 'Join space' }).click();
  await page.getByRole('textbox', { name: 'Invite code' }).fill(code);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.getByRole('textbox', { name: 'Invite code' }).waitFor({ state: 'detached', timeout: 20_000 });
}

async function typeAtEnd(page: Page, text: string): Promise<void> {
  await body(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One invite-and-co-edit round with fresh hosts and browsers; resolves with what went wrong, or null. */
async function round(n: number, what: string, setup: Setup): Promise<string | null> {
  let ana: Member;
  let ben: Member;
  try {
    [ana, ben] = await Promise.all([startMember('Ana', n, setup), startMember('Ben', n, setup)]);
  } catch (error) {
    return `round ${n}: setting up the hosts and browsers failed: ${message(error)}`;
  }
  const a = ana.browser.page;
  const b = ben.browser.page;
  const shared = await shareCode(a);
  const signalingPort = /signalling on (?:this machine only|the LAN), port (\d+)/.exec(ana.host.output())?.[1];
  expect(decodeAnyInvite(shared).addresses).toContain(`127.0.0.1:${signalingPort}`);
  const code = setup.editInvite ? setup.editInvite(shared) : shared;
  const joined = Date.now();
  await join(b, code);
  const seconds = () => ((Date.now() - joined) / 1000).toFixed(1);
  try {
    const left = () => Math.max(500, CONNECT_MS - (Date.now() - joined));
    await until(() => syncState(b), (s) => s === 'up-to-date', "the joiner's status 'up-to-date'", left());
    await until(() => syncState(a), (s) => s === 'up-to-date', "the inviter's status 'up-to-date'", left());
    await until(() => title(b).inputValue(READ), (t) => t === 'Welcome to Commonplace', "the inviter's note on the joiner's side", left());
  } catch (error) {
    const seen = async (page: Page) => (await syncStatus(page).textContent(READ).catch(() => '?'))?.trim();
    return `round ${n}: not connected ${seconds()} s after Join (joiner: "${await seen(b)}"; inviter: "${await seen(a)}"): ${message(error)}`;
  }
  const connected = seconds();
  try {
    await typeAtEnd(a, ` Ana in round ${n}.`);
    await until(() => body(b).textContent(READ), (t) => !!t?.includes(`Ana in round ${n}.`), "Ana's words on Ben's side", EDIT_MS);
    await typeAtEnd(b, ` Ben in round ${n}.`);
    await until(() => body(a).textContent(READ), (t) => !!t?.includes(`Ben in round ${n}.`), "Ben's words on Ana's side", EDIT_MS);
  } catch (error) {
    return `round ${n}: connected, but co-editing failed: ${message(error)}`;
  }
  // Both back online at the same moment: both announce at once, and both may offer (glare).
  try {
    for (const page of [a, b]) await page.getByRole('button', { name: 'Work offline' }).click();
    for (const page of [a, b]) await until(() => syncState(page), (s) => s === 'offline', 'offline', EDIT_MS);
    await Promise.all([a, b].map((page) => page.getByRole('button', { name: 'Work offline' }).click()));
    const back = Date.now();
    for (const page of [a, b]) await until(() => syncState(page), (s) => s === 'up-to-date', "'up-to-date' again", Math.max(500, CONNECT_MS - (Date.now() - back)));
    await typeAtEnd(b, ` Ben again in round ${n}.`);
    await until(() => body(a).textContent(READ), (t) => !!t?.includes(`Ben again in round ${n}.`), "Ben's words after reconnecting", EDIT_MS);
  } catch (error) {
    return `round ${n}: joined and co-edited, but did not reconnect after both went offline and back: ${message(error)}`;
  }
  console.log(`join (${what}) round ${n}: both up to date ${connected} s after Join, co-edited both ways, reconnected`);
  return null;
}

async function rounds(what: string, setup: Setup): Promise<void> {
  const failures: string[] = [];
  for (let n = 1; n <= ROUNDS; n++) {
    const problem = await round(n, what, setup).catch((error: unknown) => `round ${n}: ${message(error)}`);
    if (problem) {
      console.log(`join (${what}) ${problem}`);
      failures.push(problem);
    }
    await closeAll();
  }
  console.log(`join (${what}): ${ROUNDS - failures.length} of ${ROUNDS} rounds joined, co-edited and reconnected`);
  expect(failures).toEqual([]);
}

/** The invite as a host with LAN sync on one machine would give it: the inviter's server under a second name. */
function withSecondName(code: string): string {
  const invite = decodeAnyInvite(code);
  if (invite.kind !== 'token') throw new Error('expected a current invite');
  const loopback = invite.addresses.filter((address) => address.startsWith('127.0.0.1:'));
  return encodeTokenInvite({ ...invite, addresses: [...invite.addresses, ...loopback.map((address) => address.replace('127.0.0.1', 'localhost'))] });
}

const timeout = ROUNDS * 60_000;

describe.skipIf(skip)('joining on one machine in a stock browser, hosts on loopback only', () => {
  it(`invites, joins, co-edits and reconnects, ${ROUNDS} rounds`, { timeout }, async () => {
    await rounds('loopback only', {});
  });

  it(`invites, joins, co-edits and reconnects when the invite names the inviter's server twice, ${ROUNDS} rounds`, { timeout }, async () => {
    await rounds('server named twice', { editInvite: withSecondName });
  });
});

describe.skipIf(skipLan)('joining on one machine in a stock browser, hosts with LAN sync', () => {
  let scratch = '';
  let solo: ReturnType<typeof soloNamespace> | null = null;
  beforeAll(async () => {
    scratch = await tempDir('join-bin');
    solo = soloNamespace('cpjoin');
  });
  afterAll(async () => {
    solo?.destroy();
    await removeDir(scratch);
  });

  it(`invites, joins, co-edits and reconnects, ${ROUNDS} rounds`, { timeout }, async () => {
    const ns = solo!.ns.name;
    await rounds('LAN sync', { netns: ns, chromium: chromiumInNamespace(scratch, ns) });
  });
});
