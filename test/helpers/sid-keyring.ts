// How the tests trust Debian sid without turning verification off. sid's InRelease is signed by two signing
// subkeys (…6ED0E7B82643E131, …78DBA3BC47EF2265) that the host's bookworm debian-archive-keyring predates
// (NO_PUBKEY). They are subkeys of the 12/bookworm and 13/trixie archive keys the host already trusts. The chain:
//   host keyring → trixie's InRelease → its Packages → debian-archive-keyring_*.deb (apt checks its SHA256)
//   → that package's keyring, from which only the two pinned primary keys are exported (with their subkeys,
//     whose binding signatures gpg checks on import) into the keyring sid's sources line names in signed-by.
// The export fails if either pinned primary or either signing subkey is missing, so a different package cannot
// widen the trust, and apt still verifies every sid Release, Packages and .deb against it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';

export const SID_KEYRING_NAME = 'debian-sid-archive.gpg';

// Primary keys (already in the host's keyring) → the signing subkey of each that signs sid's Release.
export const SID_SIGNERS: Record<string, { subkey: string; uid: string }> = {
  B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8: {
    subkey: '4CB50190207B4758A3F73A796ED0E7B82643E131',
    uid: 'Debian Archive Automatic Signing Key (12/bookworm)',
  },
  '04B54C3CDCA79751B16BC6B5225629DF75B188BD': {
    subkey: 'B8E5F13176D2A7A75220028078DBA3BC47EF2265',
    uid: 'Debian Archive Automatic Signing Key (13/trixie)',
  },
};

const HOST_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

function gpg(home: string, args: string[]): string {
  return execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--quiet', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// Fingerprints with their record type ("pub"/"sub") from `--with-colons`, for keys gpg accepts as valid.
export function listKeys(home: string): Array<{ kind: 'pub' | 'sub'; fpr: string; validity: string }> {
  const out = gpg(home, ['--with-colons', '--with-subkey-fingerprint', '--list-keys']);
  const keys: Array<{ kind: 'pub' | 'sub'; fpr: string; validity: string }> = [];
  let last: { kind: 'pub' | 'sub'; validity: string } | null = null;
  for (const line of out.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub' || f[0] === 'sub') last = { kind: f[0], validity: f[1] ?? '' };
    else if (f[0] === 'fpr' && last) {
      keys.push({ ...last, fpr: f[9] ?? '' });
      last = null;
    }
  }
  return keys;
}

// Checks the pinned keys in an imported keyring; returns what is wrong (empty: all good).
export function checkSigners(home: string): string[] {
  const keys = listKeys(home);
  const problems: string[] = [];
  for (const [primary, { subkey, uid }] of Object.entries(SID_SIGNERS)) {
    if (!keys.some((k) => k.kind === 'pub' && k.fpr === primary)) problems.push(`primary ${primary} (${uid}) missing`);
    // gpg marks a subkey without a valid binding signature as invalid ('i') or drops it on import.
    const sub = keys.find((k) => k.kind === 'sub' && k.fpr === subkey);
    if (!sub) problems.push(`signing subkey ${subkey} of ${uid} missing`);
    else if (/[ider]/.test(sub.validity)) problems.push(`signing subkey ${subkey} is not valid (${sub.validity})`);
  }
  return problems;
}

// Downloads trixie's debian-archive-keyring through the private apt root and writes the pinned keyring to `out`.
export function fetchSidKeyring(aptOptions: string[], out: string, debs: string): void {
  mkdirSync(debs, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'vmmeta-sid-keyring-'));
  try {
    execFileSync('apt-get', [...aptOptions, 'download', 'debian-archive-keyring/trixie'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deb = readdirSync(work).find((f) => f.startsWith('debian-archive-keyring_') && f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download debian-archive-keyring/trixie produced no .deb');
    execFileSync('dpkg', ['-x', join(work, deb), join(work, 'pkg')]);
    const home = join(work, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    // The pinned primaries must be keys this machine already trusts, not merely keys the package brings.
    gpg(home, ['--import', HOST_KEYRING]);
    const hostKeys = listKeys(home);
    const untrusted = Object.keys(SID_SIGNERS).filter((p) => !hostKeys.some((k) => k.kind === 'pub' && k.fpr === p));
    if (untrusted.length) throw new Error(`sid keyring: ${untrusted.join(', ')} not in ${HOST_KEYRING}`);
    gpg(home, ['--import', join(work, 'pkg/usr/share/keyrings/debian-archive-keyring.gpg')]);
    const problems = checkSigners(home);
    if (problems.length) throw new Error(`sid keyring from ${deb}: ${problems.join('; ')}`);
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    execFileSync('gpg', [
      '--homedir',
      home,
      '--batch',
      '--quiet',
      '--yes',
      '--output',
      tmp,
      '--export',
      ...Object.keys(SID_SIGNERS),
    ]);
    renameSync(tmp, out);
    console.log(
      `# sid trusted through ${deb} (trixie, apt-verified): ${Object.values(SID_SIGNERS)
        .map((s) => s.subkey)
        .join(', ')}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
