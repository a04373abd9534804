/**
 * Private key files: written once with mode 0600 (never overwritten), read back with a check that
 * nobody else can read them. The key text itself is never logged.
 */
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync, constants } from 'node:fs';
import { FleetlogError } from '../core/errors.ts';

export function writeKeyFile(path: string, skey: string): void {
  let fd: number;
  try {
    // O_EXCL: refuse to clobber an existing key; mode applies atomically at creation.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FleetlogError(
      'io',
      code === 'EEXIST' ? `refusing to overwrite existing key file ${path}` : `cannot create key file ${path}: ${code}`,
    );
  }
  try {
    writeSync(fd, `${skey}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readKeyFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new FleetlogError('io', `cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
  if ((mode & 0o077) !== 0)
    throw new FleetlogError(
      'io',
      `key file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  return readFileSync(path, 'utf8').trim();
}
