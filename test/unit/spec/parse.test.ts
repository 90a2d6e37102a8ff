import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatIssue } from '../../../src/spec/issues.js';
import { SPEC_MAX_BYTES } from '../../../src/spec/limits.js';
import { comparePaths, MAX_ISSUES, parseSpecText } from '../../../src/spec/parse.js';
import { formatPath } from '../../../src/spec/zod-issues.js';
import { fromRepo } from './repo.js';

const issues = (text: string): string[] => {
  const r = parseSpecText(text, 'test.yaml');
  return r.ok ? [] : r.issues.map(formatIssue);
};

test('a valid spec parses with defaults filled in', () => {
  const r = parseSpecText('name: web\n', 'web.yaml');
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.spec.name, 'web');
  assert.equal(r.spec.availabilityZone, 'nova');
  assert.deepEqual(r.spec.sshKeys, []);
  assert.equal(r.spec.datasource.nocloud, 'cd');
  assert.equal(r.spec.uuid, undefined);
});

test('YAML 1.2 core schema: "no", "on" and dates stay strings', () => {
  const r = parseSpecText('name: a\nmeta:\n  answer: no\n  switch: on\n  day: 2024-01-01\n', 't');
  assert.ok(r.ok);
  if (r.ok) assert.deepEqual(r.spec.meta, { answer: 'no', switch: 'on', day: '2024-01-01' });
});

test('YAML errors carry line and column', () => {
  assert.deepEqual(issues('name: a\nhostname: x\nhostname: y\n'), ['line 3, column 1: duplicate key "hostname"']);
  assert.deepEqual(issues('name: a\nsmbios:\n  "profile": plain\n  "profile": openstack\n'), [
    'line 4, column 3: duplicate key "profile"',
  ]);
  assert.deepEqual(issues('name: a\nmeta: {1: x, "1": y}\n'), ['line 2, column 14: duplicate key "1"']);
  assert.deepEqual(issues('name: a\n---\nname: b\n'), [
    'line 2, column 1: a second YAML document ("---"); a spec is one document',
  ]);
  assert.deepEqual(issues('name: a\nmeta:\n  ? [x]\n  : y\n'), [
    'line 3, column 5: a mapping key must be a plain value, not a collection',
  ]);
  assert.deepEqual(issues('name: !foo a\n'), ['line 1, column 7: unresolved tag: !foo']);
  assert.deepEqual(issues('name: *nope\n'), [
    'YAML aliases: Unresolved alias (the anchor must be set before the alias): nope',
  ]);
  assert.deepEqual(issues('name: "unterminated\n'), ['line 2, column 1: missing closing "quote']);
});

