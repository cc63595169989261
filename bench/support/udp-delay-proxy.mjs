#!/usr/bin/env node
// A UDP forwarder that holds every datagram for a fixed time each way: latency on a path where the
// kernel has no netem. `node udp-delay-proxy.mjs LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS`.
// Each client gets a socket of its own towards the target, so the target tells clients apart.
import dgram from 'node:dgram';

const [listenHost, listenPort, targetHost, targetPort, delay] = process.argv.slice(2);
const delayMs = Number(delay);
const front = dgram.createSocket('udp4');
const towardsTarget = new Map();

front.on('message', (message, client) => {
  const key = `${client.address}:${client.port}`;
  let socket = towardsTarget.get(key);
  if (!socket) {
    socket = dgram.createSocket('udp4');
    socket.bind(0, listenHost);
    socket.on('message', (reply) => setTimeout(() => front.send(reply, client.port, client.address), delayMs));
    towardsTarget.set(key, socket);
  }
  const out = socket;
  setTimeout(() => out.send(message, Number(targetPort), targetHost), delayMs);
});
front.bind(Number(listenPort), listenHost, () => console.log(`delaying ${listenHost}:${listenPort} -> ${targetHost}:${targetPort} by ${delayMs} ms each way`));
