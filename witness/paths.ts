/** Where a witness keeps its state inside its data directory. */
import { join } from 'node:path';

export interface WitnessPaths {
  readonly dataDir: string;
  readonly database: string;
  /** The cosigning skey (type 0x04), mode 0600. */
  readonly key: string;
}

export function witnessPaths(dataDir: string): WitnessPaths {
  return { dataDir, database: join(dataDir, 'witness.db'), key: join(dataDir, 'witness.key') };
}
