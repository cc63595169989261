/**
 * A WebRTC implementation for y-webrtc's `peerOpts.wrtc` whose data channels carry messages of any
 * size: each message is split into frames of at most 64 KiB (chunk-frames.ts) and reassembled on the
 * other side, for channels we create and channels the remote side opens. Sending respects the real
 * channel's bufferedAmount, so a 5 MB sync step never overflows Chromium's send queue. Incoming
 * messages pass an optional check first; what fails it is dropped with a warning, never thrown into
 * the page.
 *
 * Glare: when two peers offer to each other at once, y-webrtc lets the later offer win, and the side
 * whose offer lost answers the winner with the simple-peer it set up as an initiator. That simple-peer
 * created a channel of its own and listens for no channel from the peer, so each side would talk on a
 * channel the other never reads ("connected", and nothing arrives). The peer connection here notices
 * (it created a channel, so it was to offer, and it is given an offer), drops its own unopened channel,
 * and hands simple-peer the winner's channel in its place when it arrives, so both sides use that one.
 */
import { DEFAULT_MAX_MESSAGE_BYTES, encodeFrames, FrameAssembler } from './chunk-frames';
import { errorMessage } from '../errors';

/** Frames are handed to the real channel while its queue is below this. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** The real channel tells us to resume when its queue drains to this. */
const LOW_WATER_BYTES = 256 * 1024;
/** Frames still queued are tried again after this, whether or not the real channel said it drained. */
const RETRY_PUMP_MS = 20;

export interface ChunkingOptions {
  /** Returns why a reassembled message must be dropped, or null to deliver it. */
  check?: (message: Uint8Array) => string | null;
  /** Takes messages that are not y-webrtc's (true: taken), before `check` and y-webrtc see them. */
  intercept?: (message: Uint8Array, channel: ChunkedDataChannel) => boolean;
  /** Told when a channel opens and closes, so other protocols can share it. */
  onOpen?: (channel: ChunkedDataChannel) => void;
  onClose?: (channel: ChunkedDataChannel) => void;
  /** Told of a STUN or TURN server's error while gathering candidates (the browser's icecandidateerror). */
  onIceError?: (error: { url: string; errorCode: number; errorText: string }) => void;
  /** Told when a TURN server gave a relay candidate. */
  onRelayCandidate?: () => void;
  maxMessageBytes?: number;
  /** Where warnings go (console.warn by default). */
  warn?: (message: string) => void;
}

export interface WrtcOptions extends ChunkingOptions {
  /** The WebRTC to wrap: the page's own by default; a headless host passes a binding for Node. */
  base?: WrtcImplementation;
  /** False once its owner has stopped: a peer connection asked for afterwards is refused (simple-peer then closes). */
  accepting?: () => boolean;
}

type Handler = ((event: Event) => void) | null;
type MessageHandler = ((event: MessageEvent) => void) | null;

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return new TextEncoder().encode(data);
  throw new TypeError('a data channel sends bytes or strings');
}

/** The part of RTCDataChannel simple-peer uses, over a real channel, with framing in between. */
export class ChunkedDataChannel {
  onopen: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  onmessage: MessageHandler = null;
  onbufferedamountlow: Handler = null;
  bufferedAmountLowThreshold = 0;
  binaryType: BinaryType = 'arraybuffer';
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private nextMessageId = 1;
  private assembler: FrameAssembler;
  private readonly warn: (message: string) => void;
  private real: RTCDataChannel;
  /** Between dropping its own channel and getting the peer's (glare): reads as connecting. */
  private waiting = false;

