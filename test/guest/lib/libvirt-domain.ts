// What a test changes in the domain.xml vmmeta wrote before `virsh define`, and nothing else (the issue's
// reporter made the same changes): TCG instead of KVM, a direct kernel boot instead of the qcow2 disk (or the
// test's own disk), less memory, the machine type under test, and the serial console logged to a file.
export interface TestBoot {
  kernel: string;
  initrd: string;
  append: string;
  machine: 'pc' | 'q35';
  serialLog: string;
  disk?: string; // a qcow2 overlay to boot instead of vmmeta's placeholder disk
  memoryMiB?: number;
}

export function forTest(xml: string, o: TestBoot): string {
  const must = (from: RegExp, to: string, s: string) => {
    if (!from.test(s)) throw new Error(`domain.xml has no ${from}`);
    return s.replace(from, to);
  };
  let out = must(/<domain type='kvm'/, "<domain type='qemu'", xml);
  out = must(/<memory unit='MiB'>\d+<\/memory>/, `<memory unit='MiB'>${o.memoryMiB ?? 256}</memory>`, out);
  out = must(/machine='q35'/, `machine='${o.machine}'`, out);
  // q35's PCIe controllers (the spare root ports) do not exist on pc.
  if (o.machine === 'pc') out = out.replace(/\n\s*<controller type='pci' [^>]*model='pcie-root(?:-port)?'\/>/g, '');
  out = must(
    /<boot dev='hd'\/>/,
    `<kernel>${o.kernel}</kernel>\n    <initrd>${o.initrd}</initrd>\n    <cmdline>${o.append}</cmdline>`,
    out,
  );
  const disk = /\n\s*<disk type='file' device='disk'>[\s\S]*?<\/disk>/;
  out = o.disk ? must(/<source file='[^']*\.qcow2'\/>/, `<source file='${o.disk}'/>`, out) : must(disk, '', out);
  out = must(
    /<serial type='pty'\/>/,
    `<serial type='pty'>\n      <log file='${o.serialLog}' append='off'/>\n    </serial>`,
    out,
  );
  return out;
}
