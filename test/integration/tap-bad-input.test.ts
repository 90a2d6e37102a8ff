// Tap mode's bad input, each refused with the field or the reason, its documented exit code, and nothing
// changed: `nft list ruleset` inside the test's namespace and every file under the state root (path, mode,
// bytes) are compared before and after.
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostSide, makeNetns, NETNS_TOOLS_OK, type Netns } from '../helpers/netns.js';
import { VMMETA_BIN } from '../helpers/sidecar.js';

const skip = NETNS_TOOLS_OK ? false : 'needs root with ip, nft and curl';

function snapshot(dir: string, out: string[] = [], rel = ''): string[] {
  for (const e of readdirSync(join(dir, rel)).sort()) {
    const path = join(rel, e);
    const st = statSync(join(dir, path));
    if (st.isDirectory()) {
      out.push(`${path}/ ${st.mode.toString(8)}`);
      snapshot(dir, out, path);
    } else if (st.isSocket()) out.push(`${path} socket`);
    else
      out.push(
        `${path} ${st.mode.toString(8)} ${createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex')
          .slice(0, 16)}`,
      );
  }
  return out;
}

const spec = (name: string, tap: Record<string, unknown>) =>
  `name: ${name}\nsidecar:\n  path: tap\n  tap: ${JSON.stringify(tap)}\n`;

describe('tap mode bad input: clear error, exit code, rules and state untouched', { skip }, () => {
  let ns: Netns;
  let root: string;
  let squatter: ChildProcess | undefined;

  before(() => {
    ns = makeNetns('tapbad');
    hostSide(ns);
    root = mkdtempSync(join(tmpdir(), 'vmm13-bad-'));
    writeFileSync(join(root, 'a.yaml'), spec('vm-a', { device: 'tap-a', bridge: 'br0' }));
    const r = ns.vmmeta(root, ['create', join(root, 'a.yaml')]);
    assert.equal(r.status, 0, r.stderr);
  });

  after(() => {
    squatter?.kill('SIGKILL');
    ns?.vmmeta(root, ['delete', 'vm-a']);
    ns?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  // Runs `argv` (a vmmeta command line, or one wrapped by `wrap`) and checks exit code, message and no change.
  const refused = (
    file: string,
    text: string,
    want: { code: number; message: RegExp },
    o: { args?: string[]; env?: NodeJS.ProcessEnv; wrap?: string[] } = {},
  ) => {
    writeFileSync(join(root, file), text);
    const before = { rules: ns.ruleset(), state: snapshot(root) };
    const args = o.args ?? ['create', join(root, file)];
    const r = o.wrap
      ? ns.exec([...o.wrap, process.execPath, VMMETA_BIN, ...args], {
          env: { ...process.env, VMMETA_STATE_DIR: root, NO_COLOR: '1', ...o.env },
        })
      : ns.vmmeta(root, args, o.env);
    assert.equal(r.status, want.code, `exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, want.message);
    assert.equal(ns.ruleset(), before.rules, 'nft ruleset changed');
    assert.deepEqual(snapshot(root), before.state, 'state folder changed');
  };

  it('a tap name that is not an interface name: exit 2, names sidecar.tap.device', () => {
    refused('bad-name.yaml', spec('vm-b', { device: 'tap/x;y', bridge: 'br0' }), {
      code: 2,
      message: /sidecar\.tap\.device: "tap\/x;y" is not a Linux interface name/,
    });
    refused('long-name.yaml', spec('vm-b', { device: 'tap-much-too-long-name' }), {
      code: 2,
      message: /sidecar\.tap\.device: .* is not a Linux interface name/,
    });
  });

  it('no nft on PATH: exit 1, says nft is missing (create and delete)', () => {
    const env = { PATH: '/usr/bin:/bin' };
    refused(
      'b.yaml',
      spec('vm-b', { device: 'tap-b', bridge: 'br0' }),
      { code: 1, message: /nft not found in PATH/ },
      { env },
    );
    refused(
      'b.yaml',
      spec('vm-b', { device: 'tap-b', bridge: 'br0' }),
      { code: 1, message: /nft not found in PATH/ },
      { env, args: ['delete', 'vm-a'] },
    );
  });

  it('the sidecar port in use on the metadata address: exit 1, names the address', async () => {
    squatter = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        'python3',
        '-c',
        'import socket,time\ns=socket.socket()\ns.bind(("169.254.169.254",8850))\ns.listen()\nprint("up",flush=True)\ntime.sleep(600)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => squatter!.stdout!.once('data', resolve));
    refused('c.yaml', spec('vm-c', { device: 'tap-c', bridge: 'br0', port: 8850 }), {
      code: 1,
      message: /cannot listen on 169\.254\.169\.254:8850: address already in use/,
    });
  });

  it("a rule set the kernel refuses (no CAP_NET_ADMIN over this namespace): exit 1, nft's reason", () => {
    const wrap = ['unshare', '--user', '--map-root-user'];
    refused(
      'd.yaml',
      spec('vm-d', { device: 'tap-d', bridge: 'br0' }),
      { code: 1, message: /nft -c -f - failed \(exit 1\).*Operation not permitted|Operation not permitted/s },
      { wrap },
    );
    // An update whose new rules cannot load keeps the old files and the old rules.
    refused(
      'a2.yaml',
      spec('vm-a', { device: 'tap-a2', bridge: 'br0' }),
      { code: 1, message: /Operation not permitted/ },
      { wrap, args: ['update', 'vm-a', join(root, 'a2.yaml')] },
    );
  });

  it('two VMs on one tap, or on one pinned port: exit 4, names the VM holding it', () => {
    refused('e.yaml', spec('vm-e', { device: 'tap-a', bridge: 'br0' }), {
      code: 4,
      message: /sidecar\.tap\.device: tap tap-a already belongs to VM vm-a/,
    });
    refused('f.yaml', spec('vm-f', { device: 'tap-f', bridge: 'br0', port: 8801 }), {
      code: 4,
      message: /sidecar\.tap\.port: port 8801 already belongs to VM vm-a/,
    });
  });
});
