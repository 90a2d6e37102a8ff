// The metadata addresses a tap-mode guest dials, as on OpenStack (cloud-init's DataSourceOpenStack tries the
// IPv6 link-local one first, then IPv4), and the listen entries the VM's sidecar gets for its port.
export const METADATA_V4 = '169.254.169.254';
export const METADATA_V6 = 'fe80::a9fe:a9fe';

// The IPv6 listener's zone is the interface the guest's packets arrive on at the IP layer: the bridge, or the
// routed tap itself.
export function tapListen(tap: { device: string; bridge?: string | undefined | null; port: number }): string[] {
  return [`${METADATA_V4}:${tap.port}`, `[${METADATA_V6}%${tap.bridge ?? tap.device}]:${tap.port}`];
}