  constructor(
    channel: RTCDataChannel,
    private readonly options: ChunkingOptions = {},
  ) {
    this.assembler = new FrameAssembler(options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.real = channel;
    this.bind(channel);
  }

  /** The real channel underneath. */
  get channel(): RTCDataChannel {
    return this.real;
  }

  private bind(channel: RTCDataChannel): void {
    const options = this.options;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    let opened = false;
    const open = (event: Event) => {
      if (opened || this.real !== channel) return;
      opened = true;
      this.pump();
      this.onopen?.(event);
      options.onOpen?.(this);
    };
    channel.onopen = open;
    channel.onclose = (event) => {
      this.queue.length = 0;
      this.queuedBytes = 0;
      options.onClose?.(this);
      this.onclose?.(event);
    };
    // A channel the remote side opened is open already when it is announced (its open event follows).
    if (channel.readyState === 'open') queueMicrotask(() => open(new Event('open')));
    channel.onerror = (event) => this.onerror?.(event);
    channel.onbufferedamountlow = () => this.pump();
    channel.onmessage = (event: MessageEvent) => this.receive(event.data);
  }

  /**
   * Glare (see the file's comment): lets go of this channel's own real channel, which has not opened
   * and never will be read, without a close event for simple-peer; `adopt` gives it the peer's.
   */
  release(): void {
    if (this.waiting) return;
    const own = this.real;
    own.onopen = own.onclose = own.onerror = own.onbufferedamountlow = own.onmessage = null;
    this.waiting = true;
    own.close();
  }

  /** Whether this channel let go of its own and waits for the peer's. */
  get released(): boolean {
    return this.waiting;
  }

  /** Carries on over the peer's channel, as if it were the one created here (after `release`). */
  adopt(channel: RTCDataChannel): void {
    this.real = channel;
    this.waiting = false;
    this.assembler = new FrameAssembler(this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.bind(channel);
  }

  get label(): string {
    return this.real.label;
  }
  get id(): number | null {
    return this.real.id;
  }
  get readyState(): RTCDataChannelState {
    return this.waiting ? 'connecting' : this.real.readyState;
  }
  /** What the real channel holds plus the frames still waiting here. */
  get bufferedAmount(): number {
    return this.real.bufferedAmount + this.queuedBytes;
  }

  send(data: unknown): void {
    if (this.real.readyState !== 'open') throw new Error('the data channel is not open');
    for (const frame of encodeFrames(toBytes(data), this.nextMessageId)) {
      this.queue.push(frame);
      this.queuedBytes += frame.length;
    }
    this.nextMessageId = (this.nextMessageId + 1) >>> 0;
    this.pump();
  }

  close(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.real.close();
  }

  private pump(): void {
    const before = this.bufferedAmount;
    while (this.queue.length > 0 && this.real.readyState === 'open' && this.real.bufferedAmount < HIGH_WATER_BYTES) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.length;
      try {
        this.real.send(frame as Uint8Array<ArrayBuffer>);
      } catch (error) {
        this.warn(`data channel send failed; closing it: ${errorMessage(error)}`);
        this.close();
        return;
      }
    }
    const after = this.bufferedAmount;
    if (before > this.bufferedAmountLowThreshold && after <= this.bufferedAmountLowThreshold) {
      this.onbufferedamountlow?.(new Event('bufferedamountlow'));
    }
    // Frames left waiting go on when the real channel drains (bufferedamountlow), or within a moment at
    // the latest: a binding for Node (@roamhq/wrtc) never fires that event.
    if (this.queue.length > 0 && this.real.readyState === 'open' && this.retry === null) {
      this.retry = setTimeout(() => {
        this.retry = null;
        this.pump();
      }, RETRY_PUMP_MS);
    }
  }

  private receive(data: unknown): void {
    const result = this.assembler.push(data);
    if (result.kind === 'error') {
      this.warn(`dropped a malformed message from a peer: ${result.reason}`);
      return;
    }
    if (result.kind !== 'message') return;
    try {
      if (this.options.intercept?.(result.message, this)) return;
    } catch (error) {
      this.warn(`a message from a peer could not be handled: ${errorMessage(error)}`);
      return;
    }
    const problem = this.options.check?.(result.message) ?? null;
    if (problem !== null) {
      this.warn(`dropped a message from a peer: ${problem}`);
      return;
    }
    try {
      this.onmessage?.(new MessageEvent('message', { data: result.message.buffer }));
    } catch (error) {
      // y-webrtc applies messages synchronously in this call; whatever it throws stops here.
      this.warn(`a message from a peer could not be applied: ${errorMessage(error)}`);
    }
  }
}

export interface WrtcImplementation {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
}

/** `peerOpts.wrtc` for y-webrtc (simple-peer): a WebRTC (the browser's, or `base`) with chunked data channels. */
export function chunkedWrtc(options: WrtcOptions = {}): WrtcImplementation {
  const base = options.base ?? { RTCPeerConnection: globalThis.RTCPeerConnection, RTCSessionDescription: globalThis.RTCSessionDescription, RTCIceCandidate: globalThis.RTCIceCandidate };
  const Native = base.RTCPeerConnection;
  const nativeOnDataChannel = Object.getOwnPropertyDescriptor(Native.prototype, 'ondatachannel');
  function ChunkedPeerConnection(config?: RTCConfiguration): RTCPeerConnection {
    if (options.accepting && !options.accepting()) throw new Error('peer sync stopped: no new connections');
    const pc = new Native(config);
    if (options.onIceError) {
      const report = options.onIceError;
      pc.addEventListener('icecandidateerror', (event) => {
        const e = event as RTCPeerConnectionIceErrorEvent;
        report({ url: String(e.url ?? ''), errorCode: Number(e.errorCode), errorText: String(e.errorText ?? '') });
      });
    }
    if (options.onRelayCandidate) {
      const report = options.onRelayCandidate;
      pc.addEventListener('icecandidate', (event) => {
        if ((event as RTCPeerConnectionIceEvent).candidate?.type === 'relay') report();
      });
    }
    const create = pc.createDataChannel.bind(pc);
    /** Channels created here (simple-peer's own, when it is the initiator). */
    const created: ChunkedDataChannel[] = [];
    pc.createDataChannel = ((label: string, init?: RTCDataChannelInit) => {
      const channel = new ChunkedDataChannel(create(label, init), options);
      created.push(channel);
      return channel;
    }) as unknown as RTCPeerConnection['createDataChannel'];
    // Glare: an initiator (it created a channel) that is given an offer answers the peer's offer, which
    // won (y-webrtc accepts the later of two). The peer's channel is then the one both sides read.
    const setRemoteDescription = pc.setRemoteDescription.bind(pc);
    pc.setRemoteDescription = ((description: RTCSessionDescriptionInit) =>
      setRemoteDescription(description).then(() => {
        if (description?.type !== 'offer') return;
        for (const channel of created) if (channel.readyState === 'connecting') channel.release();
      })) as RTCPeerConnection['setRemoteDescription'];
    let handler: ((event: RTCDataChannelEvent) => void) | null = null;
    const onNativeChannel = (event: RTCDataChannelEvent) => {
      const waiting = created.find((channel) => channel.released);
      if (waiting) waiting.adopt(event.channel);
      else if (handler) handler({ channel: new ChunkedDataChannel(event.channel, options) } as unknown as RTCDataChannelEvent);
      // Otherwise no one here reads it (an initiator's peer opened a channel of its own): as before.
    };
    if (nativeOnDataChannel?.set) {
      // A browser: `ondatachannel` is an accessor of the prototype; ours shadows it on the instance.
      Object.defineProperty(pc, 'ondatachannel', {
        configurable: true,
        get: () => handler,
        set: (value: ((event: RTCDataChannelEvent) => void) | null) => {
          handler = value;
        },
      });
      nativeOnDataChannel.set.call(pc, onNativeChannel);
      return pc;
    }
    // A binding for Node (@roamhq/wrtc) makes `ondatachannel` a fixed property of each instance: the
    // native channel is taken through addEventListener, and simple-peer's handler is kept by a proxy.
    pc.addEventListener('datachannel', onNativeChannel as EventListener);
    return new Proxy(pc, {
      get: (target, key) => {
        if (key === 'ondatachannel') return handler;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
      set: (target, key, value: unknown) => {
        if (key === 'ondatachannel') handler = value as typeof handler;
        else Reflect.set(target, key, value, target);
        return true;
      },
    });
  }
  ChunkedPeerConnection.prototype = Native.prototype;
  return {
    RTCPeerConnection: ChunkedPeerConnection as unknown as typeof RTCPeerConnection,
    RTCSessionDescription: base.RTCSessionDescription,
    RTCIceCandidate: base.RTCIceCandidate,
  };
}
