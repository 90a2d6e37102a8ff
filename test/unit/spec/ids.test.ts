import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateIds, looksLikeEc2, uuidV4 } from '../../../src/spec/ids.js';
import { SpecSchema } from '../../../src/spec/schema.js';

// Hands out the queued byte arrays in order and records each request's size.
function queued(...chunks: Uint8Array[]): { source: (n: number) => Uint8Array; asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    source: (n) => {
      asked.push(n);
      const next = chunks.shift();
      if (!next) throw new Error('no more queued bytes');
      assert.equal(next.length, n);
      return next;
    },
  };
}
const hex16 = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

test('uuidV4 sets the version and variant bits', () => {
  assert.equal(uuidV4(new Uint8Array(16)), '00000000-0000-4000-8000-000000000000');
  assert.equal(uuidV4(new Uint8Array(16).fill(255)), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
  for (let i = 0; i < 200; i++)
    assert.match(uuidV4(randomBytes(16)), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('a UUID starting ec2, or byte-swapped to ec2, is drawn again', () => {
  const seed = Uint8Array.from({ length: 512 }, (_, i) => i & 255);
  const { source, asked } = queued(
    hex16('ec2b0000000000000000000000000001'), // "ec2b0000-…": ds-identify's AWS test
    hex16('45e12aec000000000000000000000002'), // "45e12aec-…": upstream's byte-swapped test
    hex16('0123456789abcdef0123456789abcdef'),
    seed,
  );
  const ids = generateIds(source);
  assert.equal(ids.uuid, '01234567-89ab-4def-8123-456789abcdef');
  assert.deepEqual(asked, [16, 16, 16, 512]);
  assert.equal(ids.randomSeed, Buffer.from(seed).toString('base64'));
  assert.equal(Buffer.from(ids.randomSeed, 'base64').length, 512);
});

test('looksLikeEc2 matches both AWS tests, case-insensitively', () => {
  assert.equal(looksLikeEc2('EC2abcde-0000-4000-8000-000000000000'), true);
  assert.equal(looksLikeEc2('abcd2fec-0000-4000-8000-000000000000'), true);
  assert.equal(looksLikeEc2('abcd2FEC-0000-4000-8000-000000000000'), true);
  assert.equal(looksLikeEc2('abcd3fec-0000-4000-8000-000000000000'), false);
  assert.equal(looksLikeEc2('0ec20000-0000-4000-8000-000000000000'), false);
});

test('a byte source that only yields ec2 UUIDs is reported, not looped on forever', () => {
  assert.throws(() => generateIds(() => hex16('ec200000000000000000000000000000')), /random source is broken/);
});

test('generated ids are accepted by the spec schema and differ per call', () => {
  const source = (n: number) => new Uint8Array(randomBytes(n));
  const a = generateIds(source);
  const b = generateIds(source);
  assert.notEqual(a.uuid, b.uuid);
  assert.equal(SpecSchema.safeParse({ name: 'x', uuid: a.uuid, randomSeed: a.randomSeed }).success, true);
});
