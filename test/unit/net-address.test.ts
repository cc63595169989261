/**
 * Addresses as text, checked one way everywhere: host:port of a signalling server, ws:// signalling
 * URLs, and which IP addresses are loopback, private or link-local.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signalingAddressSchema } from '../../shared/host-schemas';
import { isHostPort, isLoopbackHost, isPrivateOrLinkLocal, isSignalingUrl, parseHostPort, parseIPv4, parseIPv6 } from '../../shared/net-address';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('host:port', () => {
  it.each([
    ['127.0.0.1:4318', { host: '127.0.0.1', port: 4318 }],
    ['192.168.1.20:1', { host: '192.168.1.20', port: 1 }],
    ['[fe80::1]:4318', { host: '[fe80::1]', port: 4318 }],
    ['[::1]:65535', { host: '[::1]', port: 65535 }],
    ['[2001:db8::10.1.2.3]:80', { host: '[2001:db8::10.1.2.3]', port: 80 }],
    ['nurse-laptop.local:4318', { host: 'nurse-laptop.local', port: 4318 }],
    ['localhost:4318', { host: 'localhost', port: 4318 }],
    ['a:9', { host: 'a', port: 9 }],
  ])('reads %s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
    expect(isHostPort(text)).toBe(true);
    expect(signalingAddressSchema.safeParse(text).success).toBe(true);
  });

  it.each([
    '',
    'not an address',
    '127.0.0.1',
    '127.0.0.1:',
    '127.0.0.1:0',
    '10.0.0.1:70000',
    '10.0.0.1:4318x',
    '10.0.0.1:+4318',
    '999.1.1.1:4318',
    '1.2.3:4318',
    '01.2.3.4:4318',
    '1.2.3.4.5:4318',
    'fe80::1:4318',
    '[fe80::1%eth0]:4318',
    '[fe80:::1]:4318',
    '[1:2:3:4:5:6:7:8:9]:4318',
    '[]:4318',
    '-lead.example:4318',
    'trail-.example:4318',
    'a..b:4318',
    '.a:4318',
    'a.:4318',
    'user@host:4318',
    'host:4318/path',
    'ws://host:4318',
    ' host:4318',
    `${'a'.repeat(64)}.example:4318`,
    `${'a.'.repeat(130)}b:4318`,
  ])('refuses %j', (text) => {
    expect(parseHostPort(text)).toBeNull();
    expect(signalingAddressSchema.safeParse(text).success).toBe(false);
  });

  it('reads ws:// signalling URLs, nothing more', () => {
    for (const url of ['ws://127.0.0.1:4318', 'ws://[::1]:4318', 'ws://host.local:4318', 'wss://notes.example.org:4443']) expect(isSignalingUrl(url), url).toBe(true);
    for (const url of ['wss://notes.example.org', 'ws://127.0.0.1:4318/', 'ws://127.0.0.1', 'ws://u:p@h:1', 'http://h:1', 'ws://999.0.0.1:1']) expect(isSignalingUrl(url), url).toBe(false);
  });
});

describe('IP addresses', () => {
  it('parses IPv4 and IPv6 strictly', () => {
    expect(parseIPv4('10.0.0.255')).toEqual([10, 0, 0, 255]);
    for (const bad of ['10.0.0.256', '10.0.0', '10.0.0.0.0', '10.0.0.01', '10.0.0.-1', '0x7f.0.0.1', '']) expect(parseIPv4(bad), bad).toBeNull();
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('fd12:3456::1')).toEqual([0xfd12, 0x3456, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::ffff:10.1.2.3')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', 'g::1', '1:2:3:4:5:6:7::8']) expect(parseIPv6(bad), bad).toBeNull();
  });

  it('tells loopback hosts from others', () => {
    for (const host of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.20', '128.0.0.1', 'localhost.evil.example', '127.0.0.1.evil.example', '[::2]']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts only private (RFC 1918, IPv6 ULA) and link-local addresses as LAN peers', () => {
    for (const address of ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.3.4', 'fd00::1', 'fc00::1', 'fe80::1', 'febf::1']) {
      expect(isPrivateOrLinkLocal(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '172.15.0.1', '172.32.0.1', '192.169.0.1', '127.0.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.251', '100.64.0.1', '::1', '::', '2001:db8::1', 'fec0::1', '::ffff:10.0.0.1', 'example.local', '']) {
      expect(isPrivateOrLinkLocal(address), address).toBe(false);
    }
  });
});

describe('one host:port check', () => {
  it('is the only pattern for addresses and ports in the sources', async () => {
    const holders: string[] = [];
    for (const dir of ['main', 'renderer', 'shared']) {
      for (const entry of await readdir(join(root, dir), { withFileTypes: true, recursive: true })) {
        if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
        const path = join(entry.parentPath, entry.name);
        if (/\\d\{1,[35]\}/.test(await readFile(path, 'utf8'))) holders.push(relative(root, path).split('\\').join('/'));
      }
    }
    expect(holders.sort()).toEqual(['shared/net-address.ts']);
  });
});
