/**
 * The desktop shell's security policy as plain data and pure functions: window options, the
 * Content-Security-Policy, which URLs are the app's own, where navigation may go, which
 * permissions a page gets and which file an app:// URL names. Nothing here touches Electron at
 * runtime, so the unit tests check the exact policy main.ts enforces.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { posix } from 'node:path';
import { isAllowedExternalUrl } from '../../shared/host-api';

/** The privileged custom scheme the renderer is served from (registered as standard and secure). */
export const APP_SCHEME = 'app';
/** The one host of that scheme; together they are the app's origin. */
export const APP_HOST = 'commonplace';
/** The app's origin as Chromium serializes it. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page the main window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The scheme of invite links handed to the OS (commonplace://join/...). */
export const INVITE_SCHEME = 'commonplace';

/**
 * Where the renderer may connect: its own origin, and plain ws: for peers' signalling servers, which
 * are discovered at run time on LAN addresses a CSP cannot list. Only ws: (never http:, never wss:
 * relays on the internet); signalling is encrypted with the space secret, and the renderer dials only
 * URLs its host hands it. Widen it here and nowhere else.
 */
export const CSP_CONNECT_SRC: readonly string[] = ["'self'", 'ws:'];

/** The policy as directives, so a test can read one without parsing the string. */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  // Lexical writes inline style attributes (text formats, indentation).
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': CSP_CONNECT_SRC,
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'none'"],
};

/** The Content-Security-Policy header sent with every response the shell serves. */
export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ');

/** webPreferences for every window: isolated, sandboxed, no Node, no webviews. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    enableWebSQL: false,
    safeDialogs: true,
    spellcheck: true,
  };
}

/** The main notebook window; it is shown once its first paint is ready. */
export function mainWindowOptions(preloadPath: string, extra: { icon?: string } = {}): BrowserWindowConstructorOptions {
  return {
    title: 'Commonplace',
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 420,
    show: false,
    backgroundColor: '#ffffff',
    ...(extra.icon ? { icon: extra.icon } : {}),
    webPreferences: secureWebPreferences(preloadPath),
  };
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True only for a URL of the app's own origin: the app scheme, the exact app host, no port and no
 * credentials. (WHATWG gives custom schemes an opaque origin, so the parts are compared one by one.)
 */
export function isAppUrl(url: string): boolean {
  if (typeof url !== 'string') return false;
  const parsed = parseUrl(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/** Whether a frame may navigate (or be redirected) to `url`: only within the app itself. */
export function shouldAllowNavigation(url: string): boolean {
  return isAppUrl(url);
}

/** What to do with window.open / target=_blank: never a new window; maybe the system browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: typeof url === 'string' && isAllowedExternalUrl(url) };
}

/** The only permission a page gets: writing sanitized text to the clipboard (copy from the editor). */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** Whether a permission request or check from `requestingUrl` (a URL or an origin) is granted. */
export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl);
}

/**
 * The renderer file an app:// request names, relative to the renderer's root, or null when the URL
 * is not the app's or its path could leave the root (`..`, encoded separators, drive letters, NUL).
 * The caller still checks that the joined path stays inside the root.
 */
export function resolveAppAsset(url: string): string | null {
  if (!isAppUrl(url)) return null;
  const parsed = parseUrl(url);
  if (!parsed) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (/[\\\0:]/.test(pathname)) return null;
  const segments = pathname.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.')) return null;
  const relative = posix.normalize(pathname).replace(/^\/+/, '');
  if (relative === '' || relative.endsWith('/')) return posix.join(relative, 'index.html');
  if (relative.startsWith('..') || posix.isAbsolute(relative)) return null;
  return relative;
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The Content-Type for a renderer file. */
export function contentTypeFor(file: string): string {
  return MIME_TYPES[posix.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
