// vmmeta doctor: can this host run vmmeta? Each check is ok, warn or fail with a hint; any fail exits 1.
import { access, constants, mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { UNIX_PATH_MAX } from '../../state/paths.js';
import { checkStateRoot } from '../../state/secure-dir.js';
import { UnsafeStateError } from '../../errors.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

async function version(cmd: string, args: string[]): Promise<string | null> {
  try {
    const r = await execa(cmd, args, { timeout: 5000, reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0 && !r.stdout && !r.stderr) return null;
    if ((r as { failed?: boolean; code?: string }).code === 'ENOENT') return null;
    const first = (String(r.stdout || r.stderr).split('\n')[0] ?? '').trim();
    return /^usage/i.test(first) ? `${cmd} found` : first;
  } catch {
    return null;
  }
}

async function tool(
  name: string,
  cmd: string,
  args: string[],
  missing: Omit<Check, 'name' | 'detail'>,
): Promise<Check> {
  const v = await version(cmd, args);
  return v !== null ? { name, status: 'ok', detail: v || cmd } : { name, detail: `${cmd} not found`, ...missing };
}

async function writable(root: string): Promise<Check> {
  let dir = root;
  while (
    !(await stat(dir).then(
      () => true,
      () => false,
    ))
  )
    dir = dirname(dir);
  try {
    await access(dir, constants.W_OK);
    if (dir === root) {
      const probe = await mkdtemp(join(root, '.doctor-'));
      await rm(probe, { recursive: true });
    }
    return {
      name: 'state root',
      status: 'ok',
      detail: dir === root ? `${root} is writable` : `${root} will be created under ${dir}`,
    };
  } catch (err) {
    return {
      name: 'state root',
      status: 'fail',
      detail: `${dir} is not writable (${(err as NodeJS.ErrnoException).code})`,
      hint: 'pass --state-dir or set VMMETA_STATE_DIR to a folder you own',
    };
  }
}

// ssh-style ownership and modes (state/secure-dir.ts): the same check every command makes before using the root.
function safeRoot(root: string): Check {
  try {
    checkStateRoot(root);
    return {
      name: 'state root safety',
      status: 'ok',
      detail: `${root} and the folders above it are writable by no other user`,
    };
  } catch (err) {
    if (!(err instanceof UnsafeStateError)) throw err;
    return { name: 'state root safety', status: 'fail', detail: err.message, hint: err.hint };
  }
}

function bindLoopback(): Promise<Check> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve({
        name: 'loopback port',
        status: 'fail',
        detail: `cannot listen on 127.0.0.1: ${err.code}`,
        hint: 'check that the loopback interface is up (ip link set lo up)',
      }),
    );
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve({ name: 'loopback port', status: 'ok', detail: `bound 127.0.0.1:${port}` }));
    });
  });
}

async function kvm(): Promise<Check> {
  const cpu = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const dev = await stat('/dev/kvm').then(
    () => true,
    () => false,
  );
  if (dev && /\b(vmx|svm)\b/.test(cpu))
    return { name: 'kvm', status: 'ok', detail: '/dev/kvm and hardware virtualisation present' };
  return {
    name: 'kvm',
    status: 'warn',
    detail: dev ? '/dev/kvm exists but the CPU shows no vmx/svm flag' : 'no /dev/kvm',
    hint: 'guests still run with -accel tcg, only slower',
  };
}

export async function doctor(o: { root: string }): Promise<{ root: string; checks: Check[] }> {
  const major = Number(process.versions.node.split('.')[0]);
  const sock = Buffer.byteLength(join(o.root, 'x'.repeat(63), 'sidecar.sock'));
  const iso = await tool('ISO tool', 'genisoimage', ['--version'], {
    status: 'fail',
    hint: 'apt install genisoimage (or xorriso)',
  });
  const checks: Check[] = [
    major >= 20
      ? { name: 'node', status: 'ok', detail: `Node ${process.versions.node}` }
      : {
          name: 'node',
          status: 'fail',
          detail: `Node ${process.versions.node}`,
          hint: 'vmmeta needs Node 20 or later',
        },
    await tool('qemu', 'qemu-system-x86_64', ['--version'], {
      status: 'warn',
      hint: 'apt install qemu-system-x86 (only needed on the host that runs the guests)',
    }),
    iso.status === 'ok'
      ? iso
      : await tool('ISO tool', 'xorriso', ['-version'], {
          status: 'fail',
          hint: 'apt install genisoimage (or xorriso): needed for the NoCloud CD',
        }),
    await tool('libvirt validator', 'virt-xml-validate', ['--help'], {
      status: 'warn',
      hint: 'apt install libvirt-clients, to check patched domain XML',
    }),
    await tool('socat', 'socat', ['-V'], {
      status: 'warn',
      hint: "apt install socat: QEMU's guestfwd connector relays each guest connection through it",
    }),
    await kvm(),
    await writable(o.root),
    safeRoot(o.root),
    sock <= UNIX_PATH_MAX
      ? {
          name: 'socket path',
          status: 'ok',
          detail: `longest sidecar socket path is ${sock} bytes (limit ${UNIX_PATH_MAX})`,
        }
      : {
          name: 'socket path',
          status: 'warn',
          detail: `a 63-character VM name gives a ${sock}-byte socket path (limit ${UNIX_PATH_MAX})`,
          hint: 'use a shorter state root or shorter VM names',
        },
    await bindLoopback(),
    // Tap mode: nft, the host's addresses and modules, each VM's rules (none of it on a connector-only host).
    ...(await (await import('./host-setup.js')).tapChecks(o.root)),
  ];
  return { root: o.root, checks };
}
