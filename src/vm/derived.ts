// Which generated files of a VM are missing or no longer what its state says (someone ran `rm cidata.iso`, a
// disk filled up mid-write, served.json got truncated). Every file is derived from state.json + spec.yaml, so
// the plan rebuilt from them is the reference: inspect names the damage, create/update rewrite the files.
// Reads only.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILES, type VmPaths } from '../state/paths.js';
import { readSecrets } from '../state/secrets.js';
import type { Plan } from './plan.js';

export interface Damage {
  file: string; // relative to the VM folder
  problem: 'missing' | 'differs' | 'not an ISO' | 'unreadable';
}

// ISO 9660: "CD001" at byte 32769 (the primary volume descriptor in sector 16).
async function looksLikeIso(path: string): Promise<Damage['problem'] | null> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(5);
      const { bytesRead } = await fh.read(buf, 0, 5, 32769);
      return bytesRead === 5 && buf.toString('latin1') === 'CD001' ? null : 'not an ISO';
    } finally {
      await fh.close();
    }
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

async function compare(path: string, want: string | Uint8Array): Promise<Damage['problem'] | null> {
  try {
    const got = await readFile(path);
    return got.equals(Buffer.from(want)) ? null : 'differs';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

export async function derivedDamage(p: VmPaths, plan: Plan): Promise<Damage[]> {
  const checks: Array<Promise<Damage | null>> = [];
  const add = (file: string, check: Promise<Damage['problem'] | null>) =>
    checks.push(check.then((problem) => (problem ? { file, problem } : null)));
  for (const [rel, f] of plan.files) {
    // domain.xml is the operator's to edit (kept on update, vmmeta's copy beside it): only its absence counts.
    if (rel === FILES.domainXml)
      add(
        rel,
        readFile(join(p.dir, rel)).then(
          () => null,
          () =>
            readFile(p.domainXmlCopy).then(
              () => null,
              () => 'missing' as const,
            ),
        ),
      );
    else add(rel, compare(join(p.dir, rel), f.data));
  }
  if (plan.isos.cidata) add(FILES.cidataIso, looksLikeIso(p.cidataIso));
  if (plan.isos.configDrive) add(FILES.configDriveIso, looksLikeIso(p.configDriveIso));
  add(
    FILES.secrets,
    readSecrets(p.secrets).then((r) => (r.ok ? null : r.problem === 'invalid' ? 'differs' : r.problem)),
  );
  return (await Promise.all(checks)).filter((d): d is Damage => d !== null);
}
