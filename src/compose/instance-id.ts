/**
 * The daemon's instance id: a random id kept in its data directory (`<dataDir>/instance-id`), made on the first start
 * and the same for every later run from that directory, different for another installation. What tells "an earlier
 * run of this daemon" from "another daemon with the same name on the same hostname" (two containers both running as
 * pid 1): the account lease takes over only its own instance's lease (src/bus/account-lease.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SwitchyardError } from '../model/errors.js';

const FILE = 'instance-id';
const ID_RE = /^[0-9a-f]{32}$/;

/** The instance id of the data directory `dataDir`, made (and the directory too) when it has none. */
export function daemonInstanceId(dataDir: string): string {
  const path = join(dataDir, FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      if (!ID_RE.test(text)) throw new SwitchyardError('CONFIG_INVALID', `${path} does not hold an instance id (32 hex digits): delete it to make a new one`);
      return text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    mkdirSync(dataDir, { recursive: true });
    try {
      const id = randomBytes(16).toString('hex');
      writeFileSync(path, `${id}\n`, { flag: 'wx', mode: 0o600 });
      return id;
    } catch (err) {
      // another process made it first: read it
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new SwitchyardError('CONFIG_INVALID', `${path}: could not read or make the instance id`);
}