test('a file that is not YAML gets each distinct syntax error once, in file order, and nothing about the guessed tree', () => {
  // The yaml parser reports this file's errors 8 times, 3 of them identical and out of line order, plus checks on
  // the keys of the tree it guessed while recovering.
  const got = issues('name: [unclosed\n  - {{{\n');
  assert.deepEqual(got, [
    'line 1, column 8: implicit keys of flow sequence pairs need to be on a single line',
    'line 2, column 5: missing , or : between flow sequence items',
    'line 3, column 1: flow map in block collection must be sufficiently indented and end with a }',
    'line 3, column 1: flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
});

test('the top level must be a non-empty mapping', () => {
  assert.deepEqual(issues(''), ['the spec is empty: it needs at least a "name"']);
  assert.deepEqual(issues('~\n'), ['the spec is empty: it needs at least a "name"']);
  assert.deepEqual(issues('just a string\n'), ['the spec must be a mapping of keys to values, got a single value']);
  assert.deepEqual(issues('[1, 2]\n'), ['the spec must be a mapping of keys to values, got a list']);
});

test('zod issues become operator messages, sorted by path in natural order', () => {
  const text = [
    'name: a',
    'hostName: x',
    'launchIndex: 1.5',
    'sshKeys: {}',
    'network:',
    '  links:',
    ...Array.from(
      { length: 11 },
      (_, i) =>
        `    - {id: e${i}, type: physical, mac: "52:54:00:00:00:${String(i).padStart(2, '0')}"${i === 2 || i === 10 ? ', mtu: "big"' : ''}}`,
    ),
    'smbios: {profile: x}',
    'availabilityZone: ""',
    'sidecar: {listen: []}',
    'vendorData: [1]',
    'devices: [{type: nic}]',
  ].join('\n');
  assert.deepEqual(issues(text), [
    'unknown key "hostName" (did you mean "hostname"?)',
    'availabilityZone: must not be empty',
    'devices[0].bus: missing (expected one of "pci", "usb", "scsi", "ide", "xen", "none")',
    'launchIndex: expected a whole number, got a fraction',
    'network.links[2].mtu: expected a number, got string',
    'network.links[10].mtu: expected a number, got string',
    'sidecar.listen: needs at least 1 item',
    'smbios.profile: expected one of "openstack", "plain", got "x"',
    'sshKeys: expected a list, got a mapping',
    'vendorData: expected a mapping, got a list',
  ]);
});

test('unknown keys get a suggestion only from the keys allowed there', () => {
  assert.deepEqual(issues('name: a\nuser-data: x\n'), ['unknown key "user-data" (did you mean "userData"?)']);
  assert.deepEqual(
    issues(
      'name: a\nnetwork: {links: [{id: b, type: bond, mac: "52:54:00:00:00:01", mode: active-backup, members: [], memebrs: []}]}\n',
    ),
    ['network.links[0]: unknown key "memebrs"', 'network.links[0].members: a bond needs at least one member'],
  );
  assert.deepEqual(
    issues('name: a\nnetwork: {links: [{id: v, type: vlan, mac: "52:54:00:00:00:01", vlan_id: 3, parent: x}]}\n'),
    [
      'network.links[0]: unknown key "vlan_id" (did you mean "vlanId"?)',
      'network.links[0].vlanId: missing (expected a number)',
    ],
  );
  assert.deepEqual(issues('name: a\nzzzzzz: 1\n'), ['unknown key "zzzzzz"']);
  assert.deepEqual(issues('name: a\n__proto__: {x: 1}\n'), ['line 2, column 1: "__proto__" cannot be used as a key']);
  assert.deepEqual(issues('name: a\nvendorData:\n  x: {"__proto__": {polluted: true}}\n'), [
    'line 3, column 7: "__proto__" cannot be used as a key',
  ]);
});

test('rules run after the schema and are sorted with it', () => {
  assert.deepEqual(
    issues(
      'name: a\nnetwork:\n  dns: {servers: [x]}\n  links: [{id: e, type: physical, mac: "52:54:00:00:00:01"}, {id: e, type: physical, mac: "52:54:00:00:00:01"}]\n',
    ),
    [
      'network.dns.servers[0]: "x" is not an IP address',
      'network.links[1].id: duplicates network.links[0].id ("e")',
      'network.links[1].mac: duplicates network.links[0].mac (52:54:00:00:00:01)',
    ],
  );
});

test('big inputs are bounded: size limit, at most MAX_ISSUES lines, linear duplicate-key check', () => {
  assert.deepEqual(issues(`name: a\n#${'x'.repeat(SPEC_MAX_BYTES)}\n`), [
    `the file is ${SPEC_MAX_BYTES + 10} bytes; a spec is at most ${SPEC_MAX_BYTES}`,
  ]);
  const many = issues(`name: a\n${Array.from({ length: 70 }, (_, i) => `k${i}: 1`).join('\n')}\n`);
  assert.equal(many.length, MAX_ISSUES + 1);
  assert.equal(many[MAX_ISSUES], `… and ${70 - MAX_ISSUES} more problems`);
  const t0 = performance.now();
  const dup = issues(`name: a\nmeta:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i % 19_999}: v`).join('\n')}\n`);
  assert.deepEqual(dup, ['line 20002, column 3: duplicate key "k0"']);
  assert.ok(performance.now() - t0 < 5000, 'a 20 000-key mapping is checked in linear time');
});

test('paths and their order', () => {
  assert.equal(formatPath(['network', 'links', 2, 'mac']), 'network.links[2].mac');
  assert.equal(formatPath(['meta', 'a b']), 'meta["a b"]');
  assert.equal(formatPath([0]), '[0]');
  assert.deepEqual(
    ['b', 'a[10]', 'a[2]', '', 'a[2].x'].sort(comparePaths),
    ['', 'a[10]', 'a[2]', 'a[2].x', 'b'].sort(comparePaths),
  );
  assert.ok(comparePaths('a[2]', 'a[10]') < 0);
});

// A small deterministic PRNG so a failing input can be reproduced from the seed printed in the message.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('parseSpecText never throws: mutated examples and random text', () => {
  const seeds = ['minimal', 'three-nic', 'ec2-only'].map((n) =>
    readFileSync(fromRepo('templates', 'examples', `${n}.yaml`), 'utf8'),
  );
  const alphabet = [
    ':',
    ' ',
    '\n',
    '-',
    '[',
    ']',
    '{',
    '}',
    '"',
    "'",
    '&a',
    '*a',
    '!!binary',
    '? ',
    '#',
    '\t',
    '0',
    'x',
    '.inf',
    '~',
    '|',
    '>',
    '\u0000',
    '\uFFFD',
    '::',
    '/',
    '999999999999999999999',
  ];
  const rand = prng(20240601);
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const base = seeds[i % seeds.length]!;
    let text = base;
    const edits = 1 + Math.floor(rand() * 6);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * text.length);
      const op = rand();
      if (op < 0.4) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 8));
      else if (op < 0.8) text = text.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)]! + text.slice(at);
      else text = text.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x3000)) + text.slice(at);
    }
    if (i % 10 === 0)
      text = Array.from(
        { length: Math.floor(rand() * 200) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join('');
    try {
      const r = parseSpecText(text, 'fuzz.yaml');
      if (!r.ok)
        for (const issue of r.issues)
          assert.ok(!issue.message.includes('\n'), `one-line messages: ${JSON.stringify(issue)}`);
    } catch (err) {
      failures++;
      assert.fail(`iteration ${i} threw ${(err as Error).stack}\ninput: ${JSON.stringify(text)}`);
    }
  }
  assert.equal(failures, 0);
  assert.doesNotThrow(() => parseSpecText('['.repeat(50_000), 'deep.yaml'));
  assert.doesNotThrow(() => parseSpecText('a:\n' + '  '.repeat(1) + '- '.repeat(20_000) + 'x\n', 'deep.yaml'));
  const bomb =
    'a: &a [x,x,x,x,x,x,x,x,x]\n' +
    Array.from(
      { length: 9 },
      (_, k) =>
        `b${k}: &b${k} [${Array(9)
          .fill(k ? `*b${k - 1}` : '*a')
          .join(',')}]`,
    ).join('\n');
  assert.deepEqual(issues(bomb), ['YAML aliases: Excessive alias count indicates a resource exhaustion attack']);
});
