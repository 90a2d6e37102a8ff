// `vmmeta create` wall time, end to end as an operator sees it: validate, render every format, build the ISO,
// launch the sidecar (host mode: ask the running `vmmeta host` to serve the VM) and wait until it answers. Each
// run starts from an empty state root (the VM is deleted between runs, outside the timed part) so it measures a
// first create, not the no-op re-create.
import type { BenchContext } from './lib/context.js';
import { row, type Row } from './lib/report.js';
import { median } from './lib/stats.js';
import { httpGet } from './lib/http.js';
import {
  examplePath,
  readSidecar,
  runCli,
  runCliOk,
  startHost,
  tempStateRoot,
  writeVariant,
  type SidecarMode,
} from './lib/vmmeta.js';
import type { SeedPeer } from './seed.js';

export async function benchCreate(
  ctx: BenchContext,
  example: string,
  peer: SeedPeer | undefined,
  mode: SidecarMode = 'process',
): Promise<Row[]> {
  const root = tempStateRoot(`create-${example}-${mode}`);
  const vm = `bench-${example}`;
  const uuid = '5f0c2b8e-3d7a-4e1b-9c6d-0a1b2c3d4e5f';
  const spec = writeVariant(examplePath(example), ctx.scratch, { name: `${vm}`, uuid, mode });
  if (mode === 'host') await startHost(root); // running already, as under its systemd unit
  const runs = ctx.quick ? 3 : 11;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runCliOk(['create', spec, '--json'], { stateDir: root });
    times.push(r.ms);
    const side = readSidecar(root, vm);
    if (!side?.port) throw new Error(`create ${example}: no tcp listener recorded in sidecar.json`);
    const md = await httpGet(side.port, '/openstack/latest/meta_data.json');
    if (md.status !== 200 || !md.body.includes(uuid))
      throw new Error(`create ${example}: sidecar answered ${md.status} without the VM's uuid`);
    const del = await runCli(['delete', vm], { stateDir: root });
    if (del.code !== 0) throw new Error(`delete ${vm} exited ${del.code}: ${del.stderr.trim()}`);
  }
  ctx.log(`create ${example} (${mode} mode): ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
  return [
    row({
      group: 'create',
      name: `vmmeta create (${example}, ${mode === 'host' ? 'host mode' : 'per-VM sidecar'}, render+ISO+answering)`,
      value: median(times),
      unit: 'ms',
      runs,
      ...(peer ? { peer: { name: 'cloud-localds', value: peer.cloudLocaldsMs } } : {}),
      ...(mode === 'process' ? { target: { op: '<' as const, value: 400, text: '< 400 ms median' } } : {}),
    }),
  ];
}
