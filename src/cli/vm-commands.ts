// Flag wiring for the commands that act on VMs in the state root; command modules load inside their actions.
import { Option, type Command } from 'commander';
import { action, makeCtx, type Io } from './context.js';
import { examples, USER_DATA_OUTSIDE_HELP } from './help.js';
import { formatCreate } from './format/create.js';
import { formatInspect } from './format/inspect.js';
import { formatList } from './format/list.js';
import { formatLogLine } from './format/logs.js';
import { formatStartStop } from './format/start-stop.js';
import { formatDelete } from './format/delete.js';
import { UserError, EXIT } from '../errors.js';
import { SETTING_NAMES } from '../vm/overrides.js';
import { resolveStateRoot } from '../state/paths.js';

// The settings flags are recorded with the VM: a later update or create keeps them until told otherwise.
function createFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--nocloud <mode>',
        'NoCloud: cd (attach the cidata CD), none (OpenStack wins), net (seed URL in SMBIOS); replaces datasource.nocloud',
      ).choices(['cd', 'none', 'net']),
    )
    .option(
      '--suppress-nocloud',
      'leave the NoCloud cidata CD out, so the OpenStack metadata service wins (--nocloud none where the CD would be attached)',
    )
    .option('--config-drive', 'also build a config-2 ISO (for guests with no network path to the sidecar)')
    .option('--no-config-drive', 'no config-2 ISO, whatever the spec says')
    .option(
      '--listen <addr>',
      "sidecar address: unix (the default, a 0600 socket), 127.0.0.1:0 (loopback: EVERY local user can read this VM's metadata), ADDR:PORT (repeatable; replaces the spec's sidecar.listen)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--from-spec <setting>',
      `forget a recorded flag, so the spec (or its default) decides again: ${[...SETTING_NAMES, 'all'].join(', ')} (repeatable)`,
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--allow-user-data-outside', USER_DATA_OUTSIDE_HELP)
    .option(
      '--force',
      'allow changes that lose something (a new uuid makes the guest a new instance; another spec file for an existing VM; rebuild a VM whose state.json is damaged)',
    )
    .option('--no-start', 'write everything but do not start the sidecar');
}

function createOpts(o: Record<string, unknown>) {
  return {
    ...(o.nocloud ? { nocloud: o.nocloud as 'cd' | 'none' | 'net' } : {}),
    suppressNocloud: Boolean(o.suppressNocloud),
    ...(typeof o.configDrive === 'boolean' ? { configDrive: o.configDrive } : {}),
    ...(o.listen ? { listen: o.listen as string[] } : {}),
    ...(o.fromSpec ? { fromSpec: o.fromSpec as string[] } : {}),
    force: Boolean(o.force),
    userDataOutside: Boolean(o.allowUserDataOutside),
    start: o.start !== false,
  };
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UserError(`-n expects a whole number, got ${JSON.stringify(v)}`, { exitCode: EXIT.invalid });
  return n;
}

