/**
 * Which output an endpoint gets: the one place that maps a PROTOCOL setting to its output.
 */
import type { RemoteWriteProtocol } from '../../config/parse.js';
import type { Logger } from '../../lib/log.js';
import type { Output } from './output.js';
import { createRemoteWriteOutput } from './remote-write/remote-write-output.js';

/**
 * The output of an endpoint whose PROTOCOL setting is `protocol`; `version` is outpost's (for a
 * User-Agent) and `log` the endpoint's sender log.
 */
export function createOutput(protocol: RemoteWriteProtocol, version: string, log: Logger): Output {
  switch (protocol) {
    case '1.0':
    case '2.0':
      return createRemoteWriteOutput(protocol, version, log);
  }
}
