import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { metadataTable, series, type HostCollector } from './collector.js';

// Where os-release(5) may be, in node_exporter's order (under the rootfs path).
const FILES = ['etc/os-release', 'usr/lib/os-release'];
// node_exporter exports the leading "major.minor" of VERSION_ID as node_os_version.
const MAJOR_MINOR = /^[0-9]+\.?[0-9]*/;

const OS_METADATA = metadataTable({
  node_os_info: ['gauge', "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id."],
  node_os_version: ['gauge', 'Metric containing the major.minor part of the OS version.'],
});

/**
 * node_exporter 1.5's `os` collector: `node_os_info{build_id,id,id_like,image_id,image_version,
 * name,pretty_name,variant,variant_id,version,version_codename,version_id} 1` and
 * `node_os_version{id,id_like,name}` (the major.minor of VERSION_ID, when it has one), from
 * /etc/os-release or else /usr/lib/os-release. Neither file: nothing, as node_exporter.
 */
export function createOsReleaseCollector(): HostCollector {
  // The last file parsed: like node_exporter, parse again only when its mtime changes (an
  // upgrade), so a round costs one stat.
  let cached: { path: string; mtimeMs: number; env: Map<string, string> } | undefined;
  return {
    name: 'os',
    metadata: OS_METADATA,
    async collect(round) {
      for (const file of FILES) {
        const path = join(round.rootfsPath, file);
        let mtimeMs: number;
        try {
          mtimeMs = (await stat(path)).mtimeMs;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        if (cached?.path !== path || cached.mtimeMs !== mtimeMs) cached = { path, mtimeMs, env: parseOsRelease(await readFile(path, 'utf8')) };
        const env = cached.env;
        const get = (key: string) => env.get(key) ?? '';
        round.add(series('node_os_info', 'build_id', get('BUILD_ID'), 'id', get('ID'), 'id_like', get('ID_LIKE'), 'image_id', get('IMAGE_ID'), 'image_version', get('IMAGE_VERSION'), 'name', get('NAME'), 'pretty_name', get('PRETTY_NAME'), 'variant', get('VARIANT'), 'variant_id', get('VARIANT_ID'), 'version', get('VERSION'), 'version_codename', get('VERSION_CODENAME'), 'version_id', get('VERSION_ID')), 1);
        const version = parseFloat(MAJOR_MINOR.exec(get('VERSION_ID'))?.[0] ?? '');
        if (version > 0) round.add(series('node_os_version', 'id', get('ID'), 'id_like', get('ID_LIKE'), 'name', get('NAME')), version);
        return;
      }
    },
  };
}

/**
 * Parses os-release(5): `KEY=value` lines, the value unquoted, in double quotes (with `\"`,
 * `\\`, `\$` and `` \` `` escapes) or in single quotes (literal); blank lines and `#` comments
 * are skipped.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
    env.set(line.slice(0, eq), value);
  }
  return env;
}
