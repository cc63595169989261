/**
 * The desktop shell: one window showing the renderer from the privileged app:// scheme, one
 * HostService on the member's data directory, and the locks around both (a single app instance,
 * and the data-directory lock shared with the web host). All renderer calls go through the IPC
 * router; every policy decision comes from window-options.ts.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
  type MenuItemConstructorOptions,
  type Session,
  type WebContents,
} from 'electron';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isAllowedExternalUrl } from '../../shared/host-api';
import { DataDirBusyError, defaultDataDir } from '../services/data-dir';
import { startHostRuntime, type HostRuntime } from '../services/host-runtime';
import { DEFAULT_SIGNALING_PORT } from '../services/lan-sync';
import { logger } from '../services/logger';
import { inviteCodeFrom } from './invite-links';
import { registerIpcRouter, windowClient, type IpcRouter } from './ipc-router';
import { CONTENT_SECURITY_POLICY, contentTypeFor, RENDERER_SECURITY_HEADERS } from '../services/renderer-policy';
import {
  APP_INDEX_URL,
  APP_SCHEME,
  isPermissionAllowed,
  mainWindowOptions,
  onWindowClose,
  resolveAppAsset,
  shouldAllowNavigation,
  windowOpenDecision,
} from './window-options';
import { errorMessage } from '../../shared/errors';

/**
 * Where Electron would fetch spellchecker dictionaries: loopback's discard port, so nothing leaves
 * the machine even if a download were tried (the spellchecker is off where it would need one).
 */
const NO_DICTIONARY_DOWNLOAD_URL = 'http://127.0.0.1:9/';

// Before `ready`: app:// behaves like https (standard origin, secure context, fetch works). No
// corsEnabled: nothing of another origin may read app:// resources; the app loads only its own.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
// Members on the same LAN must see each other's real host candidates, not mDNS names.
app.commandLine.appendSwitch('disable-features', 'WebRtcHideLocalIpsWithMdns');
app.enableSandbox();

const rootDir = app.getAppPath();
const rendererDir = path.join(rootDir, 'dist', 'renderer');
const preloadPath = path.join(rootDir, 'dist', 'electron', 'preload.cjs');

let mainWindow: BrowserWindow | null = null;
let runtime: HostRuntime | null = null;
let router: IpcRouter | null = null;
let shutdown: 'running' | 'flushing' | 'done' = 'running';
/** Shown while Commonplace runs: with it, closing the window keeps sync going (onWindowClose). */
let tray: Tray | null = null;

function openExternal(url: string): Promise<boolean> {
  if (!isAllowedExternalUrl(url)) return Promise.resolve(false);
  return shell.openExternal(url).then(
    () => true,
    (error: unknown) => {
      logger.warn(`could not open an external link: ${errorMessage(error)}`);
      return false;
    },
  );
}

function securityHeaders(contentType: string): Record<string, string> {
  return { 'Content-Type': contentType, ...RENDERER_SECURITY_HEADERS, 'Cache-Control': 'no-cache' };
}

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: securityHeaders('text/plain; charset=utf-8') });
}

/** Serves dist/renderer under app://commonplace/, never a file outside it. */
async function serveAppRequest(request: Request): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'method not allowed');
  const relative = resolveAppAsset(request.url);
  if (relative === null) return textResponse(403, 'forbidden');
  let file = path.resolve(rendererDir, relative);
  if (!file.startsWith(rendererDir + path.sep)) return textResponse(403, 'forbidden');
  let info = await stat(file).catch(() => null);
  // A path without an extension is a page of the single-page app: serve its index.
  if (!info?.isFile() && path.extname(relative) === '') {
    file = path.join(rendererDir, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) return textResponse(404, 'not found');
  const body = request.method === 'HEAD' ? null : new Uint8Array(await readFile(file));
  return new Response(body, { status: 200, headers: securityHeaders(contentTypeFor(file)) });
}

