// Flag wiring only: each command is `commands/<verb>.ts` (an async function returning its result) and a
// formatter from format/<verb>.ts. Every command has --help with examples.
// A command's module is imported inside its action, so `--help` and each command load only what they use (zod
// and yaml only where a spec is parsed).
import { Command, Option } from 'commander';
import { action, type Io } from './context.js';
import { registerVmCommands } from './vm-commands.js';
import { examples, USER_DATA_OUTSIDE_HELP } from './help.js';
import { formatValidate } from './format/validate.js';
import { formatRender } from './format/render.js';
import { formatExplain } from './format/explain.js';
import { formatDoctor } from './format/doctor.js';
import { formatPatch } from './format/libvirt-patch.js';
import { EXIT } from '../errors.js';
import { registerNicCommands } from './nic-commands.js';
import { formatHostSetup } from './format/host-setup.js';
import {
  HOST_ABOUT,
  HOST_EXAMPLES,
  HOST_OPTIONS,
  SERVE_ABOUT,
  SERVE_EXAMPLES,
  SERVE_OPTIONS,
} from '../sidecar/usage.js';

export function registerCommands(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check a VM spec; print every problem as "field: reason" (exit 2 when invalid)')
    .argument('<spec>', 'the VM spec (YAML)')
    .option('--allow-user-data-outside', USER_DATA_OUTSIDE_HELP)
    .addHelpText(
      'after',
      examples(
        'vmmeta validate vm1.yaml',
        'vmmeta validate --json vm1.yaml | jq .name',
        'vmmeta validate --allow-user-data-outside vm1.yaml   # userDataFile: /srv/cloud-init/web.yaml',
      ),
    )
    .action(
      action(
        io,
        async (_ctx, [spec], o) =>
          (await import('./commands/validate.js')).validate({
            spec: spec!,
            userDataOutside: Boolean(o.allowUserDataOutside),
          }),
        formatValidate,
      ),
    );

  program
    .command('render')
    .description(
      'write the rendered documents to a folder (no state, no sidecar); the folder ends up holding exactly them',
    )
    .argument('<spec>', 'the VM spec (YAML)')
    .requiredOption('--out <dir>', "output folder: new, empty, or an earlier render's (whose stale files are removed)")
    .addOption(
      new Option('--format <format>', 'which documents')
        .choices(['openstack', 'ec2', 'nocloud', 'configdrive', 'all'])
        .default('all'),
    )
    .option('--allow-user-data-outside', USER_DATA_OUTSIDE_HELP)
    .addHelpText(
      'after',
      examples(
        'vmmeta render vm1.yaml --out /tmp/vm1',
        'vmmeta render vm1.yaml --out seed --format nocloud && genisoimage -o seed.iso -V cidata -J -r seed',
      ),
    )
    .action(
      action(
        io,
        async (ctx, [spec], o) =>
          (await import('./commands/render.js')).render({
            spec: spec!,
            out: o.out as string,
            format: o.format as 'all',
            root: ctx.root,
            userDataOutside: Boolean(o.allowUserDataOutside),
          }),
        formatRender,
      ),
    );

  program
    .command('explain')
    .description('predict which datasource cloud-init will pick, and why (ds-identify + cloud-init stages)')
    .argument('<spec-or-vm>', 'a spec file, or the name of a created VM')
    .addOption(
      new Option('--nocloud <mode>', 'as if created with --nocloud cd|none|net').choices(['cd', 'none', 'net']),
    )
    .option('--suppress-nocloud', 'as if created with --suppress-nocloud')
    .option('--config-drive', 'as if created with --config-drive')
    .option('--allow-user-data-outside', USER_DATA_OUTSIDE_HELP)
    .addHelpText(
      'after',
      examples('vmmeta explain vm1.yaml', 'vmmeta explain vm1.yaml --suppress-nocloud', 'vmmeta explain vm1'),
    )
    .action(
      action(
        io,
        async (ctx, [target], o) =>
          (await import('./commands/explain.js')).explain({
            root: ctx.root,
            target: target!,
            ...(o.nocloud ? { nocloud: o.nocloud as 'cd' } : {}),
            suppressNocloud: Boolean(o.suppressNocloud),
            ...(o.configDrive ? { configDrive: true } : {}),
            userDataOutside: Boolean(o.allowUserDataOutside),
          }),
        formatExplain,
      ),
    );

  registerVmCommands(program, io);
  registerNicCommands(program, io);

  program
    .command('doctor')
    .description('check this host: Node, QEMU, ISO tool, libvirt validator, socat, state root, loopback ports')
    .addHelpText(
      'after',
      examples('vmmeta doctor', 'vmmeta doctor --json | jq \'.checks[] | select(.status != "ok")\''),
    )
    .action(
      action(
        io,
        async (ctx) => (await import('./commands/doctor.js')).doctor({ root: ctx.root }),
        formatDoctor,
        (r) => (r.checks.some((c) => c.status === 'fail') ? EXIT.failure : EXIT.ok),
      ),
    );

  program
    .command('host-setup')
    .description(
      "tap mode's host part: 169.254.169.254 on lo, fe80::a9fe:a9fe on each bridge, IPv6 on, nf_tables modules (idempotent; --undo removes the addresses)",
    )
    .option(
      '--bridge <if>',
      'a bridge (or routed tap) the tap-mode VMs use (repeatable; default: those of the VMs in the state root)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--undo', 'remove the addresses again (modules and sysctls are left as they are)')
    .addHelpText(
      'after',
      examples(
        'vmmeta host-setup --bridge br0',
        'vmmeta host-setup                  # the bridges of every tap-mode VM',
        'vmmeta host-setup --bridge br0 --undo',
        'vmmeta doctor                      # checks each part and names this command',
      ),
    )
    .action(
      action(
        io,
        async (ctx, _args, o) =>
          (await import('./commands/host-setup.js')).hostSetupCommand({
            root: ctx.root,
            bridges: (o.bridge as string[] | undefined) ?? [],
            undo: Boolean(o.undo),
          }),
        formatHostSetup,
      ),
    );

  const libvirt = program.command('libvirt').description('libvirt integration');
  libvirt
    .command('patch')
    .description(
      'add the VM\'s <sysinfo>, <smbios mode="sysinfo"/> and CD-ROM to a domain XML; everything else stays byte for byte',
    )
    .argument('<domain.xml>', 'the domain XML (virsh dumpxml <domain> > domain.xml)')
    .argument('<vm>', 'the vmmeta VM whose SMBIOS and CD to apply')
    .option('--out <file>', 'write the result to a file (default: stdout)')
    .option('--in-place', 'rewrite <domain.xml> itself (atomically)')
    .option(
      '--allow-spawn',
      'connector path only: add the guestfwd NIC as <qemu:commandline> (needs seccomp_sandbox = 0 in qemu.conf)',
    )
    .addHelpText(
      'after',
      examples(
        'virsh dumpxml vm1 > vm1.xml && vmmeta libvirt patch vm1.xml vm1 --in-place && virsh define vm1.xml',
        'vmmeta libvirt patch vm1.xml vm1 --out vm1-patched.xml',
        'vmmeta libvirt patch vm1.xml vm1 --allow-spawn --in-place   # connector path, seccomp_sandbox = 0',
      ),
    )
    .action(
      action(
        io,
        async (ctx, [xml, vm], o) =>
          (await import('./commands/libvirt-patch.js')).libvirtPatch({
            root: ctx.root,
            xml: xml!,
            vm: vm!,
            out: o.out as string | undefined,
            inPlace: Boolean(o.inPlace),
            allowSpawn: Boolean(o.allowSpawn),
            stdout: !ctx.json && !o.out && !o.inPlace,
          }),
        formatPatch,
      ),
    );
  libvirt.exitOverride();

  const serve = program.command('serve').description(SERVE_ABOUT).argument('<vm>', 'the VM name');
  // The same rows `vmmeta serve --help` prints (sidecar/usage.ts); --state-dir is the global one here.
  for (const o of SERVE_OPTIONS) {
    if (o.flags.startsWith('--listen'))
      serve.option(o.flags, o.about, (v: string, prev: string[] = []) => [...prev, v]);
    else if (!/--state-dir|--help|--json|--no-color/.test(o.flags)) serve.option(o.flags, o.about); // global ones are the program's
  }
  serve
    .addHelpText('after', examples(...SERVE_EXAMPLES))
    .action(
      async (
        vm: string,
        o: { listen?: string[]; allowAllInterfaces?: boolean; awaitLaunch?: string },
        cmd: Command,
      ) => {
        // bin/vmmeta.js routes `serve` before commander loads; this is only reached when main() is called directly
        // or as `vmmeta --state-dir DIR serve vm1`.
        const { serveMain } = await import('../sidecar/main.js');
        const globals = cmd.optsWithGlobals() as { stateDir?: string; json?: boolean };
        const stateDir = globals.stateDir;
        await serveMain([
          vm,
          ...(stateDir ? ['--state-dir', stateDir] : []),
          ...(globals.json ? ['--json'] : []),
          ...(o.listen ?? []).flatMap((l) => ['--listen', l]),
          ...(o.allowAllInterfaces ? ['--allow-all-interfaces'] : []),
          ...(o.awaitLaunch ? ['--await-launch', o.awaitLaunch] : []),
        ]);
      },
    );

  const host = program.command('host').description(HOST_ABOUT);
  for (const o of HOST_OPTIONS)
    if (!/--state-dir|--help|--json|--no-color/.test(o.flags)) host.option(o.flags, o.about);
  host.addHelpText('after', examples(...HOST_EXAMPLES)).action(async (_o: unknown, cmd: Command) => {
    // As for serve: bin/vmmeta.js routes `host` before commander loads.
    const { hostMain } = await import('../sidecar/host-main.js');
    const globals = cmd.optsWithGlobals() as { stateDir?: string; json?: boolean };
    await hostMain([
      ...(globals.stateDir ? ['--state-dir', globals.stateDir] : []),
      ...(globals.json ? ['--json'] : []),
    ]);
  });
}
