// Every malformed spec in test/fixtures/specs/bad/ must be refused with exactly the pinned `path: message`
// lines in cases.json (as Firecracker's test_error_display pins messages). The CLI tests reuse the same table.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, UserError } from '../../../src/errors.js';
import { loadSpecFile } from '../../../src/spec/load.js';
import { parseSpecText } from '../../../src/spec/parse.js';
import { fromRepo } from './repo.js';

interface Case {
  issues: string[];
  generate?: Record<string, number>;
}
const dir = fromRepo('test', 'fixtures', 'specs', 'bad');
const cases = (JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: Record<string, Case> }).cases;

test('the corpus and cases.json list the same files, at least 35 of them', () => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  assert.deepEqual(Object.keys(cases).sort(), files);
  assert.ok(files.length >= 35, `${files.length} cases`);
});

for (const [file, expected] of Object.entries(cases)) {
  test(`bad spec ${file}`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'vmmeta-bad-'));
    try {
      copyFileSync(join(dir, file), join(work, file));
      for (const [name, size] of Object.entries(expected.generate ?? {}))
        writeFileSync(join(work, name), new Uint8Array(size));
      let error: unknown;
      try {
        await loadSpecFile(join(work, file));
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
      assert.equal(error.exitCode, EXIT.invalid);
      assert.deepEqual(error.details, expected.issues);
      for (const line of error.details) assert.ok(!line.includes('\n'), 'one line per issue');
      // The pure parser agrees (the file-reading cases are valid to it: their problem is the file).
      const pure = parseSpecText(readFileSync(join(dir, file), 'utf8'), file);
      if (!expected.issues[0]!.startsWith('userDataFile:')) assert.equal(pure.ok, false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
