import assert from 'node:assert/strict';
import { formatConfigErrors, loadConfig, type Config, type ConfigError } from '../../src/config/env.js';

/** The config `env` gives; fails the test with the config errors when it has any. */
export function config(env: NodeJS.ProcessEnv): Config {
  const result = loadConfig(env);
  assert.ok(result.ok, result.ok ? '' : formatConfigErrors(result.errors));
  return result.config;
}

/** The config errors `env` gives; fails the test when it has none. */
export function errors(env: NodeJS.ProcessEnv): ConfigError[] {
  const result = loadConfig(env);
  assert.ok(!result.ok, 'expected config errors');
  return result.errors;
}