const securedSessions = new WeakSet<Session>();

/** Session-wide policy: the CSP on every response, no permission but clipboard writes, no dictionary downloads. */
function secureSession(ses: Session): void {
  if (securedSessions.has(ses)) return;
  securedSessions.add(ses);
  // No dictionary downloads (the app promises no server): macOS checks spelling with the OS's own.
  ses.setSpellCheckerDictionaryDownloadURL(NO_DICTIONARY_DOWNLOAD_URL);
  if (process.platform !== 'darwin') ses.setSpellCheckerEnabled(false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    // DevTools (development only) runs its own pages under its own policy.
    if (details.url.startsWith('devtools:')) return callback({});
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl || contents.getURL()));
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin));
  ses.setDevicePermissionHandler(() => false);
}

/** Locks down every web contents the app ever creates (windows, devtools, anything else). */
function secureWebContents(contents: WebContents): void {
  secureSession(contents.session);
  const denyUnlessApp = (event: { url: string; preventDefault: () => void }) => {
    if (!shouldAllowNavigation(event.url)) {
      event.preventDefault();
      logger.warn('blocked a navigation away from the app');
    }
  };
  contents.on('will-navigate', denyUnlessApp);
  contents.on('will-frame-navigate', denyUnlessApp);
  contents.on('will-redirect', denyUnlessApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenDecision(url).openExternally) void openExternal(url);
    return { action: 'deny' };
  });
}

function buildMenu(): Menu {
  const isMac = process.platform === 'darwin';
  // No undo/redo roles: Ctrl/Cmd+Z must reach the editor, which keeps its own history.
  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [{ role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'pasteAndMatchStyle' }, { type: 'separator' }, { role: 'selectAll' }],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      ...(app.isPackaged ? [] : ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[])),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? ([{ role: 'appMenu' }] as MenuItemConstructorOptions[]) : []),
    { label: 'File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    edit,
    view,
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

function createMainWindow(): BrowserWindow {
  const devIcon = path.join(rootDir, 'build', 'icon.png');
  const window = new BrowserWindow(mainWindowOptions(preloadPath, !app.isPackaged && existsSync(devIcon) ? { icon: devIcon } : {}));
  router?.attach(window);
  window.once('ready-to-show', () => window.show());
  window.on('close', (event) => {
    if (onWindowClose({ quitting: shutdown !== 'running', tray: tray !== null }) === 'close') return;
    event.preventDefault();
    window.hide();
  });
  window.webContents.on('did-finish-load', () => offerInvite(null));
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(APP_INDEX_URL).catch((error: unknown) => {
    logger.error(`the window could not load the app: ${errorMessage(error)}`);
  });
  return window;
}

/** The tray icon and its menu, or null where the desktop has no tray (closing the window then quits, as before). */
function createTray(): Tray | null {
  try {
    const icon = nativeImage.createFromPath(path.join(rootDir, 'dist', 'electron', 'tray.png')).resize({ width: 22, height: 22 });
    const created = new Tray(icon);
    created.setToolTip('Commonplace: your spaces keep syncing until you quit');
    created.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Open Commonplace', click: () => showMainWindow() },
        { type: 'separator' },
        { label: 'Quit Commonplace', click: () => app.quit() },
      ]),
    );
    created.on('click', () => showMainWindow());
    return created;
  } catch (error) {
    logger.warn(`no tray icon (closing the window quits): ${errorMessage(error)}`);
    return null;
  }
}

function showMainWindow(): void {
  if (!mainWindow && runtime) mainWindow = createMainWindow();
  focusMainWindow();
}

function focusMainWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/** An invite link the OS opened us with, held until the window's page can take it. */
let pendingInvite: string | null = inviteCodeFrom(process.argv);

