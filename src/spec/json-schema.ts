// The spec's JSON Schema, generated from the zod schema so editors (yaml-language-server's
// "# yaml-language-server: $schema=...") can complete and check specs. Pinned by a snapshot test. It describes
// the input form (defaults optional); cross-field rules (rules.ts) and refinements are not expressible in it.
import { z } from 'zod';
import { SpecSchema } from './schema.js';

let cached: Record<string, unknown> | undefined;

// The one shared instance, for read-only use inside spec/ (suggest.ts walks it once per unknown key).
export function sharedSpecJsonSchema(): Readonly<Record<string, unknown>> {
  cached ??= {
    ...(z.toJSONSchema(SpecSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>),
    title: 'vmmeta VM spec',
  };
  return cached;
}

export function specJsonSchema(): Record<string, unknown> {
  return structuredClone(sharedSpecJsonSchema()) as Record<string, unknown>;
}
