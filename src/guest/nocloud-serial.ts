// How a generation reads an SMBIOS serial that seeds NoCloud over http (ds=nocloud…;s=http…), measured with each
// generation's real DataSourceNoCloudNet (test/client/dsidentify-nocloud-net-stages.test.ts). The one classifier
// for both the verdict (guest/verdict.ts) and the spec's generation warnings (spec/generation-rules.ts). Pure.
import { atLeast, type CloudInitGeneration } from './ds-identify-model.js';

// ok: read in init-network without complaint. deprecated: read, but 24.1+ logs DEPRECATED for the nocloud-net
// name and `cloud-init status` exits 2. local-mode: before 24.1, ds=nocloud with an http seed means dsmode=local,
// and init-network exits without configuring the guest. null: the serial seeds nothing over http.
export type SerialSeed = 'ok' | 'deprecated' | 'local-mode' | null;

export function classifySerialSeed(serial: string, gen: CloudInitGeneration): SerialSeed {
  const m = /^ds=(nocloud|nocloud-net);(?:.*;)?s(?:eedfrom)?=https?:/.exec(serial.trim());
  if (!m) return null;
  // 25.1 is the first generation vmmeta knows that is 24.1 or later.
  const from241 = atLeast(gen, '25.1');
  if (m[1] === 'nocloud-net') return from241 ? 'deprecated' : 'ok';
  return from241 ? 'ok' : 'local-mode';
}
