/**
 * A real, tiny filesystem for full-disk tests: a tmpfs of a few hundred KiB mounted on a temporary
 * directory (needs root, or CAP_SYS_ADMIN; `available` says whether this machine allows it).
 * `fill()` writes a filler file until the kernel answers ENOSPC; `free()` removes it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './process.ts';

export class TinyDisk {
  private constructor(readonly dir: string) {}

  /** Mounts a tmpfs of `kib` KiB, or returns undefined where mounting is not permitted. */
  static mount(kib = 512): TinyDisk | undefined {
    const dir = tempDir('fleetlog-tinydisk-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
      return new TinyDisk(dir);
    } catch {
      return undefined;
    }
  }

  get #filler(): string {
    return join(this.dir, 'filler');
  }

  /** Writes until the filesystem is full (ENOSPC). */
  fill(): void {
    const fd = openSync(this.#filler, 'a');
    const chunk = Buffer.alloc(4096, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
  }

  free(): void {
    rmSync(this.#filler, { force: true });
  }

  unmount(): void {
    execFileSync('umount', ['-l', this.dir], { stdio: 'ignore' });
  }
}
