// The small guest: Debian's kernel plus an initramfs made at test time from the host's busybox-static, the
// NIC/CD modules and scripts/small-init.sh. Cached by a hash of everything that goes in.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { join, basename } from 'node:path';
import { cachedDir, guestCache, SCRIPTS_DIR } from './cache.js';
import { debianKernel, moduleLoadOrder, type Kernel } from './kernel.js';

// virtio-net is what Nova gives guests; the CD needs the IDE (ata_piix), AHCI or virtio-scsi path, sr_mod and isofs.
export const SMALL_GUEST_MODULES = ['virtio_pci', 'virtio_net', 'ata_piix', 'ahci', 'virtio_scsi', 'sr_mod', 'isofs'];

export interface SmallGuest {
  kernel: Kernel;
  initrd: string;
  append: string;
}

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => {
  try {
    return readFileSync(p).subarray(0, 4).toString('latin1') === '\x7fELF';
  } catch {
    return false;
  }
});

export async function smallGuest(): Promise<SmallGuest> {
  if (!BUSYBOX) throw new Error('busybox-static is not installed (/bin/busybox)');
  const kernel = debianKernel('bookworm');
  const modules = moduleLoadOrder(kernel, SMALL_GUEST_MODULES);
  const init = readFileSync(join(SCRIPTS_DIR, 'small-init.sh'));
  const hook = readFileSync(join(SCRIPTS_DIR, 'udhcpc.sh'));
  const hash = createHash('sha256')
    .update(kernel.version)
    .update(init)
    .update(hook)
    .update(readFileSync(BUSYBOX))
    .update(modules.join('\n'))
    .digest('hex')
    .slice(0, 16);
  const dir = await cachedDir(guestCache('initramfs', hash), async (tmp) => {
    const root = join(tmp, 'root');
    for (const d of ['bin', 'dev', 'proc', 'sys', 'etc', 'mnt', 'lib/modules'])
      mkdirSync(join(root, d), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    symlinkSync('busybox', join(root, 'bin', 'sh'));
    writeFileSync(join(root, 'init'), init, { mode: 0o755 });
    writeFileSync(join(root, 'etc', 'udhcpc.sh'), hook, { mode: 0o755 });
    chmodSync(join(root, 'init'), 0o755);
    for (const m of modules) copyFileSync(m, join(root, 'lib', 'modules', basename(m)));
    writeFileSync(join(root, 'etc', 'modules.order'), modules.map((m) => basename(m)).join('\n') + '\n');
    // The kernel opens /dev/console before /init runs; without the node, init starts with no stdout.
    execFileSync('mknod', ['-m', '600', join(root, 'dev', 'console'), 'c', '5', '1']);
    execFileSync('sh', [
      '-c',
      'cd "$1" && find . | cpio -o -H newc --quiet | gzip -1 > "$2"',
      'sh',
      root,
      join(tmp, 'initrd.gz'),
    ]);
    execFileSync('rm', ['-rf', root]);
  });
  return { kernel, initrd: join(dir, 'initrd.gz'), append: 'console=ttyS0 quiet loglevel=1 panic=-1' };
}
