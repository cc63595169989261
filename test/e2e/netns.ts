/**
 * Network namespaces for end-to-end tests: real, isolated networks inside this machine. Every
 * address used is one of these namespaces'; nothing reaches the machine's own network. Needs root
 * and iproute2 (`ip netns`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandUnavailable } from '../support/required';
import { CHROMIUM } from './harness';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/**
 * New interfaces get IPv6 link-local addresses that finish duplicate-address detection a second or two
 * later; a Chromium started meanwhile sees the network change and fails its page load with
 * ERR_NETWORK_CHANGED. Without the detection the addresses are final at once.
 */
function settleAddressesAtOnce(name: string): void {
  execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', 'for f in /proc/sys/net/ipv6/conf/all/accept_dad /proc/sys/net/ipv6/conf/default/accept_dad; do [ -w "$f" ] && echo 0 > "$f"; done; true'], { stdio: 'ignore', timeout: 10_000 });
}

/** Why network namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  try {
    ip('netns', 'list');
  } catch (error) {
    return `\`ip netns\` is unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  const probe = `cpprobe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
  } catch (error) {
    return `cannot create a network namespace: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  return null;
}

export interface Namespace {
  name: string;
  /** Its address on the lab network. */
  address: string;
  /** The bridge-side end of its link, for cutting it. */
  port: string;
}

/** Deletes the namespaces named (newest first) and empties the list. Never throws. */
function deleteNamespaces(created: string[]): void {
  for (const name of created.reverse()) {
    try {
      ip('netns', 'del', name);
    } catch {
      // already gone
    }
  }
  created.length = 0;
}

