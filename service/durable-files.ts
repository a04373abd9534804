/**
 * Durable, atomic file writes for a directory that other programs read while it changes (a web
 * server's document root): each file is written to a temporary name, fsynced, and renamed into
 * place, so a reader sees either no file or the whole file, never a prefix.
 *
 * A rename is durable only once its directory is fsynced. Directory fsyncs are batched: writes
 * record the directories they touched in a `DirectorySync`, and `flush()` fsyncs them all at once.
 * Whoever needs an ordering across files ("every tile before the checkpoint") flushes in between.
 */
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Directories whose entries changed and must be fsynced before anything that depends on them. */
export class DirectorySync {
  readonly #dirty = new Set<string>();

  add(dir: string): void {
    this.#dirty.add(dir);
  }

  /** Fsyncs every recorded directory; after it resolves, every rename recorded before is durable. */
  async flush(): Promise<void> {
    const dirs = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(dirs.map(fsyncDirectory));
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Some filesystems refuse fsync on a directory (EINVAL); the renames are still atomic there.
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Creates `dir` and any missing parents (mode 0755), recording in `sync` each parent whose listing
 * gained a directory, so the new path survives a crash once `sync` is flushed.
 */
export async function ensureDirectory(dir: string, sync: DirectorySync): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      if ((await stat(d)).isDirectory()) break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  if (missing.length === 0) return;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const d of missing) sync.add(dirname(d));
}

let sequence = 0;

/**
 * Writes `data` to `path` atomically: a temporary file in `tmpDir` (same filesystem as `path`),
 * written and fsynced, then renamed over `path`. Unlike writeFileAtomicSync (atomic-file.ts), the
 * directory fsync is batched: the rename becomes durable only when `sync` is flushed.
 * On failure the temporary file is removed and the error is rethrown; `path` is untouched.
 */
export async function writeFileAtomicBatched(
  path: string,
  data: Uint8Array | string,
  options: { tmpDir: string; sync: DirectorySync; mode?: number },
): Promise<void> {
  sequence += 1;
  const tmp = join(options.tmpDir, `${process.pid}.${sequence}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', options.mode ?? 0o644);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
    options.sync.add(dirname(path));
  } catch (e) {
    await handle?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}
