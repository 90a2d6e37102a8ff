// CirrOS's own datasource scripts (cirros-dev/cirros src/lib/cirros/ds/{ec2,configdrive,nocloud} and
// usr/bin/json2fstree, read for this test, not copied) against vmmeta's output. The shell steps that decide
// each outcome run in busybox sh, as on CirrOS; json2fstree's grammar and file layout are re-implemented below.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderEc2Http } from '../../src/render/ec2.js';
import { renderOpenStackDisk } from '../../src/render/openstack.js';
import { renderNoCloud } from '../../src/render/nocloud.js';
import { resolve, ED25519, RSA_KEY, FIXED_UUID } from '../helpers/vm-fixtures.js';
import { lookup, text } from '../helpers/render-lookup.js';
import type { FileTree } from '../../src/render/tree.js';

const BUSYBOX = '/bin/busybox';
const twoKeys = {
  name: 'cirros',
  sshKeys: [
    { name: 'ops', key: ED25519 },
    { name: 'backup', key: RSA_KEY },
  ],
};

function sh(script: string, args: string[] = [], cwd = '/'): { out: string; status: number | null; err: string } {
  const r = spawnSync(BUSYBOX, ['sh', '-c', script, 'sh', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { out: r.stdout, status: r.status, err: r.stderr };
}

// json2fstree's parse_json: every string, number, true/false/null is replaced by an index; what is left must be
// only brackets, braces, commas, colons and blanks, or it prints "failed to parse json". Strings are runs of
// anything but `"`, `\` and \001-\037, or the escapes \" \\ \/ \b \f \n \r \t \uXXXX.
const STRING = String.raw`"([^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"`;
const NUMBER = String.raw`-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]+)?`;
export function json2fstreeAccepts(doc: string): boolean {
  return /^[\][{}:,\s]*$/.test(doc.replace(new RegExp(`${STRING}|${NUMBER}|true|false|null`, 'g'), ''));
}

// Its END block: each leaf becomes a file (path parts joined by "/", a "/" inside a key becomes "_"), written
// with printf("%s"); an array also gets a "0" file holding its length, its items are 1..n.
function writeFsTree(dir: string, value: unknown, path: string[] = []): void {
  if (Array.isArray(value)) {
    writeLeaf(dir, [...path, '0'], String(value.length));
    value.forEach((v, i) => writeFsTree(dir, v, [...path, String(i + 1)]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) writeFsTree(dir, v, [...path, k.replaceAll('/', '_')]);
  } else {
    writeLeaf(dir, path, value === null ? '' : value === true ? '1' : value === false ? '0' : String(value));
  }
}
function writeLeaf(dir: string, path: string[], content: string): void {
  const file = join(dir, ...path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function serve(tree: FileTree): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const body = lookup(tree, (req.url ?? '/').split('?')[0]!);
    res.writeHead(body ? 200 : 404).end(body ? Buffer.from(body) : undefined);
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () =>
      ok({ server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` }),
    ),
  );
}

// ds/ec2 search_local: up to MAX_TRIES reads of instance-id (ec2metadata's caturl is curl --fail), breaking
// out only when it starts with "i-"; SLEEP_TIME is 2 s on CirrOS, 0 here. Prints the tries taken and the id.
const EC2_LOOP = [
  'MDURL=$1; i=0; max=20; iid=""',
  'while [ $i -lt $max ] && i=$(($i+1)); do',
  '  if iid=$(curl --fail --silent --max-time 5 "$MDURL/2009-04-04/meta-data/instance-id"); then',
  '    [ "${iid#i-}" != "${iid}" ] && break',
  '  fi',
  'done',
  'echo "$i $iid"',
].join('\n');

test('CirrOS ds/ec2: the default instance-id is accepted on the first try; the uuid form takes all 20', async () => {
  for (const [spec, tries] of [
    [{ name: 'c1' }, 1],
    [{ name: 'c2', instanceId: FIXED_UUID }, 20],
  ] as const) {
    const vm = resolve(spec);
    const { server, base } = await serve(renderEc2Http(vm));
    try {
      // Asynchronously: the server answering it runs on this process's event loop.
      const { stdout } = await promisify(execFile)(BUSYBOX, ['sh', '-c', EC2_LOOP, 'sh', base], { timeout: 60_000 });
      const [n, iid] = stdout.trim().split(' ');
      assert.equal(Number(n), tries, `tries for ${JSON.stringify(spec)}: ${stdout}`);
      assert.equal(iid, vm.ec2InstanceId);
    } finally {
      server.close();
    }
  }
  // The form: "i-" and 17 hex digits of the uuid, the same on every render (it is the VM's for life).
  const vm = resolve({ name: 'c3' });
  assert.match(vm.ec2InstanceId, /^i-[0-9a-f]{17}$/);
  assert.equal(vm.ec2InstanceId, `i-${FIXED_UUID.replaceAll('-', '').slice(0, 17)}`);
  assert.equal(text(lookup(renderEc2Http(vm), '/latest/meta-data/instance-id')), vm.ec2InstanceId);
});

function authorizedKeys(dir: string, script: string): string[] {
  const r = sh(script, [], dir);
  assert.equal(r.status, 0, r.err);
  return readFileSync(join(dir, 'public-keys'), 'utf8').split('\n').filter(Boolean);
}

test('CirrOS ds/configdrive: every public_keys value survives `cat public_keys/*`, one key per line', () => {
  const vm = resolve(twoKeys);
  const md = text(renderOpenStackDisk(vm).get('openstack/latest/meta_data.json'))!;
  assert.ok(json2fstreeAccepts(md), 'json2fstree would refuse meta_data.json');
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-cirros-cd-'));
  try {
    writeFsTree(join(dir, 'processed'), JSON.parse(md));
    mkdirSync(join(dir, 'data'));
    const lines = authorizedKeys(
      join(dir, 'data'),
      'set +f; cat ../processed/public_keys/* > public-keys || rm public-keys',
    );
    assert.deepEqual(lines.sort(), [ED25519, RSA_KEY].sort());
    // Without the trailing newline (vmmeta before #15) the two keys ran together on one line.
    writeFileSync(join(dir, 'processed/public_keys/backup'), RSA_KEY);
    writeFileSync(join(dir, 'processed/public_keys/ops'), ED25519);
    assert.equal(authorizedKeys(join(dir, 'data'), 'set +f; cat ../processed/public_keys/* > public-keys').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CirrOS ds/nocloud: meta-data is JSON json2fstree parses, with instance-id and every key on its own line', () => {
  const vm = resolve(twoKeys);
  const md = text(renderNoCloud(vm).get('meta-data'))!;
  assert.ok(json2fstreeAccepts(md), `json2fstree would refuse meta-data:\n${md}`);
  // The grammar check can fail: the YAML vmmeta wrote before is refused, as CirrOS refused it.
  assert.equal(json2fstreeAccepts(`instance-id: ${vm.instanceId}\nlocal-hostname: cirros\n`), false);
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-cirros-nc-'));
  try {
    writeFsTree(join(dir, 'data'), JSON.parse(md));
    assert.equal(readFileSync(join(dir, 'data/instance-id'), 'utf8'), vm.instanceId);
    assert.equal(readFileSync(join(dir, 'data/local-hostname'), 'utf8'), vm.hostname);
    // search_local: public-keys/ (0 = the count, skipped) becomes one file of concatenated keys.
    const lines = authorizedKeys(
      join(dir, 'data'),
      'out_d=..; mv public-keys "$out_d/public-keys-d"; set +f\nfor f in "$out_d/public-keys-d/"*; do [ -f "$f" -a "${f##*/}" != "0" ] && cat "$f"; done > public-keys',
    );
    assert.deepEqual(lines, [ED25519, RSA_KEY]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
