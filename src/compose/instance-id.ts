/**
 * The daemon's instance id: a random id kept in its data directory (`<dataDir>/instance-id`), made on the first start
 * and the same for every later run from that directory, different for another installation. What tells "an earlier
 * run of this daemon" from "another daemon with the same name on the same hostname" (two containers both running as
 * pid 1): the account lease takes over only its own instance's lease (src/bus/account-lease.ts).
 *
 * The file appears whole or not at all (written to a temporary file, made durable, then linked in place: no reader
 * ever sees it half written). An empty one is a creation cut short before this was so (or by a crash whose write did
 * not reach the disk): no id of it was ever kept, and a new one is made.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SwitchyardError } from '../model/errors.js';

const FILE = 'instance-id';
const ID_RE = /^[0-9a-f]{32}$/;

/** The instance id of the data directory `dataDir`, made (and the directory too) when it has none. */
export function daemonInstanceId(dataDir: string): string {
  const path = join(dataDir, FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      if (text === '') {
        rmSync(path, { force: true }); // a creation cut short: made again
      } else {
        if (!ID_RE.test(text)) throw new SwitchyardError('CONFIG_INVALID', `${path} does not hold an instance id (32 hex digits): delete it to make a new one`);
        return text;
      }
    } catch (err) {
      if (err instanceof SwitchyardError || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    mkdirSync(dataDir, { recursive: true });
    const id = randomBytes(16).toString('hex');
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${id}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path); // in place whole, or EEXIST: another process made it first (read it)
      syncDir(dataDir);
      return id;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  throw new SwitchyardError('CONFIG_INVALID', `${path}: could not read or make the instance id`);
}

/** fsync a directory (its new entry durable); a file system that cannot is left as it is. */
function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not every file system syncs a directory
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
