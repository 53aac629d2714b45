import { hostname, machine, release, type, version } from 'node:os';
import { metadataTable, series, type HostCollector } from './collector.js';

/** The uname collector's family (also written by the portable collectors). */
export const UNAME_METADATA = metadataTable({
  node_uname_info: ['gauge', 'Labeled system information as provided by the uname system call.'],
});

/**
 * node_exporter's `uname` collector: `node_uname_info{sysname,release,version,machine,nodename,
 * domainname} 1`. node_exporter calls uname(2); so does the os module, one cheap syscall per
 * field, read every round as the host name can change. The NIS domain name has no os function
 * and comes from /proc/sys/kernel/domainname (`(none)` when unset, as uname reports it).
 */
export function createUnameCollector(): HostCollector {
  return {
    name: 'uname',
    metadata: UNAME_METADATA,
    async collect(round) {
      const domainname = round.readProc('sys/kernel/domainname').replace(/\n$/, '');
      round.add(series('node_uname_info', 'domainname', domainname, 'machine', machine(), 'nodename', hostname(), 'release', release(), 'sysname', type(), 'version', version()), 1);
    },
  };
}
