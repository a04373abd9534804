/**
 * Deploying a fleet the way two organizations do it, for the demo: the publisher and the
 * countersigner each work in their own directory with their own key file and hand each other
 * files, exactly as `fleetlog fleet evidence|draft|sign`, `fleet countersign` and `fleet submit`
 * do (the same publisher/index.ts functions):
 *
 *   publisher/      evidence-<fleet>-v<N>.json, keyset-<fleet>-v<N>.signed.json      (signs)
 *   countersigner/  reads both, reviews against the policy and the log, counter-signs:
 *                   keyset-<fleet>-v<N>.json
 *   publisher/      submits both, waits for the quorum: <fleet>-v<N>.bundle (verified)
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSignerKey } from '../../core/note/keys.ts';
import type { Json } from '../../core/entries/canonical-json.ts';
import {
  countersign,
  draftKeyset,
  formatKeysetDraft,
  parseKeysetDraft,
  PublishLogClient,
  reviewForCountersign,
  signAsPublisher,
  submitKeyset,
  type CountersignReview,
} from '../../publisher/index.ts';
import { readKeyFile } from '../../service/key-file.ts';
import { writeFileAtomicSync } from '../../service/atomic-file.ts';
import { FLEET_KEY_ALGS, runCeremony, type CeremonyHsm, type CeremonyResult } from '../ceremony.ts';
import type { FirmwareImage } from '../hsm/firmware.ts';
import type { Deployment } from './deploy-fleet.ts';
import type { Stack } from './stack.ts';

export interface TwoPartyOptions {
  readonly stack: Stack;
  readonly fleetId: string;
  readonly hsms: readonly CeremonyHsm[];
  readonly firmware: FirmwareImage;
  /** Seconds since the epoch. */
  readonly now: number;
  readonly version?: number;
  readonly installBundle?: (bundle: string) => Promise<void> | void;
}

export interface TwoPartyDeployment extends Deployment {
  readonly review: CountersignReview;
  /** Files each party wrote, by party. */
  readonly files: { readonly publisher: readonly string[]; readonly countersigner: readonly string[] };
}

export async function deployAsTwoParties(o: TwoPartyOptions): Promise<TwoPartyDeployment> {
  const { publisher: pubDir, countersigner: csDir } = o.stack.dirs;
  const v = o.version ?? 1;
  const name = `${o.fleetId}-v${v}`;
  const ceremony: CeremonyResult = await runCeremony({
    fleetId: o.fleetId,
    hsms: o.hsms,
    firmware: o.firmware,
    vendorKeys: [o.stack.vendor.vkey],
    now: o.now,
  });
  const log = new PublishLogClient(o.stack.log.url);

  // The publisher: evidence, draft, signature, with the key from its own directory.
  const evidenceFile = `evidence-${name}.json`;
  const signedFile = `keyset-${name}.signed.json`;
  writeFileAtomicSync(join(pubDir, evidenceFile), ceremony.evidenceBytes, 'evidence');
  const publisherKey = parseSignerKey(readKeyFile(join(pubDir, 'publisher.key')));
  const draft = draftKeyset({
    evidence: ceremony.evidence,
    evidenceBytes: ceremony.evidenceBytes,
    version: v,
    notBefore: o.now - 60,
    notAfter: o.now + 365 * 86_400,
    algs: FLEET_KEY_ALGS,
  });
  writeFileAtomicSync(
    join(pubDir, signedFile),
    formatKeysetDraft(signAsPublisher(draft, publisherKey)),
    'signed key set',
  );

  // The countersigner: receives the two files, reviews, counter-signs with its own key.
  for (const f of [evidenceFile, signedFile]) copyFileSync(join(pubDir, f), join(csDir, f));
  const countersignerKey = parseSignerKey(readKeyFile(join(csDir, 'countersigner.key')));
  const review = await reviewForCountersign({
    draft: parseKeysetDraft(JSON.parse(readFileSync(join(csDir, signedFile), 'utf8')) as Json),
    evidenceBytes: new Uint8Array(readFileSync(join(csDir, evidenceFile))),
    policy: o.stack.policy,
    key: countersignerKey,
    log,
    now: o.now,
  });
  const keysetFile = `keyset-${name}.json`;
  const { keyset, bytes } = countersign(review, countersignerKey);
  writeFileAtomicSync(join(csDir, keysetFile), bytes, 'key set');

  // The publisher: submits, waits for the witnesses, writes the verified bundle.
  copyFileSync(join(csDir, keysetFile), join(pubDir, keysetFile));
  const submitted = await submitKeyset({
    log,
    token: readKeyFile(join(pubDir, 'log.token')),
    policy: o.stack.policy,
    evidenceBytes: ceremony.evidenceBytes,
    keysetBytes: new Uint8Array(readFileSync(join(pubDir, keysetFile))),
    now: o.now,
    wait: { timeoutMs: 60_000, pollMs: 20 },
  });
  const bundleFile = `${name}.bundle`;
  const bundle = submitted.bundle!.text;
  writeFileAtomicSync(join(pubDir, bundleFile), bundle, 'bundle', 0o644);
  await o.installBundle?.(bundle);
  return {
    ceremony,
    keyset: { keyset, keysetBytes: bytes },
    evidenceEntry: submitted.evidence,
    keysetEntry: submitted.keyset,
    bundle,
    review,
    files: {
      publisher: [evidenceFile, signedFile, keysetFile, bundleFile],
      countersigner: [evidenceFile, signedFile, keysetFile],
    },
  };
}
