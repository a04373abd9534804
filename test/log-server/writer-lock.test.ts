// The single-writer lock of a log's data directory: held by a live process it refuses every other
// writer; the moment its holder dies by kill -9 the kernel releases it, so a restart is never
// refused, even while the dead holder is still an unreaped zombie whose PID answers kill(pid, 0)
// (what a PID file got wrong), and in a loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { acquireWriterLock } from '../../log-server/writer-lock.ts';
import { codeOf } from '../support/error-code.ts';
import { REPO_ROOT, tempDir } from '../support/process.ts';

/**
 * `sh` starts a node process that takes the lock and prints "held", then waits for it. Stopping
 * `sh` (SIGSTOP) before killing the holder leaves the holder a zombie nobody reaps: its PID exists.
 */
function startHolder(dataDir: string): Promise<{ sh: ChildProcess; holderPid: number }> {
  const script = `import('./log-server/writer-lock.ts').then((m) => { m.acquireWriterLock(${JSON.stringify(dataDir)}); console.log('held ' + process.pid); setInterval(() => {}, 1000); })`;
  const sh = spawn('sh', ['-c', `"${process.execPath}" --import tsx -e "$SCRIPT" & wait`], {
    cwd: REPO_ROOT,
    env: { ...process.env, SCRIPT: script },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    sh.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /held (\d+)/.exec(out);
      if (m) resolve({ sh, holderPid: Number(m[1]) });
    });
    sh.on('exit', (code) => reject(new Error(`holder exited early (${code}): ${out}`)));
  });
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquireWithin(dataDir: string, ms: number): Promise<() => void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return acquireWriterLock(dataDir);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('the writer lock', () => {
  it('refuses a second writer in this process, and is free again once released', () => {
    const dir = tempDir();
    const release = acquireWriterLock(dir);
    expect(codeOf(() => acquireWriterLock(dir))).toBe('conflict');
    release();
    acquireWriterLock(dir)();
  });

  it('is refused while another live process holds it, and free right after that process is killed -9, five times', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    for (let round = 0; round < 5; round++) {
      const { sh, holderPid } = await startHolder(dir);
      try {
        expect(codeOf(() => acquireWriterLock(dir))).toBe('conflict');
        sh.kill('SIGSTOP'); // nobody reaps the holder now
        process.kill(holderPid, 'SIGKILL');
        const release = await acquireWithin(dir, 2000);
        expect(pidExists(holderPid)).toBe(true); // a zombie: a PID file would still name a "live" holder
        release();
      } finally {
        sh.kill('SIGKILL');
        sh.kill('SIGCONT');
      }
    }
  });
});
