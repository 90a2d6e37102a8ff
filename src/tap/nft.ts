// Running nft: every change to a VM's rules is one `nft -f -` transaction (the kernel applies all of it or
// none), and `check` runs the same text with `nft -c` first, so create/update can refuse before they write any
// state. A missing nft or a refused rule set is a UserError naming nft and the reason.
import { spawn } from 'node:child_process';
import { EXIT, UserError } from '../errors.js';
import { installText, removeText, tableName, vmTables, type TapRules } from './ruleset.js';

export interface NftResult {
  stdout: string;
}

export function runNft(args: string[], input?: string): Promise<NftResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new UserError("nft not found in PATH: tap mode installs each VM's nftables rules with it", {
              exitCode: EXIT.failure,
              hint: 'install it (apt-get install nftables), or put it on PATH; nothing was changed',
            })
          : err,
      );
    });
    child.on('close', (code) => {
      if (code === 0) return resolve({ stdout });
      const lines = stderr.trim().split('\n').filter(Boolean);
      reject(
        new NftError(`nft ${args.join(' ')} failed (exit ${code}): ${lines[0] ?? 'no message'}`, lines.slice(1, 6)),
      );
    });
    child.stdin.on('error', () => undefined); // nft gone before reading: its exit reports why
    child.stdin.end(input ?? '');
  });
}

export class NftError extends UserError {
  constructor(message: string, details: string[]) {
    super(message, {
      exitCode: EXIT.failure,
      details,
      hint: 'tap mode needs root (CAP_NET_ADMIN) and a kernel with nf_tables (bridge and inet families); see vmmeta doctor',
    });
  }
}

// Dry run: nft parses the text and the kernel checks it, nothing is committed.
export async function checkVmRules(r: TapRules): Promise<void> {
  await runNft(['-c', '-f', '-'], installText(r));
}

// Install or swap a VM's rules: one transaction drops its old tables and adds the new ones.
export async function installVmRules(r: TapRules): Promise<void> {
  await runNft(['-f', '-'], installText(r));
}

export async function removeVmRules(vm: string): Promise<void> {
  await runNft(['-f', '-'], removeText(vm));
}

// What the kernel holds for this VM (both families, `nft list table` text), or null per missing table.
export async function loadedVmRules(vm: string): Promise<{ bridge: string | null; inet: string | null }> {
  const get = (family: string) =>
    runNft(['list', 'table', family, tableName(vm)]).then(
      (r) => r.stdout,
      (err: unknown) => {
        if (err instanceof NftError) return null;
        throw err;
      },
    );
  const [bridge, inet] = await Promise.all([get('bridge'), get('inet')]);
  return { bridge, inet };
}

// Whether the loaded tables are the ones this VM needs: every rule vmmeta would write shows up, in nft's own
// listing form, and nothing is missing. Compared by the rule lines nft prints back (it normalises spacing and
// hex, so the expected lines go through the same normalisation: rule words, whitespace collapsed).
export function rulesMatch(r: TapRules, loaded: { bridge: string | null; inet: string | null }): boolean {
  const want = vmTables(r);
  const needBridge = r.bridge !== null;
  if (needBridge !== (loaded.bridge !== null) || loaded.inet === null) return false;
  const norm = (t: string) =>
    t
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' '))
      .filter((l) => /^(iifname|meta|tcp)\b/.test(l));
  const have = new Set(norm(`${loaded.bridge ?? ''}\n${loaded.inet}`));
  return norm(want).every((l) => have.has(l));
}
