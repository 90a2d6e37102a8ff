// Debian's own kernel for the small guest: the `linux-image-amd64` metapackage is resolved to the versioned
// image package of the suite, which is downloaded and unpacked (never installed on the host).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { aptOptions, aptUpdate, unpackPackage, type Suite } from '../../helpers/cloud-init.js';

export interface Kernel {
  version: string; // e.g. 6.1.0-56-amd64
  vmlinuz: string;
  modulesDir: string; // …/lib/modules/<version>
}

// The versioned package the suite's linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64.
function imagePackage(suite: Suite): string {
  aptUpdate();
  const madison = execFileSync('apt-cache', [...aptOptions(), 'madison', 'linux-image-amd64'], { encoding: 'utf8' });
  const row = madison
    .split('\n')
    .map((l) => l.split('|').map((s) => s.trim()))
    .find(([, , src]) => src !== undefined && new RegExp(`\\b${suite}(-security|-updates)?/main\\b`).test(src));
  if (!row) throw new Error(`no linux-image-amd64 for ${suite}:\n${madison}`);
  const show = execFileSync('apt-cache', [...aptOptions(), 'show', `linux-image-amd64=${row[1]}`], {
    encoding: 'utf8',
  });
  const dep = /^Depends:\s*(linux-image-[^\s,(]+)/m.exec(show)?.[1];
  if (!dep) throw new Error(`cannot read the image package from:\n${show}`);
  return dep;
}

export function debianKernel(suite: Suite = 'bookworm'): Kernel {
  const root = unpackPackage(imagePackage(suite), suite);
  const version = readdirSync(join(root, 'lib', 'modules'))[0];
  if (!version) throw new Error(`no modules in ${root}`);
  const vmlinuz = join(root, 'boot', `vmlinuz-${version}`);
  if (!existsSync(vmlinuz)) throw new Error(`no ${vmlinuz}`);
  return { version, vmlinuz, modulesDir: join(root, 'lib', 'modules', version) };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name), out);
    else if (/\.ko(\.xz|\.zst)?$/.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

const modName = (file: string) =>
  basename(file)
    .replace(/\.ko(\.xz|\.zst)?$/, '')
    .replaceAll('-', '_');

// The kernel records a module's dependencies in its .modinfo section as a NUL-terminated "depends=a,b" string;
// reading it directly spares us depmod/modinfo, which the host does not have.
function dependsOf(file: string): string[] {
  if (!file.endsWith('.ko')) throw new Error(`${file}: compressed modules are not supported by this builder`);
  const bytes = readFileSync(file);
  const at = bytes.indexOf('\0depends=');
  if (at < 0) return [];
  const end = bytes.indexOf(0, at + 1);
  const list = bytes.subarray(at + '\0depends='.length, end).toString('latin1');
  return list ? list.split(',').map((m) => m.replaceAll('-', '_')) : [];
}

// The files to load, dependencies first, for the named modules.
export function moduleLoadOrder(kernel: Kernel, wanted: string[]): string[] {
  const byName = new Map(walk(join(kernel.modulesDir, 'kernel')).map((f) => [modName(f), f]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const n = name.replaceAll('-', '_');
    if (seen.has(n)) return;
    seen.add(n);
    const file = byName.get(n);
    if (!file) throw new Error(`module ${n} not found under ${kernel.modulesDir} (built in?)`);
    for (const d of dependsOf(file)) visit(d);
    order.push(file);
  };
  wanted.forEach(visit);
  return order;
}
