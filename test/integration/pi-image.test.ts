import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runDebugfs } from '../../scripts/pi-image/debugfs.js';
import { removeTree } from '../../scripts/pi-image/scratch.js';
import { findTool } from '../../scripts/pi-image/tools.js';
import { bundleSkip, ensureBundle } from '../helpers/bundle.js';
import { DEPLOY_DIR, REPO_ROOT } from '../helpers/deploy.js';
import {
  BUNDLE_MTIME, buildBaseImage, buildBundle, debugfsCat, debugfsStat, hostEntry, imageToolsSkip, tool, walk, type BaseImage,
} from '../helpers/disk-image.js';

const MAIN = join(REPO_ROOT, 'dist-test/scripts/pi-image/main.js');
const MiB = 2 ** 20;

/** Runs the image build CLI; never throws for a non-zero exit. */
function piImage(args: string[], cwd = REPO_ROOT): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
}

interface SfdiskPartition { start: number; size: number; type: string }
function partitions(image: string): { id: string; parts: SfdiskPartition[] } {
  const table = (JSON.parse(tool('sfdisk', ['--json', image]).toString()) as { partitiontable: { id: string; partitions: SfdiskPartition[] } }).partitiontable;
  return { id: table.id, parts: table.partitions.map(({ start, size, type }) => ({ start, size, type })) };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Names in `dir` other than those given: leftovers of a build. */
function leftovers(dir: string, expected: string[]): string[] {
  return readdirSync(dir).filter((name) => !expected.includes(name));
}

describe('pi-image', { skip: imageToolsSkip() }, () => {
  let dir: string;
  let base: BaseImage;
  let baseXz: string;
  let bundle: { tarball: string; tree: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-pi-image-test-'));
    base = buildBaseImage(mkdirIn(dir, 'base'));
    tool('xz', ['-T0', '-1', '-k', base.path]);
    baseXz = `${base.path}.xz`;
    bundle = buildBundle(mkdirIn(dir, 'bundle'), 'outpost-fixture-arm64');
  });
  after(() => removeTree(dir));

  it('installs the bundle, the enabled unit, the service user and outpost.env into an .img.xz base', (t) => {
    const outDir = mkdirIn(dir, 'xz');
    const out = join(outDir, 'outpost.img');
    const result = piImage(['--base', baseXz, '--arch', 'arm64', '--out', out, '--bundle', bundle.tarball]);
    assert.equal(result.status, 0, result.stderr);
    for (const line of result.stdout.trim().split('\n')) t.diagnostic(line);
    assert.match(result.stdout, /Outpost 0\.1\.0-test for arm64/);
    assert.deepEqual(leftovers(outDir, ['outpost.img']), [], 'no scratch files are left beside the image');

    // Partition 2 grew to the end of the image, in place; partition 1 and the disk id did not change.
    const before = partitions(base.path);
    const now = partitions(out);
    const size = statSync(out).size;
    assert.equal(now.id, before.id);
    assert.deepEqual(now.parts[0], before.parts[0]);
    assert.equal(now.parts[1]!.start, before.parts[1]!.start);
    assert.equal(now.parts[1]!.type, '83');
    assert.equal((now.parts[1]!.start + now.parts[1]!.size) * 512, size, 'the root partition ends where the image ends');
    assert.ok(now.parts[1]!.size > before.parts[1]!.size, 'the root partition grew');

    // The filesystem fills the grown partition and is clean.
    const device = `${out}?offset=${base.rootOffset}`;
    const superblock = tool('dumpe2fs', ['-h', device]).toString();
    const blocks = Number(/^Block count:\s+(\d+)/m.exec(superblock)![1]);
    const blockSize = Number(/^Block size:\s+(\d+)/m.exec(superblock)![1]);
    assert.equal(blocks, Math.floor((now.parts[1]!.size * 512) / blockSize));
    tool('e2fsck', ['-f', '-n', device]);

    // Every bundle entry, with its type, mode, owner root, mtime, bytes and link target.
    const entries = walk(bundle.tree);
    assert.ok(entries.length >= 20);
    for (const host of entries) {
      const path = `/opt/outpost${relative(bundle.tree, host) === '' ? '' : '/' + relative(bundle.tree, host)}`;
      const want = hostEntry(host);
      const got = debugfsStat(device, path);
      assert.ok(got !== undefined, `${path} exists`);
      assert.deepEqual({ type: got.type, mode: got.mode, uid: got.uid, gid: got.gid, mtime: got.mtime },
        { type: want.type, mode: want.mode, uid: 0, gid: 0, mtime: BUNDLE_MTIME }, path);
      if (want.type === 'regular') assert.ok(debugfsCat(device, path).equals(readFileSync(host)), `${path} content`);
      if (want.type === 'symlink') assert.equal(got.target, want.target, `${path} target`);
    }
    assert.equal(debugfsStat(device, '/opt/outpost/app/node_modules/frozen')?.mode, 0o555);

    // The unit, enabled the way systemctl enable does it, and the sysusers entry.
    const unit = debugfsStat(device, '/etc/systemd/system/outpost.service');
    assert.deepEqual([unit?.type, unit?.mode, unit?.uid, unit?.gid], ['regular', 0o644, 0, 0]);
    assert.equal(debugfsCat(device, '/etc/systemd/system/outpost.service').toString(), readFileSync(join(DEPLOY_DIR, 'systemd/outpost.service'), 'utf8'));
    const link = debugfsStat(device, '/etc/systemd/system/multi-user.target.wants/outpost.service');
    assert.deepEqual([link?.type, link?.target, link?.uid], ['symlink', '/etc/systemd/system/outpost.service', 0]);
    const sysusers = debugfsStat(device, '/usr/lib/sysusers.d/outpost.conf');
    assert.deepEqual([sysusers?.type, sysusers?.mode, sysusers?.uid, sysusers?.gid], ['regular', 0o644, 0, 0]);
    assert.equal(debugfsCat(device, '/usr/lib/sysusers.d/outpost.conf').toString(), readFileSync(join(DEPLOY_DIR, 'systemd/outpost.sysusers'), 'utf8'));
    const sysusersDir = debugfsStat(device, '/usr/lib/sysusers.d');
    assert.deepEqual([sysusersDir?.type, sysusersDir?.mode, sysusersDir?.uid], ['directory', 0o755, 0], 'the missing directory was made');
    assert.ok(debugfsStat(device, '/usr')!.mtime >= Math.floor(Date.now() / 1000) - 600, '/usr touched so systemd-sysusers runs at boot');

    // What the base had is still there.
    assert.equal(debugfsCat(device, '/etc/hostname').toString(), 'raspberrypi\n');
    assert.equal(debugfsStat(device, '/etc/systemd/system/multi-user.target.wants/ssh.service')?.target, '/usr/lib/systemd/system/ssh.service');

    // outpost.env on the boot partition: a header for the laptop, then the env example verbatim.
    const env = tool('mtype', ['-i', `${out}@@${base.bootOffset}`, '::outpost.env']).toString();
    assert.match(env, /^# outpost\.env: Outpost's settings, on the SD card's boot partition\./);
    assert.match(env, /\/boot\/firmware\/outpost\.env/);
    assert.match(env, /Written by Outpost 0\.1\.0-test's image build/);
    assert.ok(env.endsWith(readFileSync(join(DEPLOY_DIR, 'outpost.env.example'), 'utf8')));
    assert.equal(tool('mtype', ['-i', `${out}@@${base.bootOffset}`, '::config.txt']).toString(), 'arm_64bit=1\n');
    tool('mdir', ['-i', `${out}@@${base.bootOffset}`, '::']);

    // Building on the result is refused rather than half-overwriting it.
    const again = piImage(['--base', out, '--arch', 'arm64', '--out', join(outDir, 'again.img'), '--bundle', bundle.tarball]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already has .*start from an unmodified Raspberry Pi OS image/);
    assert.deepEqual(leftovers(outDir, ['outpost.img']), []);
  });

  it('injects the real arm64 release bundle: launcher, runtime and app as the tarball holds them', { skip: bundleSkip('arm64') }, async () => {
    const tarball = await ensureBundle('arm64');
    const outDir = mkdirIn(dir, 'release');
    const out = join(outDir, 'outpost.img');
    const result = piImage(['--base', base.path, '--arch', 'arm64', '--out', out, '--bundle', tarball]);
    assert.equal(result.status, 0, result.stderr);
    const tree = mkdirIn(dir, 'release-tree');
    tool('tar', ['-xzf', tarball, '-C', tree]);
    const device = `${out}?offset=${base.rootOffset}`;
    for (const path of ['bin/outpost', 'node/bin/node', 'app/dist/main.js', 'app/node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'VERSION']) {
      const want = hostEntry(join(tree, 'outpost', path));
      const got = debugfsStat(device, `/opt/outpost/${path}`);
      assert.ok(got !== undefined, `${path} exists`);
      assert.deepEqual({ type: got.type, mode: got.mode, uid: got.uid }, { type: want.type, mode: want.mode, uid: 0 }, path);
    }
    assert.ok(debugfsCat(device, '/opt/outpost/VERSION').equals(readFileSync(join(tree, 'outpost', 'VERSION'))));
    assert.ok(debugfsCat(device, '/opt/outpost/bin/outpost').equals(readFileSync(join(tree, 'outpost', 'bin', 'outpost'))));
  });

  it('grows a plain .img by exactly --grow and leaves the base unchanged', () => {
    const outDir = mkdirIn(dir, 'plain');
    const out = join(outDir, 'outpost.img');
    const baseHash = sha256(base.path);
    const result = piImage(['--base', base.path, '--arch', 'arm64', '--out', out, '--bundle', bundle.tarball, '--grow', '24MiB']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(statSync(out).size, statSync(base.path).size + 24 * MiB);
    assert.equal(sha256(base.path), baseHash);
    tool('e2fsck', ['-f', '-n', `${out}?offset=${base.rootOffset}`]);
  });

  it('fails naming debugfs\'s error when the bundle does not fit, leaving no image', () => {
    const outDir = mkdirIn(dir, 'full');
    const big = buildBundle(mkdirIn(dir, 'big'), 'outpost-big', { blobBytes: 56 * MiB });
    const result = piImage(['--base', base.path, '--arch', 'arm64', '--out', join(outDir, 'outpost.img'), '--bundle', big.tarball, '--grow', '1MiB']);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stderr, /debugfs reported errors while writing \/opt\/outpost/);
    assert.match(result.stderr, /Could not allocate block/);
    assert.match(result.stderr, /--grow/);
    assert.deepEqual(leftovers(outDir, []), []);
  });

  it('fails clearly on a base whose root filesystem is damaged', () => {
    const outDir = mkdirIn(dir, 'damaged');
    const damaged = join(outDir, 'damaged.img');
    copyFileSync(base.path, damaged);
    // Zero the primary superblock; a 48 MiB filesystem has one block group, so no backup.
    const fd = openSync(damaged, 'r+');
    writeSync(fd, Buffer.alloc(4096), 0, 4096, base.rootOffset);
    closeSync(fd);
    const result = piImage(['--base', damaged, '--arch', 'arm64', '--out', join(outDir, 'outpost.img'), '--bundle', bundle.tarball]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /root filesystem is damaged or not ext4/);
    assert.deepEqual(leftovers(outDir, ['damaged.img']), []);
  });

  it('refuses a bundle built for another architecture', () => {
    const x64 = buildBundle(mkdirIn(dir, 'x64'), 'outpost-x64', { arch: 'x64' });
    const result = piImage(['--base', base.path, '--arch', 'arm64', '--out', join(dir, 'x64', 'outpost.img'), '--bundle', x64.tarball]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /holds a node for x64, not arm64/);
  });

  it('without --bundle, says which npm run package command makes the missing bundle', () => {
    const cwd = mkdirIn(dir, 'no-bundle');
    const result = piImage(['--base', base.path, '--arch', 'armv7', '--out', join(cwd, 'outpost.img')], cwd);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no bundle at .*build\/bundles\/outpost-[^ ]+-linux-armv7\.tar\.gz: build it with `npm run package -- --arch armv7`/);
    assert.equal(existsSync(join(cwd, 'outpost.img')), false);
  });

  it('turns a debugfs command that fails (while debugfs exits 0) into an error', async () => {
    const fsDir = mkdirIn(dir, 'debugfs');
    const fs = join(fsDir, 'fs.ext4');
    tool('mkfs.ext4', ['-q', '-F', '-b', '4096', fs, '8M']);
    const raw = spawnSync(findTool('debugfs')!, ['-w', '-R', 'mkdir /no/such/dir', fs]);
    assert.equal(raw.status, 0, 'debugfs itself reports success');
    await assert.rejects(
      runDebugfs(fs, join(fsDir, 'cmds'), ['mkdir /a', 'write /etc/hostname /missing/dir/file', 'mkdir /a'], { write: true, what: 'testing' }),
      (error: Error) => {
        assert.match(error.message, /debugfs reported errors while testing:/);
        assert.match(error.message, /File not found by ext2_lookup/);
        assert.match(error.message, /already exists/);
        return true;
      },
    );
    assert.deepEqual(await runDebugfs(fs, join(fsDir, 'cmds'), ['stat /a'], { what: 'reading' }).then((c) => c.length), 1);
  });
});

function mkdirIn(parent: string, name: string): string {
  const path = join(parent, name);
  mkdirSync(path);
  return path;
}
