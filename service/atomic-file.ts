/**
 * Replacing a file atomically: write a temporary file in the same directory (mode 0600, O_EXCL),
 * fsync it, rename it over the target, fsync the directory. A crash, a full disk or a refused
 * command never leaves a half-written file behind: readers see the old file or the new one.
 *
 * Synchronous and durable on return, for one file at a time: commands and state files (a state
 * saved from a SIGINT handler cannot wait for a promise). A writer of many files that can defer
 * the directory fsyncs uses service/durable-files.ts (`writeFileAtomicBatched`) instead.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FleetlogError } from '../core/errors.ts';

/**
 * Replaces `path` with `data` (created with `mode`, default 0600); when it returns, the new file
 * and its rename are on disk. Throws FleetlogError('io') naming `what`; `path` is then untouched.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, what = 'file', mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new FleetlogError('io', `cannot write ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    // Make the rename itself durable.
    const dirFd = openSync(dirname(path), 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
