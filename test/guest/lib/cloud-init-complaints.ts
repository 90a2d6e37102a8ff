// What cloud-init complained about in a boot: every WARNING, DEPRECATED and ERROR line of its log (the report's
// "warnings" section) and every item `cloud-init status --long` lists under those headings. A vmmeta mode must
// cause none of them; the only ones allowed are the test image's own, named here with the reason.
import type { CloudInitReport } from './cloud-init-report.js';

// The images are debootstrap minbase without OpenSSH (nothing in the tests logs in): cloud-init's ssh module
// cannot run ssh-keygen for the host keys, and 22.4 notes that there is no ssh service to configure. A stock
// cloud image has OpenSSH and logs neither.
export const IMAGE_ARTEFACTS: RegExp[] = [
  /Failed generating key type \w+ to file \/etc\/ssh\/ssh_host_\w+_key$/,
  /Ignoring config 'ssh_pwauth: \w+'\. SSH service 'ssh' is not installed\.$/,
];

const LOG_LINE = /\[(WARNING|DEPRECATED|ERROR|CRITICAL)\]: ?(.*)$/;
const STATUS_HEADING = /^(WARNING|DEPRECATED|ERROR|CRITICAL):$/;

export function cloudInitComplaints(r: Pick<CloudInitReport, 'warnings' | 'status'>): string[] {
  const found: string[] = [];
  for (const line of r.warnings.split('\n')) {
    const m = LOG_LINE.exec(line);
    if (m) found.push(`${m[1]}: ${m[2]!.trim()}`);
    else if (/DEPRECAT/.test(line)) found.push(`DEPRECATED: ${line.trim()}`);
  }
  let heading: string | undefined;
  for (const line of r.status.split('\n')) {
    const h = STATUS_HEADING.exec(line.trim());
    if (h) heading = h[1];
    else if (heading && /^\s+- /.test(line)) found.push(`${heading}: ${line.replace(/^\s+- /, '').trim()}`);
    else if (!/^\s/.test(line)) heading = undefined;
  }
  // A warning logged without text (the first line of a multi-line message) says nothing by itself.
  return [...new Set(found)].filter((c) => !/^\w+: ?$/.test(c) && !IMAGE_ARTEFACTS.some((a) => a.test(c)));
}
