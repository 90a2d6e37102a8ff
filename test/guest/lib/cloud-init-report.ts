// The report scripts/report.sh prints in a Debian cloud-init guest, parsed into what the tests compare.
import { GuestReport } from './report.js';
import type { BootResult } from './qemu.js';

export interface NicState {
  name: string;
  mac: string;
  state: string;
  ipv4: string[]; // CIDRs
}

export interface CloudInitReport {
  report: GuestReport;
  datasourceLine: string; // "Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 53.32 seconds", or ''
  datasource: string | null; // "DataSourceNoCloud"
  datasourceDetail: string; // "[seed=/dev/sr0][dsmode=net]"
  cloudId: string;
  enabled: string; // enabled | disabled | unknown (ds-identify's verdict, from /run/cloud-init)
  dsIdentify: string;
  hostname: string;
  keys: string[]; // "file: key" lines
  nics: NicState[]; // without lo
  networkConfig: string;
  warnings: string;
  status: string; // cloud-init status --long
  uptime: number; // guest seconds when the report was printed
}

export function parseCloudInitReport(boot: BootResult): CloudInitReport {
  const report = new GuestReport(boot);
  const line = report.section('datasource').trim();
  const m = /Datasource (\S+)\s*((?:\[[^\]]*\])*)/.exec(line);
  const nics: NicState[] = report
    .section('links')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && f[0] !== 'lo')
    .map(([name, mac, state]) => ({ name: name!, mac: mac!, state: state!, ipv4: [] }));
  for (const l of report.section('addresses').split('\n')) {
    const a = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(l);
    if (a) nics.find((n) => n.name === a[1])?.ipv4.push(a[2]!);
  }
  return {
    report,
    datasourceLine: line,
    datasource: m ? m[1]! : null,
    datasourceDetail: m ? m[2]! : '',
    cloudId: report.section('cloud_id').trim(),
    enabled: report.section('enabled').trim(),
    dsIdentify: report.section('ds_identify'),
    hostname: report.section('hostname').trim(),
    keys: report.section('keys').split('\n').filter(Boolean),
    nics,
    networkConfig: report.section('network_config'),
    warnings: report.section('warnings'),
    status: report.section('status'),
    uptime: Number(report.section('uptime').trim()),
  };
}

export function nicByMac(r: CloudInitReport, mac: string): NicState | undefined {
  return r.nics.find((n) => n.mac.toLowerCase() === mac.toLowerCase());
}
