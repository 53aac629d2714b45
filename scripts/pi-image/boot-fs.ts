/**
 * The FAT boot partition, /boot/firmware on the Pi, written with mtools straight into the image
 * file at the partition's offset (`-i image@@offset`). It receives one file, outpost.env: the
 * bundle's env example under a header for whoever edits it from a laptop before the first boot.
 * The unit reads it as EnvironmentFile=-/boot/firmware/outpost.env, after /etc/outpost/outpost.env.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './tools.js';

/** The file's name on the boot partition. */
const ENV_FILE = 'outpost.env';

/** outpost.env as it goes on the boot partition: a header, then the bundle's env example. */
export function envTemplate(example: string, version: string): string {
  return `# ${ENV_FILE}: Outpost's settings, on the SD card's boot partition.
#
# This partition is FAT, so any computer (Windows, macOS, Linux) shows it when the card is
# inserted. Edit this file there with a plain-text editor, save, eject the card, put it in the Pi
# and power on: Outpost starts at boot and reads this file then. On the Pi it is
# /boot/firmware/${ENV_FILE}; after a change there: sudo systemctl restart outpost
#
# Usually enough (remove the # in front of a line to set it):
#   OUTPOST_REMOTE_WRITE_URL=https://prometheus.example.com/api/v1/write
#   OUTPOST_EXTERNAL_LABELS=site=farm7,gateway=gw01
#   OUTPOST_HTTP_ADDRESS=0.0.0.0:9780      status page on the LAN at http://<the Pi>:9780/
#
# Every user of the Pi can read this partition: put passwords and tokens in files named by the
# *_FILE variables (e.g. /etc/outpost/remote-write-password, mode 0640, group outpost), not here.
# Settings here win over /etc/outpost/outpost.env. Written by Outpost ${version}'s image build;
# every variable follows, commented out at its default.
#
${example}`;
}

/** `image@@offset`, the mtools name of the partition at `offset` bytes into `image`. */
function drive(image: string, offset: number): string {
  return `${image}@@${offset}`;
}

/** Throws unless the FAT filesystem at `offset` is readable and has no outpost.env yet. */
export async function checkBootPartition(image: string, offset: number): Promise<void> {
  const { stdout } = await run('mdir', ['-b', '-i', drive(image, offset), '::/']).catch((error: Error) => {
    throw new Error(`cannot read the FAT boot partition: ${error.message}`);
  });
  // FAT names ignore case.
  if (stdout.split('\n').some((line) => line.trim().toLowerCase() === `::/${ENV_FILE}`)) {
    throw new Error(`the base image already has ${ENV_FILE} on its boot partition: start from an unmodified Raspberry Pi OS image`);
  }
}

/** Copies `text` to ::/outpost.env at `offset` and reads it back; throws when it differs or does not fit. */
export async function writeEnvFile(image: string, offset: number, text: string, scratch: string): Promise<void> {
  const local = join(scratch, ENV_FILE);
  writeFileSync(local, text);
  await run('mcopy', ['-i', drive(image, offset), local, `::/${ENV_FILE}`]);
  const { stdout } = await run('mtype', ['-i', drive(image, offset), `::/${ENV_FILE}`]);
  if (stdout !== text) throw new Error(`${ENV_FILE} read back from the boot partition differs from what was written`);
}
