// The audit log progress bar: rate and ETA on a terminal, silence on a pipe.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../auditor-cli/progress.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(w, { isTTY, columns: 160, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: w, text: () => out };
}

describe('audit log progress', () => {
  it('shows entries, rate and ETA on a terminal', () => {
    const { stream, text } = fakeStream(true);
    const p = progressReporter(stream);
    p.start(1000);
    p.update({ done: 500, total: 1000, bytes: 2_000_000 });
    p.stop();
    expect(text()).toMatch(/500\/1000 entries \| \d+ entries\/s \| 2\.0 MB \| ETA/);
  });

  it('writes nothing when the output is not a terminal', () => {
    const { stream, text } = fakeStream(false);
    const p = progressReporter(stream);
    p.start(1000);
    p.update({ done: 500, total: 1000, bytes: 1 });
    p.stop();
    expect(text()).toBe('');
  });
});
