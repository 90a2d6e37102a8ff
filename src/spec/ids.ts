// The two generated values a VM keeps for life: its UUID (SMBIOS, libvirt, meta_data.json uuid, instance-id)
// and Nova's random_seed. Randomness comes in as a function so tests can force any bytes.
import { encodeBase64 } from './base64.js';

export type RandomBytes = (n: number) => Uint8Array;
export interface GeneratedIds {
  uuid: string;
  randomSeed: string;
  // The EC2 instance-id an existing VM already served (state.json): kept on update, since a changed id is a new
  // instance to cloud-init. Absent on create: it is derived from the uuid (ec2InstanceIdFor).
  ec2InstanceId?: string;
}

// EC2-only clients want AWS's form: CirrOS's ds/ec2 polls (20 tries, 2 s apart) until instance-id starts "i-".
// "i-" + the uuid's first 17 hex digits: AWS's long form, fixed for the VM's life because the uuid is.
export function ec2InstanceIdFor(uuid: string): string {
  return `i-${uuid.toLowerCase().replaceAll('-', '').slice(0, 17)}`;
}

// What an existing VM's state says its EC2 instance-id is: recorded since ec2InstanceId exists, else the one it
// served before (instanceId, the uuid by default), so an update never hands cloud-init a new instance.
export function recordedIds(state: {
  uuid: string;
  randomSeed: string;
  resolved?: Record<string, unknown>;
}): GeneratedIds {
  const r = state.resolved ?? {};
  const ec2 =
    typeof r.ec2InstanceId === 'string' ? r.ec2InstanceId : typeof r.instanceId === 'string' ? r.instanceId : undefined;
  return { uuid: state.uuid, randomSeed: state.randomSeed, ...(ec2 === undefined ? {} : { ec2InstanceId: ec2 }) };
}

// Nova sends 512 random bytes, base64-encoded, as meta_data.json random_seed (openstack-metadata.md).
export const RANDOM_SEED_BYTES = 512;
const MAX_ATTEMPTS = 64;

// RFC 9562 version 4: 122 random bits, version nibble 4, variant bits 10.
export function uuidV4(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new RangeError('a UUID needs 16 random bytes');
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Upstream cloud-init (after 22.4) also reads a UUID as AWS when its first group, byte-swapped, starts with
// "ec2": first group "????2?ec" (smbios-and-hypervisor.md §1.3).
export function isSwappedEc2Uuid(uuid: string): boolean {
  return /^[0-9a-f]{4}2[0-9a-f]ec/i.test(uuid);
}

// cloud-init reads a system UUID starting with "ec2" (or, upstream, whose byte-swapped first group does) as AWS
// and ds-identify lists Ec2 before OpenStack (smbios-and-hypervisor.md §1.3), so such UUIDs are drawn again.
export function looksLikeEc2(uuid: string): boolean {
  return uuid.toLowerCase().startsWith('ec2') || isSwappedEc2Uuid(uuid);
}

export function generateIds(randomBytes: RandomBytes): GeneratedIds {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const uuid = uuidV4(randomBytes(16));
    if (looksLikeEc2(uuid)) continue;
    return { uuid, randomSeed: encodeBase64(randomBytes(RANDOM_SEED_BYTES)) };
  }
  // Each draw is about 1 in 2000; 64 in a row means the byte source is not random.
  throw new Error(`generateIds: ${MAX_ATTEMPTS} UUIDs in a row looked like EC2; the random source is broken`);
}
