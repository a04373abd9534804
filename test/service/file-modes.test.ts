// Database files are private (0600) whatever the umask and the directory's mode: the log's and
// the witness's databases and their -wal / -shm files, new or created earlier with looser modes.
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initLogDir } from '../../log-server/data-dir.ts';
import { openDatabase } from '../../service/sqlite.ts';
import { initWitness, listLogs } from '../../witness/index.ts';
import { tempDir } from '../support/process.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;
const previous = process.umask();
afterEach(() => {
  process.umask(previous);
});

describe('database file modes', () => {
  it('creates the log and witness databases 0600 under umask 000 in a world-writable directory', async () => {
    process.umask(0);
    const dir = tempDir();
    chmodSync(dir, 0o777);
    initLogDir(join(dir, 'log'), 'example.com/modes');
    await initWitness({ dataDir: join(dir, 'w'), name: 'witness.example/modes' });
    listLogs({ dataDir: join(dir, 'w') }); // opens it again (WAL and SHM while open)
    expect(mode(join(dir, 'log', 'log.db'))).toBe(0o600);
    expect(mode(join(dir, 'w', 'witness.db'))).toBe(0o600);
  });

  it('keeps -wal and -shm private and tightens an existing 0644 database', () => {
    process.umask(0);
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'x.db');
    writeFileSync(path, '', { mode: 0o644 });
    chmodSync(path, 0o644);
    const db = openDatabase(path);
    try {
      db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
      for (const p of [path, `${path}-wal`, `${path}-shm`]) expect(mode(p), p).toBe(0o600);
    } finally {
      db.close();
    }
  });
});