export function registerVmCommands(program: Command, io: Io): void {
  // The example names the folder this user's VMs really go to (/var/lib/vmmeta as root), not a fixed path.
  const defaultRoot = resolveStateRoot({ env: io.env, uid: process.getuid?.() ?? 1000 });
  createFlags(program.command('create'))
    .description(
      'create (or update) a VM from a spec: documents, SMBIOS, QEMU args, libvirt XML, NoCloud CD, running sidecar',
    )
    .argument('<spec>', 'the VM spec (YAML)')
    .addHelpText(
      'after',
      examples(
        'vmmeta create vm1.yaml',
        'vmmeta create vm1.yaml --suppress-nocloud        # OpenStack datasource wins; kept by later updates',
        'vmmeta create vm1.yaml --nocloud cd              # attach the CD again',
        'vmmeta create vm1.yaml --from-spec all           # forget recorded flags: the spec decides',
        "vmmeta create --json vm1.yaml | jq -r '.qemu.argv[]'",
        'vmmeta create web.yaml                           # sidecar.path: tap → sidecar on 169.254.169.254:<port>, nft rules installed',
        `mapfile -t A < ${defaultRoot}/vm1/qemu-args.txt; qemu-system-x86_64 -accel tcg -m 1G "\${A[@]}" -drive file=disk.qcow2,if=virtio`,
      ),
    )
    .action(
      action(
        io,
        async (ctx, [spec], o) =>
          (await import('./commands/create.js')).create({
            root: ctx.root,
            spec: spec!,
            progress: ctx.progress,
            ...createOpts(o),
          }),
        formatCreate,
      ),
    );

  createFlags(program.command('update'))
    .description('re-render an existing VM from a changed spec; its running sidecar serves the new documents at once')
    .argument('<vm>', "the VM name (must match the spec's name)")
    .argument('<spec>', 'the VM spec (YAML)')
    .addHelpText(
      'after',
      examples(
        'vmmeta update vm1 vm1.yaml                        # keeps --suppress-nocloud, --config-drive, --listen given before',
        'vmmeta update vm1 vm1.yaml --nocloud cd            # attach the CD again',
        'vmmeta update vm1 vm1.yaml --no-config-drive --from-spec listen',
        'vmmeta update --json vm1 vm1.yaml | jq .changes    # what the next boot sees differently',
      ),
    )
    .action(
      action(
        io,
        async (ctx, [vm, spec], o) =>
          (await import('./commands/update.js')).update({
            root: ctx.root,
            spec: spec!,
            vm: vm!,
            progress: ctx.progress,
            ...createOpts(o),
          }),
        formatCreate,
      ),
    );

  program
    .command('inspect')
    .description(
      'everything about one VM: documents, SMBIOS, CD, predicted datasource, sidecar (checked live), recent requests, warnings',
    )
    .argument('<vm>', 'the VM name')
    .option('--show-secrets', 'show user-data, passwords and the token key instead of redacting them')
    .option('-n, --requests <n>', 'how many recent requests to show', count, 10)
    .addHelpText(
      'after',
      examples('vmmeta inspect vm1', 'vmmeta inspect --json vm1 | jq .warnings', 'vmmeta inspect vm1 -n 50'),
    )
    .action(
      action(
        io,
        async (ctx, [vm], o) =>
          (await import('./commands/inspect.js')).inspect({
            root: ctx.root,
            vm: vm!,
            showSecrets: Boolean(o.showSecrets),
            requests: o.requests as number,
          }),
        formatInspect,
      ),
    );

  program
    .command('list')
    .alias('ls')
    .description('list VMs with their sidecar state and predicted datasource')
    .addHelpText(
      'after',
      examples('vmmeta list', 'vmmeta list --json | jq -r \'.vms[] | select(.sidecar.state != "running") | .name\''),
    )
    .action(action(io, async (ctx) => (await import('./commands/list.js')).list({ root: ctx.root }), formatList));

  program
    .command('logs')
    .description("the requests a VM's guest made to its sidecar (access log)")
    .argument('<vm>', 'the VM name')
    .option('-f, --follow', 'keep printing new requests until interrupted')
    .option('-n, --lines <n>', 'how many recent requests', count, 20)
    .addHelpText(
      'after',
      examples('vmmeta logs vm1', 'vmmeta logs -f vm1', 'vmmeta logs --json -n 100 vm1   # raw NDJSON lines'),
    )
    // Not through action(): lines are printed as they are read, and --json means raw NDJSON (one request per
    // line, as the sidecar wrote it) rather than one document, so `logs -f --json` can be piped line by line.
    .action(async (vm: string, o: Record<string, unknown>, cmd: Command) => {
      const ctx = makeCtx(io, cmd.optsWithGlobals());
      await (
        await import('./commands/logs.js')
      ).logs({
        root: ctx.root,
        vm,
        lines: o.lines as number,
        follow: Boolean(o.follow),
        emit: (entry) => io.out(ctx.json ? `${entry.raw}\n` : formatLogLine(entry, ctx.fmt)),
      });
    });

  for (const [verb, what] of [
    ['start', "start the VM's sidecar (no-op if it answers) and wait until it answers"],
    ['stop', "stop the VM's sidecar (SIGTERM) and wait until it is gone"],
  ] as const) {
    program
      .command(verb)
      .description(what)
      .argument('<vm>', 'the VM name')
      .addHelpText('after', examples(`vmmeta ${verb} vm1`))
      .action(
        action(
          io,
          async (ctx, [vm]) =>
            (await import('./commands/start-stop.js'))[verb]({ root: ctx.root, vm: vm!, progress: ctx.progress }),
          formatStartStop,
        ),
      );
  }

  program
    .command('delete')
    .alias('rm')
    .description("stop the VM's sidecar and remove its state folder (exit 3 if there is no such VM)")
    .argument('<vm>', 'the VM name')
    .addHelpText('after', examples('vmmeta delete vm1'))
    .action(
      action(
        io,
        async (ctx, [vm]) => (await import('./commands/delete.js')).deleteVm({ root: ctx.root, vm: vm! }),
        formatDelete,
      ),
    );
}
