/**
 * Bounded GET load from this process over node:http keep-alive agents: each client sends its next
 * request as soon as the previous answer's body has been read, for `ms` milliseconds. Loopback
 * only; every answer must be a 200.
 *
 * Several streams run at the same time, each with its own clients and agent: on a shared, noisy
 * machine two things measured side by side in the same window see the same conditions, so their
 * ratio means something even when the absolute rates swing from one second to the next.
 */
import { Agent, get } from 'node:http';

export interface GetStream {
  readonly url: string;
  readonly nextPath: () => string;
  readonly headers?: Record<string, string>;
}

/** Requests per second of each stream over the same window; throws if any answer was not 200. */
export async function httpGetLoad(
  streams: readonly GetStream[],
  options: { clientsPerStream: number; ms: number },
): Promise<number[]> {
  const deadline = performance.now() + options.ms;
  const started = performance.now();
  const counts = await Promise.all(
    streams.map(async (stream) => {
      const base = new URL(stream.url);
      const agent = new Agent({ keepAlive: true, maxSockets: options.clientsPerStream });
      let done = 0;
      let bad = 0;
      const one = (): Promise<void> =>
        new Promise((resolve, reject) => {
          get(
            { agent, hostname: base.hostname, port: base.port, path: stream.nextPath(), headers: stream.headers },
            (res) => {
              if (res.statusCode !== 200) bad += 1;
              res.on('data', () => {});
              res.on('end', () => resolve());
              res.on('error', reject);
            },
          ).on('error', reject);
        });
      try {
        await Promise.all(
          Array.from({ length: options.clientsPerStream }, async () => {
            while (performance.now() < deadline) {
              await one();
              done += 1;
            }
          }),
        );
      } finally {
        agent.destroy();
      }
      if (bad > 0) throw new Error(`${bad} of ${done} GETs to ${stream.url} were not 200`);
      return done;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return counts.map((n) => n / seconds);
}
