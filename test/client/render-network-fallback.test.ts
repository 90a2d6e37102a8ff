// A spec with links but no networks (issue 20): docs/spec.md promises DHCP, and cloud-init 22.4 turned the old
// output (links, no networks) into `iface eth0 inet manual` — no address at all. vmmeta now writes DHCPv4 on the
// first physical link; every generation's real client must read that as DHCP, from network_data.json (through
// convert_net_json, as DataSourceOpenStack/ConfigDrive do) and from NoCloud's network-config, and must keep
// network.dns, which used to be dropped.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpecFile } from '../../src/spec/load.js';
import { openStackNetworkData } from '../../src/render/openstack-network.js';
import { renderNoCloud } from '../../src/render/nocloud.js';
import { stableJson } from '../../src/render/tree.js';
import { cloudInitClient, SUITES, type CloudInitClient, cloudInitEnv } from '../helpers/cloud-init.js';

const MAC = '52:54:00:12:34:01';
const SPEC = `name: fb\nnetwork:\n  links:\n    - {id: eth0, type: physical, mac: "${MAC}"}\n  dns: {servers: [192.0.2.53], search: [example.net]}\n`;

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => (statSync(join(dir, e)).isDirectory() ? files(join(dir, e)) : [join(dir, e)]));
}

function netConvert(
  client: CloudInitClient,
  input: string,
  kind: string,
  output: string,
  dir: string,
): { status: number | null; stderr: string; text: string } {
  const out = join(dir, `${kind}-${output}`);
  const res = spawnSync(
    '/usr/bin/python3',
    [
      '-m',
      'cloudinit.cmd.main',
      'devel',
      'net-convert',
      '-p',
      input,
      '-k',
      kind,
      '-d',
      out,
      '-D',
      'debian',
      '-O',
      output,
      '-m',
      `ens3,${MAC}`,
    ],
    {
      cwd: '/',
      encoding: 'utf8',
      timeout: 60_000,
      env: cloudInitEnv(client),
    },
  );
  let text = '';
  try {
    text = files(out)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
  } catch {
    // no output folder: the status says why
  }
  return { status: res.status, stderr: res.stderr, text };
}

// What each renderer writes for "DHCPv4 on this NIC".
const DHCP = { eni: /^iface \S+ inet dhcp$/m, netplan: /dhcp4: true/, networkd: /^DHCP=(ipv4|yes)$/m };

// Pinned, measured: how far network.dns on a DHCP interface gets. ENI (Debian's images use ifupdown) keeps it from
// network_data.json on every generation; from network-config 20.4's and 26.2's v2 -> ENI drop it. The netplan
// renderer puts network_data.json's resolvers only on statically addressed interfaces, and networkd takes the
// servers but not the search list from it. Elsewhere the DHCP server's DNS is what the guest gets.
function dnsKept(suite: string, kind: string, output: string): { server: boolean; search: boolean } {
  if (kind === 'network_data.json')
    return output === 'netplan'
      ? { server: false, search: false }
      : output === 'networkd'
        ? { server: true, search: false }
        : { server: true, search: true };
  // Pinned: 26.2's v2 -> ENI drops a DHCP interface's nameservers again, as 20.4 did (22.4 and 25.1 keep them).
  const kept = !((suite === 'bullseye' || suite === 'sid') && output === 'eni');
  return { server: kept, search: kept };
}

for (const suite of SUITES) {
  test(`${suite}: links without networks come out as DHCP on the NIC, with network.dns, from both documents`, async () => {
    const client = cloudInitClient(suite);
    const dir = mkdtempSync(join(tmpdir(), 'vmmeta-fallback-'));
    try {
      const specFile = join(dir, 'fb.yaml');
      writeFileSync(specFile, SPEC);
      const { vm } = await loadSpecFile(specFile);
      const inputs = {
        'network_data.json': stableJson(openStackNetworkData(vm)),
        yaml: renderNoCloud(vm).get('network-config')!,
      };
      for (const [kind, body] of Object.entries(inputs)) {
        const input = join(dir, kind === 'yaml' ? 'network-config' : 'network_data.json');
        writeFileSync(input, body);
        for (const output of ['eni', 'netplan', 'networkd'] as const) {
          const r = netConvert(client, input, kind, output, dir);
          if (suite === 'bullseye' && output === 'networkd') {
            assert.equal(r.status, 2, 'pinned: 20.4 has no networkd renderer');
            continue;
          }
          const label = `${suite} ${kind} -> ${output}`;
          assert.equal(r.status, 0, `${label}: ${r.stderr}`);
          assert.match(r.text, DHCP[output], `${label}:\n${r.text}`);
          assert.doesNotMatch(r.text, /inet manual/, `${label}: the old output, no address`);
          assert.deepEqual(
            { server: r.text.includes('192.0.2.53'), search: r.text.includes('example.net') },
            dnsKept(suite, kind, output),
            `${label}: DNS\n${r.text}`,
          );
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
