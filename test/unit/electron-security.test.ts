/**
 * The desktop shell's security policy, checked without an Electron binary: only the pure modules
 * are imported (window options, CSP, URL policy, the IPC router), plus static reads of the shell's
 * sources for the rules a type system cannot express.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HostError, MAX_UPDATE_BYTES } from '../../shared/host-api';
import type { BridgeReply } from '../../shared/host-bridge';
import { routeCall, windowClient, type CallSender, type RoutableService } from '../../main/electron/ipc-router';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  isAppUrl,
  isPermissionAllowed,
  mainWindowOptions,
  resolveAppAsset,
  onWindowClose,
  secureWebPreferences,
  shouldAllowNavigation,
  windowOpenDecision,
} from '../../main/electron/window-options';
import { HostService, type HostClient } from '../../main/services/host-service';
import { CONTENT_SECURITY_POLICY, CSP_DIRECTIVES } from '../../main/services/renderer-policy';
import { logger } from '../../main/services/logger';

const root = fileURLToPath(new URL('../../', import.meta.url));
const electronDir = join(root, 'main', 'electron');

const appSender: CallSender = { frameUrl: APP_INDEX_URL, isMainFrame: true, isKnownWindow: true };
const client: HostClient = { send: () => undefined };

function directive(name: string): string[] {
  const found = CONTENT_SECURITY_POLICY.split(';')
    .map((part) => part.trim().split(/\s+/))
    .find(([directiveName]) => directiveName === name);
  expect(found, `CSP has ${name}`).toBeDefined();
  return found!.slice(1);
}

function errorOf(reply: BridgeReply): { code: string; message: string } {
  expect(reply.ok).toBe(false);
  if (reply.ok) throw new Error('expected an error reply');
  return reply.error;
}

describe('window options', () => {
  const prefs = secureWebPreferences('/app/dist/electron/preload.cjs');

  it('isolate and sandbox the renderer, with no Node and no webviews', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.preload).toBe('/app/dist/electron/preload.cjs');
  });

  it('use the spellchecker only where it is the OS’s own (macOS): elsewhere Electron would download dictionaries', () => {
    expect(secureWebPreferences('/p.cjs', 'darwin').spellcheck).toBe(true);
    for (const platform of ['linux', 'win32', 'freebsd'] as const) expect(secureWebPreferences('/p.cjs', platform).spellcheck, platform).toBe(false);
  });

  it('keep a hidden window syncing behind the tray icon until the member quits', () => {
    expect(prefs.backgroundThrottling).toBe(false);
    expect(onWindowClose({ quitting: false, tray: true })).toBe('hide');
    expect(onWindowClose({ quitting: true, tray: true })).toBe('close');
    // No system tray: closing the window quits, as it did before there was one.
    expect(onWindowClose({ quitting: false, tray: false })).toBe('close');
  });

  it('the main window uses exactly those preferences', () => {
    const options = mainWindowOptions('/p.cjs');
    expect(options.webPreferences).toEqual(secureWebPreferences('/p.cjs'));
    expect(options.show).toBe(false);
  });
});

describe('content security policy', () => {
  it('never allows eval or inline scripts', () => {
    expect(CONTENT_SECURITY_POLICY).not.toContain("'unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("'wasm-unsafe-eval'");
    expect(directive('script-src')).toEqual(["'self'"]);
    expect(directive('default-src')).toEqual(["'self'"]);
  });

  it('shuts out plugins, framing, base rewrites and form posts', () => {
    expect(directive('object-src')).toEqual(["'none'"]);
    expect(directive('frame-ancestors')).toEqual(["'none'"]);
    expect(directive('base-uri')).toEqual(["'none'"]);
    expect(directive('form-action')).toEqual(["'none'"]);
  });

  it('connects only to itself and to ws:/wss: signalling, and allows inline styles only for the editor', () => {
    expect(directive('connect-src')).toEqual(["'self'", 'ws:', 'wss:']);
    expect(directive('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(directive('img-src')).toEqual(["'self'", 'data:', 'blob:']);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/(^|\s)\*(\s|;|$)/);
  });

  it('the header string and the directive table agree', () => {
    for (const [name, sources] of Object.entries(CSP_DIRECTIVES)) expect(directive(name)).toEqual([...sources]);
  });
});

describe('navigation and window.open', () => {
  const foreign = [
    'https://evil.example/',
    'http://evil.example/index.html',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'about:blank',
    'app://evil.example/index.html',
    'app://commonplace.evil.example/index.html',
    'app://commonplace:8080/index.html',
    'app://user:pass@commonplace/index.html',
    'https://commonplace/index.html',
    'commonplace://join/abc',
    'ws://127.0.0.1:1234/',
    '',
    'not a url',
  ];

  it.each(foreign)('denies navigation to %s', (url) => {
    expect(shouldAllowNavigation(url)).toBe(false);
    expect(isAppUrl(url)).toBe(false);
  });

  it.each([APP_INDEX_URL, `${APP_ORIGIN}/`, `${APP_ORIGIN}/notes/abc?x=1#top`])('allows the app URL %s', (url) => {
    expect(shouldAllowNavigation(url)).toBe(true);
  });

  it('never opens a window; only http, https and mailto go to the system browser', () => {
    const cases: Array<[string, boolean]> = [
      ['https://example.org/page', true],
      ['http://example.org/', true],
      ['mailto:someone@example.org', true],
      ['file:///etc/passwd', false],
      ['javascript:alert(1)', false],
      ['smb://server/share', false],
      ['commonplace://join/abc', false],
      [APP_INDEX_URL, false],
      ['', false],
    ];
    for (const [url, external] of cases) {
      expect(windowOpenDecision(url), url).toEqual({ action: 'deny', openExternally: external });
    }
  });

  it('grants the app clipboard writes and nothing else', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', APP_ORIGIN)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', APP_INDEX_URL)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example')).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'usb']) {
      expect(isPermissionAllowed(permission, APP_ORIGIN), permission).toBe(false);
    }
  });
});

describe('app:// file resolution', () => {
  it('maps app URLs to files inside the renderer root', () => {
    expect(resolveAppAsset(`${APP_ORIGIN}/`)).toBe('index.html');
    expect(resolveAppAsset(APP_INDEX_URL)).toBe('index.html');
    expect(resolveAppAsset(`${APP_ORIGIN}/assets/index-abc123.js?v=1`)).toBe('assets/index-abc123.js');
  });

  it('resolves dot segments the URL parser sees inside the root, never above it', () => {
    expect(resolveAppAsset(`${APP_ORIGIN}/%2e%2e/%2e%2e/etc/passwd`)).toBe('etc/passwd');
    expect(resolveAppAsset(`${APP_ORIGIN}/assets/../../../index.html`)).toBe('index.html');
  });

  it.each([
    `${APP_ORIGIN}/..%2f..%2fetc/passwd`,
    `${APP_ORIGIN}/assets/..%5c..%5csecret`,
    `${APP_ORIGIN}/C:/Windows/win.ini`,
    `${APP_ORIGIN}/a%00.js`,
    `${APP_ORIGIN}/%E0%A4%A`,
    'app://evil.example/index.html',
    'file:///etc/passwd',
  ])('rejects %s', (url) => {
    expect(resolveAppAsset(url)).toBeNull();
  });
});

describe('the IPC router', () => {
  let dataDir: string;
  let service: HostService;

  beforeAll(async () => {
    logger.setQuiet(true);
    dataDir = await mkdtemp(join(tmpdir(), 'commonplace-ipc-'));
    service = new HostService({ dataDir, host: 'electron', version: '0.0.0-test' });
  });

  afterAll(async () => {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
    logger.setQuiet(false);
  });

  function spyService(): RoutableService & { handle: ReturnType<typeof vi.fn> } {
    return { handle: vi.fn(async () => ({})), detach: vi.fn() };
  }

  it('answers a valid call from the app window', async () => {
    const reply = await routeCall(service, client, appSender, 'app.info', {});
    expect(reply).toEqual({ ok: true, result: { version: '0.0.0-test', host: 'electron', platform: process.platform, attachmentLimit: 100 * 1024 * 1024 } });
  });

  it.each<[string, CallSender]>([
    ['a sub-frame', { ...appSender, isMainFrame: false }],
    ['an unknown window', { ...appSender, isKnownWindow: false }],
    ['a foreign origin', { ...appSender, frameUrl: 'https://evil.example/' }],
    ['a look-alike app host', { ...appSender, frameUrl: 'app://commonplace.evil.example/index.html' }],
    ['a file page', { ...appSender, frameUrl: 'file:///index.html' }],
    ['a frame that is gone', { ...appSender, frameUrl: '' }],
  ])('refuses %s without calling the service', async (_label, sender) => {
    const spy = spyService();
    const error = errorOf(await routeCall(spy, client, sender, 'app.info', {}));
    expect(error.code).toBe('forbidden');
    expect(spy.handle).not.toHaveBeenCalled();
  });

  it('refuses a window it does not track even if the sender looks right', async () => {
    const spy = spyService();
    expect(errorOf(await routeCall(spy, undefined, appSender, 'app.info', {})).code).toBe('forbidden');
    expect(spy.handle).not.toHaveBeenCalled();
  });

  it.each(['fs.readFile', '__proto__', 'constructor', 'toString', 42, null])('rejects the unknown method %s', async (method) => {
    expect(errorOf(await routeCall(service, client, appSender, method, {})).code).toBe('unknown-method');
  });

  it.each<[string, unknown]>([
    ['space.sync', { spaceId: '../../etc', stateVector: new Uint8Array() }],
    ['space.sync', { spaceId: 'abcdefgh12', stateVector: 'not bytes' }],
    ['space.append', { spaceId: 'abcdefgh12', update: new Uint8Array(), extra: true }],
    ['app.info', { sneaky: 1 }],
    ['app.info', null],
    ['shell.openExternal', { url: 42 }],
  ])('rejects malformed input to %s', async (method, input) => {
    expect(errorOf(await routeCall(service, client, appSender, method, input)).code).toBe('invalid-input');
  });

  it('keeps the shell from opening file: links', async () => {
    expect(errorOf(await routeCall(service, client, appSender, 'shell.openExternal', { url: 'file:///etc/passwd' })).code).toBe('forbidden');
  });

  it('never puts a stack trace in a reply', async () => {
    const stacky = new Error('boom at /somewhere/secret.js');
    const thrower: RoutableService = { handle: async () => Promise.reject(stacky), detach: () => undefined };
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const internal = errorOf(await routeCall(thrower, client, appSender, 'app.info', {}));
    expect(internal).toEqual({ code: 'internal', message: 'internal error' });
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();

    const multiLine = new HostError('invalid-input', `bad input\n${stacky.stack ?? '    at somewhere (file.js:1:1)'}`);
    const hostThrower: RoutableService = { handle: async () => Promise.reject(multiLine), detach: () => undefined };
    const typed = errorOf(await routeCall(hostThrower, client, appSender, 'app.info', {}));
    expect(typed).toEqual({ code: 'invalid-input', message: 'bad input' });

    const fromService = [
      errorOf(await routeCall(service, client, appSender, 'space.sync', { spaceId: 'x', stateVector: 1 })),
      errorOf(await routeCall(service, client, appSender, 'nope', {})),
    ];
    for (const reply of [internal, typed, ...fromService]) {
      expect(reply.message).not.toMatch(/\n|\bat .+:\d+:\d+/);
      if (stacky.stack) expect(reply.message).not.toContain(stacky.stack);
    }
  });
});

describe('the shell sources', () => {
  async function electronSources(): Promise<Map<string, string>> {
    const files = (await readdir(electronDir)).filter((name) => name.endsWith('.ts'));
    return new Map(await Promise.all(files.map(async (name) => [name, await readFile(join(electronDir, name), 'utf8')] as const)));
  }

  // Any way of listening to renderer messages in the main process.
  const registration = /\b(?:ipcMain|\.ipc)\s*\.\s*(?:handle|handleOnce|on|once|addListener|prependListener|prependOnceListener)\s*\(/g;

  it('main.ts registers no IPC of its own and installs the router', async () => {
    const main = await readFile(join(electronDir, 'main.ts'), 'utf8');
    expect(main.match(registration) ?? []).toEqual([]);
    expect(main).toMatch(/registerIpcRouter\(\s*ipcMain\s*,/);
  });

  it('the only IPC registration is the router, and it routes through routeCall', async () => {
    const sources = await electronSources();
    const found: string[] = [];
    for (const [name, source] of sources) for (const match of source.matchAll(registration)) found.push(`${name}: ${match[0]}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^ipc-router\.ts: ipcMain\s*\.\s*handle\(/);

    const router = sources.get('ipc-router.ts')!;
    const start = router.indexOf('ipcMain.handle(');
    const call = router.slice(start, router.indexOf('});', start));
    expect(call).toMatch(/^ipcMain\.handle\(IPC_CALL_CHANNEL,/);
    expect(call).toContain('routeCall(');
  });

  it('the router and the policy module import only types from electron', async () => {
    const sources = await electronSources();
    for (const name of ['ipc-router.ts', 'window-options.ts']) {
      const imports = sources.get(name)!.match(/^import[^;]*from 'electron';/gm) ?? [];
      for (const line of imports) expect(line, name).toMatch(/^import type /);
    }
  });

  it('the preload exposes one object and nothing else', async () => {
    const preload = await readFile(join(electronDir, 'preload.ts'), 'utf8');
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toContain("exposeInMainWorld('commonplaceHost', bridge)");
    expect(preload).not.toMatch(/exposeInIsolatedWorld|webFrame|require\(/);
  });

  it('main/services never imports electron', async () => {
    const dir = join(root, 'main', 'services');
    for (const name of (await readdir(dir)).filter((file) => file.endsWith('.ts'))) {
      expect(await readFile(join(dir, name), 'utf8'), name).not.toMatch(/from 'electron'|require\('electron'\)/);
    }
  });
});

describe('the shell wires its policy (static checks of main.ts)', () => {
  const source = () => readFile(join(electronDir, 'main.ts'), 'utf8');

  it('never downloads spellchecker dictionaries: the app promises no server', async () => {
    const main = await source();
    const secure = main.slice(main.indexOf('function secureSession('), main.indexOf('\n}\n', main.indexOf('function secureSession(')));
    expect(secure).toMatch(/ses\.setSpellCheckerDictionaryDownloadURL\(NO_DICTIONARY_DOWNLOAD_URL\)/);
    expect(secure).toMatch(/if \(process\.platform !== 'darwin'\) ses\.setSpellCheckerEnabled\(false\)/);
    const url = /const NO_DICTIONARY_DOWNLOAD_URL = '([^']+)'/.exec(main)?.[1];
    expect(url, 'the download URL is a constant').toBeDefined();
    // Loopback's discard port: a download could not leave this machine even if one were tried.
    expect(new URL(url!).hostname).toBe('127.0.0.1');
  });

  it('sandboxes every renderer and secures every web contents it ever creates', async () => {
    const main = await source();
    expect(main).toMatch(/app\.enableSandbox\(\)/);
    expect(main).toMatch(/app\.on\('web-contents-created',\s*\(_event,\s*contents\)\s*=>\s*secureWebContents\(contents\)\)/);
  });

  it('denies navigation, redirects, frame navigation and webviews that leave the app', async () => {
    const main = await source();
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      expect(main, event).toMatch(new RegExp(`contents\\.on\\('${event}', denyUnlessApp\\)`));
    }
    expect(main).toMatch(/if \(!shouldAllowNavigation\(event\.url\)\)\s*\{\s*event\.preventDefault\(\)/);
    expect(main).toMatch(/contents\.on\('will-attach-webview', \(event\) => event\.preventDefault\(\)\)/);
  });

  it('never opens a window, and opens links outside only after the URL policy says so', async () => {
    const main = await source();
    const handler = main.slice(main.indexOf('setWindowOpenHandler('), main.indexOf('});', main.indexOf('setWindowOpenHandler(')));
    expect(handler).toContain('windowOpenDecision(url).openExternally');
    expect(handler).toContain("return { action: 'deny' }");
    expect(handler).not.toContain("'allow'");
    // shell.openExternal is reached only through openExternal(), which re-checks the scheme.
    expect(main.match(/shell\.openExternal\(/g)).toHaveLength(1);
    const wrapper = main.slice(main.indexOf('function openExternal('), main.indexOf('shell.openExternal('));
    expect(wrapper).toMatch(/isAllowedExternalUrl\(url\)/);
  });

  it('answers permission requests and checks with the policy, and no device access', async () => {
    const main = await source();
    expect(main).toMatch(/setPermissionRequestHandler\([^]*?callback\(isPermissionAllowed\(/);
    expect(main).toMatch(/setPermissionCheckHandler\([^)]*\)\s*=>\s*isPermissionAllowed\(/);
    expect(main).toMatch(/setDevicePermissionHandler\(\(\) => false\)/);
  });

  it('sends the CSP on every response and gives app:// no CORS or CSP bypass', async () => {
    const main = await source();
    expect(main).toMatch(/onHeadersReceived\([^]*?'Content-Security-Policy': \[CONTENT_SECURITY_POLICY\]/);
    const schemes = main.slice(main.indexOf('registerSchemesAsPrivileged('), main.indexOf(']);', main.indexOf('registerSchemesAsPrivileged(')));
    expect(schemes).not.toMatch(/bypassCSP|corsEnabled|allowServiceWorkers/);
  });

  it('creates windows only with the secure options and loads only the app', async () => {
    const sources = await Promise.all(
      (await readdir(electronDir)).filter((n) => n.endsWith('.ts')).map(async (n) => [n, await readFile(join(electronDir, n), 'utf8')] as const),
    );
    for (const [name, text] of sources) {
      for (const match of text.matchAll(/new BrowserWindow\(([^)]*)/g)) expect(match[1], name).toMatch(/^mainWindowOptions\(/);
      for (const match of text.matchAll(/\.loadURL\(([^)]*)\)/g)) expect(match[1], name).toBe('APP_INDEX_URL');
      expect(text, name).not.toMatch(/\.loadFile\(|nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false|allowRunningInsecureContent:\s*true/);
    }
  });
});

describe('the IPC router with hostile updates', () => {
  let dataDir: string;
  let service: HostService;
  beforeAll(async () => {
    logger.setQuiet(true);
    dataDir = await mkdtemp(join(tmpdir(), 'commonplace-ipc-hostile-'));
    service = new HostService({ dataDir, host: 'electron', version: '0.0.0-test' });
  });
  afterAll(async () => {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
    logger.setQuiet(false);
  });

  it('answers a corrupt update with corrupt-update and an oversized one with too-large', async () => {
    const appSender: CallSender = { frameUrl: APP_INDEX_URL, isMainFrame: true, isKnownWindow: true };
    const corrupt = await routeCall(service, client, appSender, 'space.append', { spaceId: 'abcdefgh12', update: new Uint8Array([1, 2, 3, 255, 255]) });
    expect(errorOf(corrupt).code).toBe('corrupt-update');
    const huge = await routeCall(service, client, appSender, 'space.append', { spaceId: 'abcdefgh12', update: new Uint8Array(MAX_UPDATE_BYTES + 1) });
    expect(errorOf(huge).code).toBe('too-large');
  });

  it('does not push events to a window that left the app', () => {
    const sent: unknown[] = [];
    const contents = { isDestroyed: () => false, getURL: () => 'https://evil.example/', send: (...args: unknown[]) => sent.push(args) };
    windowClient(contents).send('space.update', { spaceId: 'abcdefgh12', update: new Uint8Array([0, 0]) });
    const gone = { isDestroyed: () => true, getURL: () => APP_INDEX_URL, send: (...args: unknown[]) => sent.push(args) };
    windowClient(gone).send('space.update', { spaceId: 'abcdefgh12', update: new Uint8Array([0, 0]) });
    expect(sent).toEqual([]);
  });
});

describe('the packaged app’s fuses (electron-builder.yml)', () => {
  const fuseOptions = async () => {
    const config = parseYaml(await readFile(join(root, 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, unknown>; asar?: unknown };
    return { fuses: config.electronFuses ?? {}, asar: config.asar };
  };

  it('turn off running as Node, NODE_OPTIONS and --inspect, and load only the checked app.asar', async () => {
    const { fuses, asar } = await fuseOptions();
    expect(fuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(asar).toBe(true);
  });

  it('name only fuses electron-builder knows (a misspelt one would be ignored without a word)', async () => {
    const { fuses } = await fuseOptions();
    const scheme = JSON.parse(await readFile(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as {
      definitions: { FuseOptionsV1: { properties: Record<string, unknown> } };
    };
    for (const name of Object.keys(fuses)) expect(Object.keys(scheme.definitions.FuseOptionsV1.properties), name).toContain(name);
  });

  it('leave nothing in the shell that needs a fuse turned off (no fork, no ELECTRON_RUN_AS_NODE)', async () => {
    for (const name of (await readdir(electronDir)).filter((n) => n.endsWith('.ts'))) {
      expect(await readFile(join(electronDir, name), 'utf8'), name).not.toMatch(/child_process|\.fork\(|ELECTRON_RUN_AS_NODE|utilityProcess/);
    }
  });
});
