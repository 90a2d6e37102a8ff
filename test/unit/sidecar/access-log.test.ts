import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLog, accessLine, type AccessEntry } from '../../../src/sidecar/access-log.js';

const entry = (path: string, extra: Partial<AccessEntry> = {}): AccessEntry => ({
  time: '2026-12-07T23:00:00.123Z',
  method: 'GET',
  path,
  status: 200,
  bytes: 1234,
  ms: 0.05,
  listener: 'unix:/var/lib/vmmeta/vm1/sidecar.sock',
  peer: 'unix',
  token: false,
  ...extra,
});

const viaLine = (e: AccessEntry) =>
  accessLine(
    e.time,
    e.method,
    e.path,
    e.status,
    e.bytes,
    e.ms,
    JSON.stringify(e.listener),
    JSON.stringify(e.peer),
    e.token,
  );

test('the hand-built line is byte for byte what JSON.stringify gives, for any path a client can send', () => {
  const paths = ['/', '/openstack/latest/meta_data.json', '/a"b\\c', '/\u0000\u001f\u007f', '/ä€😀', '/%2e%2e', ''];
  for (const path of paths) {
    const e = entry(path, { token: path.length % 2 === 0, ms: 12.34, status: 404 });
    assert.equal(viaLine(e), JSON.stringify(e) + '\n', JSON.stringify(path));
  }
  const odd = entry('/x', { method: 'G"T', listener: '[fe80::1%eth0]:80', peer: '[::1]:5000', bytes: 0, ms: 0 });
  assert.equal(viaLine(odd), JSON.stringify(odd) + '\n');
});

test('lines reach the file in order; past maxBytes the file rotates to .1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-log-'));
  try {
    const file = join(dir, 'access.ndjson');
    const log = new AccessLog(file, { maxBytes: 1000 });
    const lines = Array.from({ length: 12 }, (_, i) => viaLine(entry(`/n${i}`)));
    for (const l of lines) log.writeLine(l);
    await log.close();
    const kept = readFileSync(`${file}.1`, 'utf8') + readFileSync(file, 'utf8');
    const all = lines.join('');
    assert.ok(all.endsWith(kept), 'the newest lines, in order');
    assert.ok(readFileSync(file, 'utf8').length <= 1000);
    assert.equal(log.dropped, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full queue drops lines, counts them, and says so once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmeta-log-'));
  try {
    const said: string[] = [];
    const log = new AccessLog(join(dir, 'access.ndjson'), { maxQueue: 5, onError: (m) => said.push(m) });
    for (let i = 0; i < 20; i++) log.writeLine(viaLine(entry(`/q${i}`)));
    await log.close();
    assert.equal(log.dropped, 15);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /more than 5 lines waiting for the disk; dropping/);
    assert.equal(readFileSync(join(dir, 'access.ndjson'), 'utf8').split('\n').filter(Boolean).length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
