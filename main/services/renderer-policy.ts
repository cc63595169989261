/**
 * The renderer's security policy, the same whichever host serves it (Electron's app:// scheme or the
 * web host on 127.0.0.1): its Content-Security-Policy, the headers sent with every file, the MIME
 * type of each file of the build, and the origins a member's renderer runs at. The link schemes that
 * may open outside the app are in shared/host-api.ts (`isAllowedExternalUrl`), since the renderer
 * checks them too. Change the policy here and nowhere else.
 */
import { extname } from 'node:path';

/** The privileged custom scheme the desktop renderer is served from (registered as standard and secure). */
export const APP_SCHEME = 'app';
/** The one host of that scheme; together they are the desktop app's origin. */
export const APP_HOST = 'commonplace';
/** The desktop app's origin as Chromium serializes it. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * Where the renderer may connect: its own origin, ws: for peers' signalling servers, which are
 * discovered at run time on LAN addresses a CSP cannot list, and wss: for the rendezvous a space names
 * (its members choose them, so no list fits every space). Never http: or https:; signalling is
 * encrypted with the space key, and the renderer dials only URLs its host hands it.
 */
export const CSP_CONNECT_SRC: readonly string[] = ["'self'", 'ws:', 'wss:'];

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

/** The Content-Security-Policy header sent with every file of the renderer. */
export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ');

/** Headers sent with every file of the renderer, by both hosts. */
export const RENDERER_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // The web host's page address carries its token: no page the renderer links to may see it.
  'Referrer-Policy': 'no-referrer',
};

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

/** The Content-Type of a file of the renderer's build; anything unknown is served as opaque bytes. */
export function contentTypeFor(file: string): string {
  return MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