/** Makes a namespace, remembered in `created` for deleting, with its addresses usable at once and lo up. */
function addNamespace(name: string, created: string[]): void {
  ip('netns', 'add', name);
  created.push(name);
  settleAddressesAtOnce(name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/** A bridge in a namespace of its own, and member namespaces plugged into it with veth pairs. */
export class NetLab {
  readonly bridgeNs: string;
  readonly members: Namespace[] = [];
  private readonly created: string[] = [];
  private readonly id: string;

  constructor(
    private readonly prefix: string,
    private readonly subnet = '10.231.7',
  ) {
    this.id = `${process.pid % 10000}`;
    this.bridgeNs = `${prefix}br-${this.id}`;
  }

  /** Creates the bridge namespace. */
  start(): void {
    addNamespace(this.bridgeNs, this.created);
    ip('-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    ip('-n', this.bridgeNs, 'link', 'set', 'br0', 'up');
  }

  /** A namespace with lo and eth0 (10.231.7.N/24) plugged into the bridge, its default route. */
  addMember(): Namespace {
    const index = this.members.length + 1;
    const name = `${this.prefix}${index}-${this.id}`;
    const port = `p${index}`;
    addNamespace(name, this.created);
    ip('-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', this.bridgeNs);
    const address = `${this.subnet}.${index + 10}`;
    ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', name, 'link', 'set', 'eth0', 'up', 'multicast', 'on');
    // Chromium binds WebRTC to the default route's interface, and mDNS needs a multicast route. The
    // route leads only into the lab: the bridge namespace has no way out.
    ip('-n', name, 'route', 'add', 'default', 'dev', 'eth0');
    ip('-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0');
    ip('-n', this.bridgeNs, 'link', 'set', port, 'up');
    const member = { name, address, port };
    this.members.push(member);
    return member;
  }

  /** Cuts (false) or restores (true) a member's link to the bridge. */
  setLink(member: Namespace, up: boolean): void {
    ip('-n', this.bridgeNs, 'link', 'set', member.port, up ? 'up' : 'down');
  }

  /** Deletes every namespace this lab made (their veths go with them). Never throws. */
  destroy(): void {
    deleteNamespaces(this.created);
  }
}

/** A single namespace with lo and one veth pair of its own, for peers that share one machine. */
export function soloNamespace(prefix: string, subnet = '10.231.9'): { ns: Namespace; destroy: () => void } {
  const name = `${prefix}-${process.pid % 10000}`;
  const created: string[] = [];
  const destroy = () => deleteNamespaces(created);
  try {
    addNamespace(name, created);
    // WebRTC ignores loopback: give the peers one ordinary interface, wired to itself.
    ip('-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', name, 'addr', 'add', `${subnet}.1/24`, 'dev', 'eth0');
    ip('-n', name, 'link', 'set', 'eth0', 'up');
    ip('-n', name, 'link', 'set', 'eth1', 'up');
    // Chromium binds WebRTC to the default route's interface; this one leads back into the namespace.
    ip('-n', name, 'route', 'add', 'default', 'dev', 'eth0');
  } catch (error) {
    destroy();
    throw error;
  }
  return { ns: { name, address: `${subnet}.1`, port: 'eth1' }, destroy };
}

/** A script that runs Chromium inside a namespace, for playwright's executablePath. */
export function chromiumInNamespace(dir: string, ns: string): string {
  const path = join(dir, `chromium-${ns}.sh`);
  writeFileSync(path, `#!/bin/sh\nexec ip netns exec '${ns}' '${CHROMIUM}' "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Runs a shell command inside a namespace. */
export function inNs(ns: string, command: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/** Why homes behind NAT cannot be built here (iptables missing), or null. */
export function natUnavailable(): string | null {
  const netns = netnsUnavailable();
  if (netns) return netns;
  return commandUnavailable('iptables', ['--version'], 'iptables');
}

export interface Home {
  /** Where the member's host and browser run. */
  name: string;
  /** The home's router: NAT (masquerade) and a firewall that lets in only what was asked for from inside. */
  router: string;
  /** The member's address inside the home. */
  address: string;
  /** The router's address on the public network (what others see). */
  publicAddress: string;
}

/**
 * The internet in miniature: a public network (its own namespace, with one service address, where a
 * relay and a rendezvous run) and homes, each a private network behind a router that masquerades and
 * lets nothing in unasked, as home routers do, with a new public port for every destination (a
 * symmetric NAT). Nothing is routed to a home's private addresses, and a port one home's router showed
 * the relay is no use to the other home, so two homes reach each other only through a relay.
 */
export class NatLab {
  /** The public network's service address (on its loopback, routed to by every home's router). */
  static readonly SERVICE_ADDRESS = '203.0.113.100';
  readonly publicNs: string;
  readonly homes: Home[] = [];
  private readonly created: string[] = [];
  private readonly id = `${process.pid % 10000}`;

  constructor(private readonly prefix: string) {
    this.publicNs = `${prefix}-pub-${this.id}`;
  }

  start(): void {
    addNamespace(this.publicNs, this.created);
    ip('-n', this.publicNs, 'addr', 'add', `${NatLab.SERVICE_ADDRESS}/32`, 'dev', 'lo');
    inNs(this.publicNs, 'echo 1 > /proc/sys/net/ipv4/ip_forward');
  }

  addHome(): Home {
    const i = this.homes.length + 1;
    const router = `${this.prefix}-r${i}-${this.id}`;
    const name = `${this.prefix}-h${i}-${this.id}`;
    for (const ns of [router, name]) addNamespace(ns, this.created);
    // Public side: 203.0.113.(4i-3) on the public network, 203.0.113.(4i-2) the router's WAN address.
    const publicEnd = `203.0.113.${4 * i - 3}`;
    const publicAddress = `203.0.113.${4 * i - 2}`;
    ip('-n', router, 'link', 'add', 'wan', 'type', 'veth', 'peer', 'name', `w${i}`, 'netns', this.publicNs);
    ip('-n', router, 'addr', 'add', `${publicAddress}/30`, 'dev', 'wan');
    ip('-n', this.publicNs, 'addr', 'add', `${publicEnd}/30`, 'dev', `w${i}`);
    ip('-n', router, 'link', 'set', 'wan', 'up');
    ip('-n', this.publicNs, 'link', 'set', `w${i}`, 'up');
    ip('-n', router, 'route', 'add', 'default', 'via', publicEnd);
    // Private side: 10.(100+i).0.0/24, the router at .1 and the member at .2.
    const address = `10.${100 + i}.0.2`;
    ip('-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan', 'netns', router);
    ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', router, 'addr', 'add', `10.${100 + i}.0.1/24`, 'dev', 'lan');
    ip('-n', name, 'link', 'set', 'eth0', 'up');
    ip('-n', router, 'link', 'set', 'lan', 'up');
    ip('-n', name, 'route', 'add', 'default', 'via', `10.${100 + i}.0.1`);
    inNs(router, 'echo 1 > /proc/sys/net/ipv4/ip_forward');
    // A new public port for every destination (a symmetric NAT): a peer's address as the relay saw it is no use to the other home.
    inNs(router, 'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully');
    inNs(router, 'iptables -A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT && iptables -A FORWARD -i wan -j DROP');
    // The public network's way to the rest of the internet leads into the first router, which drops what it did not ask for,
    // as the internet would: a relay sending to a private address the other side named must not fail with "network unreachable".
    if (i === 1) ip('-n', this.publicNs, 'route', 'add', 'default', 'via', publicAddress);
    const home = { name, router, address, publicAddress };
    this.homes.push(home);
    return home;
  }

  /** Deletes every namespace this lab made (their veths and rules go with them). Never throws. */
  destroy(): void {
    deleteNamespaces(this.created);
  }
}
