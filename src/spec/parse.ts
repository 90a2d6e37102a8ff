// Text in, a checked Spec or every problem out: YAML (1.2 core schema, duplicate keys refused) -> zod -> rules.
// Never throws, whatever the text: every failure becomes an issue, sorted by path so output is stable.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { SpecIssue } from './issues.js';
import { SPEC_MAX_BYTES } from './limits.js';
import { checkRules } from './rules.js';
import { SpecSchema, type Spec } from './schema.js';
import { mapZodIssues } from './zod-issues.js';

// raw: the YAML as written, before defaults (to tell a setting the spec states from a default).
export type ParseResult = { ok: true; spec: Spec; raw: unknown } | { ok: false; issues: SpecIssue[] };

const MAX_YAML_ISSUES = 10;

// The yaml package's wording for the common mistakes, rephrased; other messages keep theirs minus the location.
function yamlMessage(code: string, message: string): string {
  switch (code) {
    case 'MULTIPLE_DOCS':
      return 'a second YAML document ("---"); a spec is one document';
    case 'TAB_AS_INDENT':
      return 'tab used for indentation; YAML indents with spaces';
    default: {
      const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return first.charAt(0).toLowerCase() + first.slice(1);
    }
  }
}

const at = (lines: LineCounter, offset: number): string => {
  const { line, col } = lines.linePos(offset);
  return `line ${line}, column ${col}`;
};

// Natural order: "links[2]" before "links[10]"; the empty path (whole-file problems) first.
export function comparePaths(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' });
}

export function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((x, y) => comparePaths(x.issue.path, y.issue.path) || x.i - y.i)
    .map((x) => x.issue);
}

function readYaml(text: string): { value?: unknown; issues: SpecIssue[] } {
  const lines = new LineCounter();
  // Duplicate keys are found below with a Set: the yaml package's own uniqueKeys check is quadratic (27 s for a
  // 40 000-key mapping).
  const doc = parseDocument(text, {
    uniqueKeys: false,
    prettyErrors: false,
    lineCounter: lines,
    version: '1.2',
    schema: 'core',
    logLevel: 'error',
  });
  // The parser keeps going after a syntax error and reports each way it recovered, often the same error at the
  // same place several times, in the order it unwound. A person needs each distinct mistake once, in file order:
  // the first one is usually the real one.
  const syntax = [...doc.errors, ...doc.warnings].map((e) => ({
    offset: e.pos[0],
    message: `${at(lines, e.pos[0])}: ${yamlMessage(e.code, e.message)}`,
  }));
  const problems = [
    ...new Map(
      syntax.sort((a, b) => a.offset - b.offset).map((e) => [e.message, { path: '', message: e.message }]),
    ).values(),
  ];
  // After a syntax error the tree is the parser's guess; checks on its keys would only describe that guess.
  if (doc.errors.length === 0)
    visit(doc, {
      Map(_, map) {
        // toJS turns every key into a string, so 1 and "1" are the same key.
        const seen = new Set<string>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (seen.has(key))
            problems.push({
              path: '',
              message: `${pair.key.range ? `${at(lines, pair.key.range[0])}: ` : ''}duplicate key ${JSON.stringify(key)}`,
            });
          seen.add(key);
        }
      },
      // A collection used as a key would be stringified ("[ a, b ]") by toJS: refuse it instead.
      Pair(_, pair) {
        const range = (pair.key as { range?: [number, number, number] } | null)?.range;
        const where = range ? `${at(lines, range[0])}: ` : '';
        if (pair.key !== null && !isScalar(pair.key))
          problems.push({ path: '', message: `${where}a mapping key must be a plain value, not a collection` });
        // JavaScript objects cannot hold this key as data: zod would drop it silently (it sets the prototype).
        else if (isScalar(pair.key) && pair.key.value === '__proto__')
          problems.push({ path: '', message: `${where}"__proto__" cannot be used as a key` });
      },
    });
  if (problems.length) {
    const shown = problems.slice(0, MAX_YAML_ISSUES);
    if (problems.length > shown.length)
      shown.push({ path: '', message: `… and ${problems.length - shown.length} more YAML errors` });
    return { issues: shown };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { issues: [{ path: '', message: 'the spec is empty: it needs at least a "name"' }] };
  }
  if (!isMap(doc.contents)) {
    const got = isSeq(doc.contents) ? 'a list' : 'a single value';
    return { issues: [{ path: '', message: `the spec must be a mapping of keys to values, got ${got}` }] };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), issues: [] };
  } catch (err) {
    // toJS throws only for aliases: an undefined anchor or an alias bomb (ReferenceError).
    return { issues: [{ path: '', message: `YAML aliases: ${(err as Error).message}` }] };
  }
}

// Past this many, more lines help nobody; the count of the rest is still given.
export const MAX_ISSUES = 50;

function capped(issues: SpecIssue[]): SpecIssue[] {
  const sorted = sortIssues(issues);
  if (sorted.length <= MAX_ISSUES) return sorted;
  return [...sorted.slice(0, MAX_ISSUES), { path: '', message: `… and ${sorted.length - MAX_ISSUES} more problems` }];
}

export function parseSpecText(text: string, source: string): ParseResult {
  void source; // kept in the signature so callers can label issues later without an API change
  // load.ts refuses big files before reading them; this guards direct callers with the same bound.
  const size = new TextEncoder().encode(text).length;
  if (size > SPEC_MAX_BYTES)
    return {
      ok: false,
      issues: [{ path: '', message: `the file is ${size} bytes; a spec is at most ${SPEC_MAX_BYTES}` }],
    };
  const yaml = readYaml(text);
  if (yaml.issues.length) return { ok: false, issues: yaml.issues };
  const parsed = SpecSchema.safeParse(yaml.value, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: capped(mapZodIssues(parsed.error.issues, yaml.value)) };
  const issues = checkRules(parsed.data);
  return issues.length ? { ok: false, issues: capped(issues) } : { ok: true, spec: parsed.data, raw: yaml.value };
}
