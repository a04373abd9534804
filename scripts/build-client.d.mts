/** Builds the fleetlog/client entry into OUTDIR (default dist/fleetlog-client). */
export function buildClient(outDir?: string): Promise<void>;