function offerInvite(code: string | null): void {
  if (code) pendingInvite = code;
  const contents = mainWindow?.webContents;
  if (!pendingInvite || !contents || contents.isLoading()) return;
  windowClient(contents).send('app.openInvite', { code: pendingInvite });
  pendingInvite = null;
  focusMainWindow();
}

function fail(title: string, message: string): void {
  dialog.showErrorBox(title, message);
  app.quit();
}

async function start(): Promise<void> {
  const dataDir = defaultDataDir();
  // Same switches as the web host: --no-lan keeps signalling on this machine, --signaling-port=N moves it.
  const portSwitch = app.commandLine.getSwitchValue('signaling-port');
  // --attachment-limit-mb=N as the web host's (a whole number of MB from 1 to 2048; anything else keeps 100).
  const limitMb = Number(app.commandLine.getSwitchValue('attachment-limit-mb'));
  // The member's private keys are encrypted by the OS keychain where Electron can use one.
  const keyProtection = safeStorage.isEncryptionAvailable()
    ? { encrypt: (plain: string) => safeStorage.encryptString(plain), decrypt: (sealed: Buffer) => safeStorage.decryptString(sealed) }
    : undefined;
  try {
    runtime = await startHostRuntime({
      dataDir,
      host: 'electron',
      version: app.getVersion(),
      windowsExpected: true,
      openExternal,
      keyProtection,
      lockHolder: 'electron',
      syncRequired: false,
      attachmentLimit: Number.isInteger(limitMb) && limitMb >= 1 && limitMb <= 2048 ? limitMb * 1024 * 1024 : undefined,
      lan: { port: portSwitch ? Number(portSwitch) : DEFAULT_SIGNALING_PORT, lan: !app.commandLine.hasSwitch('no-lan'), fallbackToFreePort: !portSwitch },
    });
  } catch (error) {
    if (error instanceof DataDirBusyError) {
      fail('Your notebook is already open', `${error.message}.\n\nClose it first, then start Commonplace again.`);
    } else {
      fail('Commonplace could not start', `The notebook folder ${dataDir} could not be opened: ${errorMessage(error)}`);
    }
    return;
  }
  router = registerIpcRouter(ipcMain, runtime.service);
  secureSession(session.defaultSession);
  protocol.handle(APP_SCHEME, (request) =>
    serveAppRequest(request).catch((error: unknown) => {
      logger.error(`app:// request failed: ${errorMessage(error)}`);
      return textResponse(500, 'internal error');
    }),
  );
  Menu.setApplicationMenu(buildMenu());
  tray = createTray();
  mainWindow = createMainWindow();
  logger.info(`desktop shell ${app.getVersion()} started; notebook at ${dataDir}`);
}

/** Writes everything queued (within a time limit), closes the store and gives the data directory back. */
async function stop(): Promise<void> {
  tray?.destroy();
  tray = null;
  router?.dispose();
  router = null;
  const running = runtime;
  runtime = null;
  await running?.stop();
}

function releaseDataDir(): void {
  runtime?.releaseLock();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Invite links: a second launch (Windows, Linux) passes the link in argv; macOS sends open-url.
  if (app.isPackaged) app.setAsDefaultProtocolClient('commonplace');
  app.on('second-instance', (_event, argv) => {
    focusMainWindow();
    offerInvite(inviteCodeFrom(argv));
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    offerInvite(inviteCodeFrom([url]));
  });
  app.on('web-contents-created', (_event, contents) => secureWebContents(contents));

  app.on('before-quit', (event) => {
    if (shutdown === 'done') return;
    event.preventDefault();
    if (shutdown === 'flushing') return;
    shutdown = 'flushing';
    void stop().finally(() => {
      shutdown = 'done';
      app.quit();
    });
  });
  app.on('will-quit', releaseDataDir);
  process.on('exit', releaseDataDir);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // The dock icon brings back a window hidden behind the tray, too.
  app.on('activate', () => showMainWindow());

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      fail('Commonplace could not start', errorMessage(error));
    });
}
