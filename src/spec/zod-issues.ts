// Turns zod issues into one-line `path: message` issues in the operator's terms: YAML words ("a list", "a
// mapping"), the value that was given, and a "did you mean" for misspelt keys.
import type { z } from 'zod';
import type { SpecIssue } from './issues.js';
import { closestKey } from './suggest.js';

type Issue = z.core.$ZodIssue;

export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number')
    return Number.isInteger(value) ? 'number' : Number.isFinite(value) ? 'a fraction' : String(value);
  return typeof value;
}

export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    return value.length > 40 ? `${text} (${value.length} characters)` : text;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describeType(value);
}

// zod's own English ("Too small: expected …") is replaced; messages written in schema.ts are kept.
const isDefault = (message: string): boolean => /^(Too small|Too big|Invalid|Unrecognized|Expected)/.test(message);

const oneOf = (values: readonly unknown[]): string =>
  values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;

function sizeMessage(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>, input: unknown): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
  const got =
    issue.origin === 'number'
      ? `, got ${showValue(input)}`
      : issue.origin === 'string' && !small && typeof input === 'string'
        ? `, got ${input.length} characters`
        : '';
  if (!isDefault(issue.message)) return issue.message + got;
  switch (issue.origin) {
    case 'string':
      if (small && bound === 1) return 'must not be empty';
      return small ? `shorter than ${bound} characters` : `longer than ${bound} characters${got}`;
    case 'array':
    case 'set':
      return small ? `needs at least ${bound} item${bound === 1 ? '' : 's'}` : `more than ${bound} items`;
    case 'number':
    case 'int':
      return `${small ? 'below' : 'above'} ${bound}${got}`;
    default:
      return small ? `too small (at least ${bound})` : `too big (at most ${bound})`;
  }
}

function messageFor(issue: Issue, root: unknown): string {
  const hasInput = 'input' in issue && issue.input !== undefined;
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      return hasInput ? `expected ${expected}, got ${describeType(input)}` : `missing (expected ${expected})`;
    }
    case 'invalid_value':
      return hasInput
        ? `expected ${oneOf(issue.values)}, got ${showValue(input)}`
        : `missing (expected ${oneOf(issue.values)})`;
    case 'invalid_union': {
      const u = issue as { discriminator?: string; options?: unknown[] };
      if (u.discriminator && u.options) {
        const value = valueAt(root, issue.path);
        return value === undefined
          ? `missing (expected ${oneOf(u.options)})`
          : `expected ${oneOf(u.options)}, got ${showValue(value)}`;
      }
      return 'does not match any allowed form';
    }
    case 'too_small':
    case 'too_big':
      return sizeMessage(issue, input);
    case 'invalid_format':
      return isDefault(issue.message)
        ? `not a valid ${issue.format}, got ${showValue(input)}`
        : `${issue.message}, got ${showValue(input)}`;
    case 'custom':
      return hasInput && typeof input !== 'object' ? `${issue.message}, got ${showValue(input)}` : issue.message;
    default:
      return issue.message;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = root;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

// One issue per unknown key, one per path otherwise: zod keeps running refinements on a value that already
// failed (a non-UUID is also checked for "ec2"), and the first reason is the useful one.
export function mapZodIssues(issues: readonly Issue[], root: unknown): SpecIssue[] {
  const out: SpecIssue[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ path, message });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const parent = valueAt(root, issue.path);
      for (const [k, key] of issue.keys.entries()) {
        // Suggestions for the first few only: a file of thousands of stray keys needs no spelling help.
        const hint = k < 20 ? closestKey(key, issue.path, parent) : undefined;
        out.push({
          path: formatPath(issue.path),
          message: `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        });
      }
    } else if (issue.code === 'invalid_key' || issue.code === 'invalid_element') {
      const inner = issue.issues[0];
      const base = issue.path;
      add(
        formatPath(base),
        inner ? messageFor({ ...inner, path: [...base, ...inner.path] } as Issue, root) : issue.message,
      );
    } else {
      add(formatPath(issue.path), messageFor(issue, root));
    }
  }
  return out;
}
