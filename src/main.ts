#!/usr/bin/env node
/** Composition root: command line → config → logger → run → signals. */
import { runCli } from './cli.js';
import { formatConfigErrors, loadConfig, redactConfig } from './config/env.js';
import { describeUnknownVariable } from './config/env.js';
import { startOutpost } from './app.js';
import { createLogger } from './lib/log.js';
import { readVersion } from './lib/version.js';

const code = runCli(process.argv.slice(2), process.env, console.log, console.error);
if (code !== null) process.exit(code);

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  console.error(formatConfigErrors(loaded.errors));
  process.exit(1);
}
const config = loaded.config;
const log = createLogger({ level: config.log.level, format: config.log.format });
for (const name of config.unknownVariables) log.warn({ variable: name }, describeUnknownVariable(name));
log.info({ version: readVersion(), config: redactConfig(config) }, 'Outpost starting');

try {
  const outpost = await startOutpost(config, log);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    outpost.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (error) {
  log.fatal({ err: error }, 'Outpost failed to start');
  process.exit(1);
}
