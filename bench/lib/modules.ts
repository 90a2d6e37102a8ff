// The modules under measurement, loaded from dist/src at run time. Other parts of vmmeta may not be built yet
// when a benchmark runs; a missing module skips that figure with a note instead of failing the whole run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './vmmeta.js';

type Tree = Map<string, Uint8Array>;
export interface SpecModules {
  loadSpecFile(file: string, opts?: unknown): Promise<{ text: string; vm: unknown }>;
  parseSpecText(text: string, source: string): { ok: boolean };
  renderHttpTree(vm: unknown): Tree;
  renderNoCloud(vm: unknown): Tree;
  buildIso?: (tree: Tree, opts: { volumeId: 'cidata' | 'config-2'; out: string }) => Promise<void>;
}

async function load(rel: string): Promise<Record<string, unknown> | undefined> {
  const file = join(REPO, 'dist', 'src', rel);
  if (!existsSync(file)) return undefined;
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

export async function specModules(): Promise<SpecModules | string> {
  const [loadMod, parseMod, httpMod, nocloudMod, isoMod] = await Promise.all([
    load('spec/load.js'),
    load('spec/parse.js'),
    load('render/http.js'),
    load('render/nocloud.js'),
    load('hypervisor/iso.js'),
  ]);
  const missing = [
    ['spec/load.js', loadMod?.loadSpecFile],
    ['spec/parse.js', parseMod?.parseSpecText],
    ['render/http.js', httpMod?.renderHttpTree],
    ['render/nocloud.js', nocloudMod?.renderNoCloud],
  ].filter(([, fn]) => typeof fn !== 'function');
  if (missing.length) return `not built yet: ${missing.map(([f]) => f).join(', ')}`;
  return {
    loadSpecFile: loadMod!.loadSpecFile as SpecModules['loadSpecFile'],
    parseSpecText: parseMod!.parseSpecText as SpecModules['parseSpecText'],
    renderHttpTree: httpMod!.renderHttpTree as SpecModules['renderHttpTree'],
    renderNoCloud: nocloudMod!.renderNoCloud as SpecModules['renderNoCloud'],
    buildIso: typeof isoMod?.buildIso === 'function' ? (isoMod.buildIso as SpecModules['buildIso']) : undefined,
  };
}
