/**
 * Network namespaces for end-to-end tests: real, isolated networks inside this machine. Every
 * address used is one of these namespaces'; nothing reaches the machine's own network. Needs root
 * and iproute2 (`ip netns`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    ip('netns', 'add', this.bridgeNs);
    this.created.push(this.bridgeNs);
    ip('-n', this.bridgeNs, 'link', 'set', 'lo', 'up');
    ip('-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    ip('-n', this.bridgeNs, 'link', 'set', 'br0', 'up');
  }

  /** A namespace with lo and eth0 (10.231.7.N/24) plugged into the bridge, its default route. */
  addMember(): Namespace {
    const index = this.members.length + 1;
    const name = `${this.prefix}${index}-${this.id}`;
    const port = `p${index}`;
    ip('netns', 'add', name);
    this.created.push(name);
    settleAddressesAtOnce(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
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
    for (const name of this.created.reverse()) {
      try {
        ip('netns', 'del', name);
      } catch {
        // already gone
      }
    }
    this.created.length = 0;
  }
}

/** A single namespace with lo and one veth pair of its own, for peers that share one machine. */
export function soloNamespace(prefix: string, subnet = '10.231.9'): { ns: Namespace; destroy: () => void } {
  const name = `${prefix}-${process.pid % 10000}`;
  ip('netns', 'add', name);
  const destroy = () => {
    try {
      ip('netns', 'del', name);
    } catch {
      // already gone
    }
  };
  try {
    settleAddressesAtOnce(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
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
