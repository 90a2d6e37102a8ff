// vmmeta create <spec.yaml>: a new VM, or the VM the spec names brought up to date (the engine: vm/create.ts).
import { createOrUpdate } from '../../vm/create.js';
import type { CreateOptions, CreateResult } from '../../vm/create-result.js';

export function create(o: Omit<CreateOptions, 'vm'>): Promise<CreateResult> {
  return createOrUpdate(o);
}
