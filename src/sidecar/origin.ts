// Who is on the other end of a connection, as far as the sidecar can tell, and whether that is the guest's path.
// The 0600 Unix socket admits only its owner (QEMU's guestfwd connector runs as that user), so it is the guest.
// A loopback listener admits every local user, and a connection whose source is the listener's own address (or
// any loopback address) comes from the host itself, never from a guest behind the interception rules.
import type { Socket } from 'node:net';
import type { ListenAddress } from './files.js';

export type Origin = 'guest' | 'host';

export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

export function listenerLabel(a: ListenAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function peerLabel(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  const addr = socket.remoteAddress;
  if (!addr) return 'unix';
  return addr.includes(':') ? `[${addr}]:${socket.remotePort}` : `${addr}:${socket.remotePort}`;
}

export function originOf(listener: ListenAddress, socket: Pick<Socket, 'remoteAddress' | 'localAddress'>): Origin {
  if (listener.kind === 'unix') return 'guest';
  if (isLoopbackAddress(listener.host)) return 'host';
  const peer = socket.remoteAddress;
  if (!peer || isLoopbackAddress(peer) || peer === socket.localAddress) return 'host';
  return 'guest';
}
