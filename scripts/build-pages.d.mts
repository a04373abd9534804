/** Builds the explorer pages into OUTDIR/log and OUTDIR/witness (default dist/pages). */
export function buildPages(outDir?: string): Promise<void>;
