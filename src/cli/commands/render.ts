// vmmeta render <spec> --out DIR: the disk trees of one or every format, for people and for other tools.
// No state folder, no sidecar. Files holding user-data, vendor-data or passwords are 0600. DIR ends up holding
// exactly the rendered tree (render-out.ts). A spec without a uuid naming a VM that exists in the state root
// renders with that VM's uuid and random seed, so a seed rebuilt from it is the same instance for cloud-init.
import { recordedIds } from '../../spec/ids.js';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { loadSpecFile } from '../../spec/load.js';
import { FORMATS } from '../../render/formats.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { isSensitiveDocument, vmPaths } from '../../state/paths.js';
import { readState, vmExists } from '../../state/store.js';
import { previousRender, removeStale, staleFiles, writeManifest } from '../render-out.js';

export type RenderFormat = 'openstack' | 'ec2' | 'nocloud' | 'configdrive' | 'all';

export interface RenderResult {
  out: string;
  format: RenderFormat;
  uuid: string;
  // spec: the spec's own uuid; vm: the stored VM of that name; new: generated for this render only
  ids: 'spec' | 'vm' | 'new';
  vmDir: string | null;
  files: Array<{ path: string; bytes: number; mode: string }>;
  removed: string[];
}

export async function render(o: {
  spec: string;
  out: string;
  format: RenderFormat;
  root: string;
  userDataOutside?: boolean;
}): Promise<RenderResult> {
  const opts = { userDataOutside: o.userDataOutside };
  let loaded = await loadSpecFile(o.spec, opts);
  let ids: RenderResult['ids'] = loaded.spec.uuid ? 'spec' : 'new';
  let vmDir: string | null = null;
  if (await vmExists(o.root, loaded.vm.name)) {
    const p = vmPaths(o.root, loaded.vm.name);
    const state = await readState(p);
    loaded = await loadSpecFile(o.spec, { ...opts, ids: recordedIds(state) });
    vmDir = p.dir;
    if (ids === 'new') ids = 'vm';
  }
  const vm = loaded.vm;
  const chosen = FORMATS.filter((f) => o.format === 'all' || f.name === o.format);
  const previous = await previousRender(o.out);
  const files: RenderResult['files'] = [];
  await mkdir(o.out, { recursive: true, mode: 0o755 });
  const planned: Array<{ target: string; bytes: Uint8Array; mode: number }> = [];
  for (const format of chosen) {
    const base = o.format === 'all' ? join(o.out, format.name) : o.out;
    for (const [key, bytes] of format.render(vm)) {
      if (key.endsWith('/')) continue; // an HTTP listing: only documents go to disk
      const rel = key.replace(/^\/+/, '');
      planned.push({ target: join(base, rel), bytes, mode: isSensitiveDocument(rel) ? 0o600 : 0o644 });
    }
  }
  const next = planned.map((f) => relative(o.out, f.target).split('\\').join('/'));
  // Old and new listed first: a render killed half-way still knows every file it may have left.
  await writeManifest(o.out, [...previous, ...next]);
  for (const { target, bytes, mode } of planned) {
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFileAtomic(target, bytes, { mode });
    files.push({ path: target, bytes: bytes.length, mode: mode.toString(8).padStart(4, '0') });
  }
  const removed = await removeStale(o.out, staleFiles(previous, next));
  await writeManifest(o.out, next);
  return { out: o.out, format: o.format, uuid: vm.uuid, ids, vmDir, files, removed };
}
