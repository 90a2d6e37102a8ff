// A failure the host reports to the client that asked (load, unload) instead of crashing: a VM's files, its
// listeners, a bad request. Its own module so host.ts and host-load.ts share it without importing each other.
export class HostError extends Error {
  override name = 'HostError';
}
