/**
 * The one door from a renderer into the main process. Every call arrives on IPC_CALL_CHANNEL and
 * goes through routeCall: the sender must be the main frame of a window this shell created,
 * showing the app's own origin; the call itself is validated by HostService against the
 * contract's schemas. Replies never carry a stack trace.
 *
 * Only types come from 'electron' here, so the routing policy is testable without Electron.
 */
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { HostError, type HostEventName, type HostEvents } from '../../shared/host-api';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, type BridgeReply } from '../../shared/host-bridge';
import type { HostClient } from '../services/host-service';
import { logger } from '../services/logger';
import { isAppUrl } from './window-options';

/** What the router needs of HostService. */
export interface RoutableService {
  handle(client: HostClient, method: unknown, input: unknown): Promise<unknown>;
  detach(client: HostClient): void;
}

/** Who sent a call, as far as the main process can tell. */
export interface CallSender {
  /** URL of the frame that sent the call ('' when the frame is gone). */
  frameUrl: string;
  isMainFrame: boolean;
  /** The call came from a window this shell created and still tracks. */
  isKnownWindow: boolean;
}

/** Longest error message a reply carries. */
const MAX_MESSAGE_CHARS = 500;

function forbidden(message: string): BridgeReply {
  return { ok: false, error: { code: 'forbidden', message } };
}

/** First line of a message, bounded: a message never smuggles a stack trace or a huge payload out. */
function safeMessage(message: string): string {
  const firstLine = message.split(/\r?\n/, 1)[0] ?? '';
  return firstLine.length > MAX_MESSAGE_CHARS ? `${firstLine.slice(0, MAX_MESSAGE_CHARS)}…` : firstLine;
}

/** Routes one call from a renderer; always resolves, with the result or a typed error. */
export async function routeCall(
  service: RoutableService,
  client: HostClient | undefined,
  sender: CallSender,
  method: unknown,
  input: unknown,
): Promise<BridgeReply> {
  if (!sender.isKnownWindow || !client) return forbidden('calls are accepted only from Commonplace windows');
  if (!sender.isMainFrame) return forbidden('calls are accepted only from the main frame');
  if (!isAppUrl(sender.frameUrl)) return forbidden('calls are accepted only from the app itself');
  try {
    return { ok: true, result: await service.handle(client, method, input) };
  } catch (error) {
    if (error instanceof HostError) return { ok: false, error: { code: error.code, message: safeMessage(error.message) } };
    const name = typeof method === 'string' ? method.slice(0, 80) : 'call';
    logger.error(`ipc ${name} failed: ${error instanceof Error ? safeMessage(error.message) : 'non-error thrown'}`);
    return { ok: false, error: { code: 'internal', message: 'internal error' } };
  }
}

/** A window as a HostClient: events go to its page, unless the page is gone or not the app. */
export function windowClient(contents: Pick<WebContents, 'isDestroyed' | 'getURL' | 'send'>): HostClient {
  return {
    send<E extends HostEventName>(event: E, payload: HostEvents[E]) {
      if (contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
      contents.send(IPC_EVENT_CHANNEL, event, payload);
    },
  };
}

/** Who sent an invoke, read from the event Electron gives the handler. */
export function describeSender(event: IpcMainInvokeEvent, isKnownWindow: boolean): CallSender {
  const frame = event.senderFrame;
  if (!frame) return { frameUrl: '', isMainFrame: false, isKnownWindow };
  const main = event.sender.mainFrame;
  const isMainFrame = frame.parent === null && frame.processId === main.processId && frame.routingId === main.routingId;
  return { frameUrl: frame.url, isMainFrame, isKnownWindow };
}

export interface IpcRouter {
  /** Lets a window's main frame call the host; its subscriptions end when it closes. */
  attach(window: BrowserWindow): void;
  /** Stops answering calls (shutdown). */
  dispose(): void;
}

/** Registers the router on ipcMain. This is the only ipcMain registration in the shell. */
export function registerIpcRouter(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, service: RoutableService): IpcRouter {
  const clients = new Map<number, HostClient>();

  ipcMain.handle(IPC_CALL_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, input: unknown) => {
    const client = clients.get(event.sender.id);
    return routeCall(service, client, describeSender(event, client !== undefined), method, input);
  });

  return {
    attach(window) {
      const contents = window.webContents;
      const id = contents.id;
      const client = windowClient(contents);
      clients.set(id, client);
      let detached = false;
      const detach = () => {
        if (detached) return;
        detached = true;
        clients.delete(id);
        service.detach(client);
      };
      window.once('closed', detach);
      contents.once('destroyed', detach);
    },
    dispose() {
      ipcMain.removeHandler(IPC_CALL_CHANNEL);
      for (const client of clients.values()) service.detach(client);
      clients.clear();
    },
  };
}
