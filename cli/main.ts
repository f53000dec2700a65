import { Command, CommanderError } from 'commander';
import { commandModulesFor } from './commands/index.ts';
import { checkCommandOutputs } from './files.ts';
import { reportError } from './print.ts';

/** vitpipe's command line: parses argv and hands each command to its module under cli/commands/. */
const program = new Command('vitpipe')
  .description('Vision Transformer → pipelined FPGA dataflow accelerator: bit-exact model, simulator, planner, HLS')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const load of commandModulesFor(process.argv)) (await load()).register(program);
// Every output is checked writable before any work starts (cli/files.ts lists which options are outputs).
program.hook('preAction', (_program, command) => checkCommandOutputs(command.name(), command.opts()));

// A reader that goes away (`vitpipe … | head`) ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(e, process.argv.includes('--json'));
  }
}
