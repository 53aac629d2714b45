/**
 * The command line besides running the collector: `check-config`, `--version`, `--help`.
 * Output goes through injected writers so tests need no child process.
 */
import { describeUnknownVariable, findUnknownVariables, formatConfigErrors, loadConfig, redactConfig } from './config/env.js';
import { readVersion } from './lib/version.js';
import { renderVariableHelp } from './config/reference.js';

const USAGE = `usage: outpost [command]

Without a command, runs the collector in the foreground until SIGTERM or SIGINT.

commands:
  check-config   validate the OUTPOST_* environment and print the effective config, secrets redacted
  --version      print the version
  --help         print this help

Every setting is an OUTPOST_* environment variable (docs/configuration.md says what each means):`;

/**
 * Runs the command in `argv` (the arguments after the script) and returns its exit code, or null
 * when there is no command and the caller should run the collector. `out` and `err` each receive
 * whole lines or blocks without a trailing newline (pass `console.log` and `console.error`).
 * Exit codes: 0 success, 1 invalid configuration, 2 usage error.
 */
export function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): number | null {
  if (argv.length === 0) return null;
  const [command, ...rest] = argv;
  if (rest.length > 0) {
    err(`outpost: unexpected argument "${rest[0]}"\n\n${USAGE}`);
    return 2;
  }
  switch (command) {
    case '--version':
      out(`outpost ${readVersion()}`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      out(`${USAGE}\n\n${renderVariableHelp()}`);
      return 0;
    case 'check-config':
      return checkConfig(env, out, err);
    default:
      err(`outpost: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function checkConfig(env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): number {
  // Typos are shown even when the config is bad: a misspelt name is often why a value is missing.
  for (const name of findUnknownVariables(env)) err(`warning: ${describeUnknownVariable(name)}`);
  const result = loadConfig(env);
  if (!result.ok) {
    err(formatConfigErrors(result.errors));
    return 1;
  }
  out(JSON.stringify(redactConfig(result.config), null, 2));
  return 0;
}
