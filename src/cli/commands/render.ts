// vmmeta render <spec> --out DIR: the disk trees of one or every format, for people and for other tools.
// No state folder, no sidecar. Files holding user-data, vendor-data or passwords are 0600.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadSpecFile } from '../../spec/load.js';
import { FORMATS } from '../../render/formats.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { isSensitiveDocument } from '../../state/paths.js';

export type RenderFormat = 'openstack' | 'ec2' | 'nocloud' | 'configdrive' | 'all';

export interface RenderResult {
  out: string;
  format: RenderFormat;
  files: Array<{ path: string; bytes: number; mode: string }>;
}

export async function render(o: { spec: string; out: string; format: RenderFormat }): Promise<RenderResult> {
  const { vm } = await loadSpecFile(o.spec);
  const chosen = FORMATS.filter((f) => o.format === 'all' || f.name === o.format);
  const files: RenderResult['files'] = [];
  await mkdir(o.out, { recursive: true, mode: 0o755 });
  for (const format of chosen) {
    const base = o.format === 'all' ? join(o.out, format.name) : o.out;
    for (const [key, bytes] of format.render(vm)) {
      if (key.endsWith('/')) continue; // an HTTP listing: only documents go to disk
      const rel = key.replace(/^\/+/, '');
      const target = join(base, rel);
      const mode = isSensitiveDocument(rel) ? 0o600 : 0o644;
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeFileAtomic(target, bytes, { mode });
      files.push({ path: target, bytes: bytes.length, mode: mode.toString(8).padStart(4, '0') });
    }
  }
  return { out: o.out, format: o.format, files };
}
