// vmmeta update <vm> <spec.yaml>: the existing VM <vm> from a changed spec; exit 3 when there is no such VM, and
// the spec must name that VM (the engine: vm/create.ts, vm/update.ts).
import { createOrUpdate } from '../../vm/create.js';
import type { CreateOptions, CreateResult } from '../../vm/create-result.js';

export function update(o: CreateOptions & { vm: string }): Promise<CreateResult> {
  return createOrUpdate(o);
}
