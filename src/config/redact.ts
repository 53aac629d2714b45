/**
 * Keeps secrets out of anything printed: `check-config` output, config errors and logs. What
 * counts as a secret: passwords, the bearer token, values of credential-like headers, and the
 * userinfo part of URLs (`https://user:pass@host`).
 */
import type { Config, EndpointSettings } from './types.js';

/** The text that stands in for a secret. */
export const REDACTED = '<redacted>';

// `scheme://userinfo@`; greedy up to the last @ before the path, as URL parsers read it.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s"]*@/gi;

/** Replaces the userinfo of every URL inside `text` with `<redacted>`. */
export function redactUrls(text: string): string {
  return text.replace(USERINFO, `$1${REDACTED}@`);
}

/** `url` without its userinfo, as `new URL` writes it: how logs, metrics and WAL cursors name a receiver. Throws for an invalid URL. */
export function urlWithoutUserinfo(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** True for headers that carry credentials: Authorization and names containing auth, token, key, secret, password or cookie. */
export function isSecretHeader(name: string): boolean {
  return /auth|token|key|secret|password|cookie/i.test(name);
}

/** Redacts the values of credential-like headers in raw `Name=value,Name2=value` text, even when it does not parse. */
export function redactHeaderText(text: string): string {
  return text
    .split(',')
    .map((entry) => {
      const eq = entry.indexOf('=');
      return eq >= 0 && isSecretHeader(entry.slice(0, eq)) ? `${entry.slice(0, eq + 1)}${REDACTED}` : entry;
    })
    .join(',');
}

/** Returns a plain JSON-able copy of `config` with every secret replaced by `<redacted>`; `config` is untouched. */
export function redactConfig(config: Config): object {
  const rw = config.remoteWrite;
  return JSON.parse(JSON.stringify({
    ...config,
    remoteWrite: {
      ...rw,
      ...redactSettings(rw),
      urls: rw.urls.map(redactUrls),
      // Compiled rules print as their count, like the input relabel rules below.
      endpoints: rw.endpoints.map((e) => ({ ...e, ...redactSettings(e), url: redactUrls(e.url), relabelRules: e.relabelRules.length })),
    },
    scrape: { ...config.scrape, targets: config.scrape.targets.map((target) => ({ ...target, url: redactUrls(target.url) })) },
    // Compiled rules hold regexes that print as {}; the file path above says where they are.
    relabelRules: config.relabelRules.length,
    mqtt: {
      ...config.mqtt,
      url: config.mqtt.url === null ? null : redactUrls(config.mqtt.url),
      password: config.mqtt.password === null ? null : REDACTED,
    },
  })) as object;
}

function redactSettings(settings: Pick<Config['remoteWrite'], keyof EndpointSettings>): object {
  const { auth, headers } = settings;
  return {
    auth: auth.kind === 'basic' ? { ...auth, password: REDACTED } : auth.kind === 'bearer' ? { ...auth, token: REDACTED } : auth,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretHeader(name) ? REDACTED : value])),
  };
}
