/**
 * The desktop shell's security policy as plain data and pure functions: window options, which URLs
 * are the app's own, where navigation may go, which permissions a page gets and which file an app://
 * URL names. The Content-Security-Policy and MIME types are the renderer's, shared with the web host
 * (main/services/renderer-policy.ts). Nothing here touches Electron at runtime, so the unit tests
 * check the exact policy main.ts enforces.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { posix } from 'node:path';
import { isAllowedExternalUrl } from '../../shared/host-api';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from '../services/renderer-policy';

export { APP_HOST, APP_ORIGIN, APP_SCHEME };

/** The page the main window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The scheme of invite links handed to the OS (commonplace://join/...). */
export const INVITE_SCHEME = 'commonplace';

/**
 * webPreferences for every window: isolated, sandboxed, no Node, no webviews. The spellchecker only
 * on macOS, where it is the OS's own; on Windows and Linux Electron downloads Hunspell dictionaries
 * from Google's servers, and the app promises no server.
 */
export function secureWebPreferences(preloadPath: string, platform: NodeJS.Platform = process.platform): WebPreferences {
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
    spellcheck: platform === 'darwin',
    // The window keeps syncing while hidden behind the tray icon: its timers must not be throttled.
    backgroundThrottling: false,
  };
}

/**
 * What closing the notebook window does: while a tray icon shows that Commonplace is still running,
 * the window hides and keeps syncing (its peer sync lives in the page) until the member quits; without
 * one (no system tray), or once quitting, it closes.
 */
export function onWindowClose(state: { quitting: boolean; tray: boolean }): 'hide' | 'close' {
  return state.tray && !state.quitting ? 'hide' : 'close';
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
