/** Plain-text report lines for the demo and `sim run`: numbered sections, ✓ / ✗ marks. */
import type { TrustStep } from '../client/trust.ts';

export class Report {
  #section = 0;
  readonly lines: string[] = [];
  constructor(readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  section(title: string): void {
    this.#section++;
    this.#emit('');
    this.#emit(`[${this.#section}] ${title}`);
  }

  ok(text: string): void {
    this.#emit(`    ✓ ${text}`);
  }

  fail(text: string): void {
    this.#emit(`    ✗ ${text}`);
  }

  info(text: string): void {
    this.#emit(`      ${text}`);
  }

  steps(steps: readonly TrustStep[]): void {
    for (const s of steps) this.#emit(`      ${s.status.toUpperCase()} step ${s.step} ${s.title}: ${s.reason}`);
  }

  #emit(line: string): void {
    this.lines.push(line);
    this.write(line);
  }
}
