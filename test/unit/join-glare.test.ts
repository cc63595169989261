/**
 * Glare: two peers that offer to each other at once. y-webrtc lets the later offer win, and the side
 * whose offer lost answers it with the simple-peer it made as an initiator, which created a channel
 * of its own and reads no channel from the peer. Each side then talked on a channel the other never
 * read: "connected", and the status stuck at "Syncing…" (seen in test/e2e/join.e2e.ts when both
 * members went back online at the same moment). The wrapped peer connection (chunked-webrtc.ts) drops
 * its own unopened channel and hands simple-peer the winner's. A fake RTCPeerConnection stands in for
 * the browser's here; what simple-peer does with the connection is what these calls do.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunkedWrtc, type ChunkedDataChannel } from '../../shared/peer/chunked-webrtc';

class FakeChannel {
  readyState: RTCDataChannelState = 'connecting';
  binaryType = 'blob';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  id: number | null = null;
  sent: Uint8Array[] = [];
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  constructor(readonly label: string) {}
  send(frame: Uint8Array): void {
    this.sent.push(frame);
  }
  close(): void {
    this.readyState = 'closed';
  }
  open(): void {
    this.readyState = 'open';
    this.onopen?.(new Event('open'));
  }
}

class FakePeerConnection {
  signalingState: RTCSignalingState = 'stable';
  readonly created: FakeChannel[] = [];
  private datachannel: ((event: { channel: FakeChannel }) => void) | null = null;
  createDataChannel(label: string): FakeChannel {
    const channel = new FakeChannel(label);
    this.created.push(channel);
    return channel;
  }
  async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    // Chromium rolls back a pending local offer when given a remote one.
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  get ondatachannel() {
    return this.datachannel;
  }
  set ondatachannel(handler: ((event: { channel: FakeChannel }) => void) | null) {
    this.datachannel = handler;
  }
  /** The peer's channel arrives (it is open when announced). */
  announce(label: string): FakeChannel {
    const channel = new FakeChannel(label);
    channel.readyState = 'open';
    this.datachannel?.({ channel });
    return channel;
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

function setup() {
  vi.stubGlobal('RTCPeerConnection', FakePeerConnection);
  const opened: ChunkedDataChannel[] = [];
  const wrtc = chunkedWrtc({ onOpen: (channel) => opened.push(channel) });
  const pc = new wrtc.RTCPeerConnection() as unknown as FakePeerConnection & RTCPeerConnection;
  return { pc, opened };
}

/** What simple-peer does with a channel: keeps it and listens on it. */
function listen(channel: ChunkedDataChannel) {
  const events = { open: 0, close: 0, messages: [] as string[] };
  channel.onopen = () => events.open++;
  channel.onclose = () => events.close++;
  channel.onmessage = (event) => events.messages.push(new TextDecoder().decode(new Uint8Array(event.data as ArrayBuffer)));
  return events;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('glare', () => {
  it("the side that answers the winning offer carries on over the winner's channel", async () => {
    const { pc, opened } = setup();
    // simple-peer as an initiator: creates its channel, offers.
    const own = pc.createDataChannel('own-label') as unknown as ChunkedDataChannel;
    const events = listen(own);
    await pc.setLocalDescription({ type: 'offer', sdp: 'own offer' });
    // The peer's offer won: y-webrtc hands it to the same simple-peer, which answers it.
    await pc.setRemoteDescription({ type: 'offer', sdp: 'winning offer' });
    expect(pc.created[0]!.readyState).toBe('closed');
    // No close for simple-peer: it waits for the channel to open.
    expect(events.close).toBe(0);
    expect(own.readyState).toBe('connecting');

    const theirs = pc.announce('their-label');
    await tick();
    expect(own.readyState).toBe('open');
    expect(own.label).toBe('their-label');
    expect(events.open).toBe(1);
    expect(opened).toEqual([own]);
    // Its open event follows the announcement: still opened once.
    theirs.onopen?.(new Event('open'));
    expect(events.open).toBe(1);

    own.send(new TextEncoder().encode('hello'));
    expect(theirs.sent.length).toBe(1);
    expect(pc.created[0]!.sent.length).toBe(0);
    // What the peer sends on its channel reaches simple-peer (a frame this side sent, echoed back as the peer's).
    theirs.onmessage?.(new MessageEvent('message', { data: theirs.sent[0]!.slice().buffer }));
    expect(events.messages).toEqual(['hello']);

    theirs.readyState = 'closed';
    theirs.onclose?.(new Event('close'));
    expect(events.close).toBe(1);
  });

  it('an offerer that gets its answer keeps its own channel and ignores channels of the peer', async () => {
    const { pc } = setup();
    const own = pc.createDataChannel('own-label') as unknown as ChunkedDataChannel;
    const events = listen(own);
    await pc.setLocalDescription({ type: 'offer', sdp: 'own offer' });
    await pc.setRemoteDescription({ type: 'answer', sdp: 'answer' });
    pc.created[0]!.open();
    expect(events.open).toBe(1);
    expect(own.label).toBe('own-label');
    pc.announce('stray');
    await tick();
    expect(own.label).toBe('own-label');
    expect(own.readyState).toBe('open');
  });

  it('a renegotiating offer leaves an open channel alone', async () => {
    const { pc } = setup();
    const own = pc.createDataChannel('own-label') as unknown as ChunkedDataChannel;
    listen(own);
    await pc.setRemoteDescription({ type: 'answer', sdp: 'answer' });
    pc.created[0]!.open();
    await pc.setRemoteDescription({ type: 'offer', sdp: 'renegotiation' });
    expect(own.readyState).toBe('open');
    expect(pc.created[0]!.readyState).toBe('open');
  });

  it('the answering side (no channel of its own) gets the offerer\'s channel through ondatachannel, as before', async () => {
    const { pc, opened } = setup();
    const received: ChunkedDataChannel[] = [];
    pc.ondatachannel = (event) => received.push(event.channel as unknown as ChunkedDataChannel);
    await pc.setRemoteDescription({ type: 'offer', sdp: 'offer' });
    const theirs = pc.announce('their-label');
    expect(received.length).toBe(1);
    const events = listen(received[0]!);
    await tick();
    theirs.onopen?.(new Event('open'));
    expect(received[0]!.label).toBe('their-label');
    expect(events.open).toBe(1);
    expect([...new Set(opened)]).toEqual(received);
  });
});
