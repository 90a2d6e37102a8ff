// The generated JSON Schema is pinned: a schema change shows up as a reviewed snapshot diff.
// UPDATE_GOLDEN=1 rewrites the snapshot.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { specJsonSchema } from '../../../src/spec/json-schema.js';
import { fromRepo } from './repo.js';

const SNAPSHOT = fromRepo('test', 'unit', 'spec', 'json-schema.snapshot.json');

test('the JSON Schema matches its snapshot', () => {
  const text = JSON.stringify(specJsonSchema(), null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(SNAPSHOT, text);
  assert.equal(
    text,
    readFileSync(SNAPSHOT, 'utf8'),
    'the spec schema changed: review, then rerun with UPDATE_GOLDEN=1',
  );
});

test('the schema describes the input form: only "name" is required, unknown keys are refused', () => {
  const schema = specJsonSchema() as {
    required: string[];
    additionalProperties: boolean;
    properties: Record<string, { default?: unknown }>;
  };
  assert.deepEqual(schema.required, ['name']);
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.availabilityZone?.default, 'nova');
  assert.ok(schema.properties.network);
});

test('callers get their own copy', () => {
  const a = specJsonSchema();
  a.title = 'changed';
  assert.notEqual(specJsonSchema().title, 'changed');
});
