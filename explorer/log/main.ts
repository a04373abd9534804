/**
 * The log explorer: everything on this page is verified here, in the reader's browser, with
 * fleetlog's own client library and core. The server is a source of bytes, never of verdicts.
 * It reads the log through tlog-tiles paths under a base URL (default: this page's directory,
 * `?log=<path>` to change it), plus fleetlog's /policy and /fleets where they exist, so the same
 * files work next to static tiles on a CDN.
 */
import type { ClientState } from '../../core/audit/client-state.ts';
import { formatFleetBundle, type FleetBundle } from '../../core/audit/fleet-bundle.ts';
import { toHex } from '../../core/bytes.ts';
import { parseCheckpointNote, type Checkpoint } from '../../core/checkpoint.ts';
import { attestationMessage, type DeploymentEvidence } from '../../core/entries/deployment-evidence.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import { verifySignatureRef } from '../../core/entries/signature-ref.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { verifyInclusion } from '../../core/merkle/verify.ts';
import { openCheckpointWithPolicy, type TrustedCheckpoint } from '../../core/policy/checkpoint-trust.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { formatTlogProof } from '../../core/tlog-proof.ts';
import { LogReader } from '../../client/log-reader.ts';
import { type FleetTrustResult, verifyFleetBundle } from '../../client/trust.ts';
import { badge, banner, downloadButton, errorText, h, mono, replace, section, table, time } from '../shared/dom.ts';
import { checkSignatures } from '../shared/signatures.ts';
import { bundleFromTiles, type FleetRef, type KeysetRef, listFleets } from './fleets.ts';
import { forgetState, loadReaderPolicy, loadState, saveReaderPolicy, saveState } from './memory.ts';
import { compareWithSeen } from './monitor.ts';

interface PolicyChoice {
  readonly text: string;
  readonly source: 'reader' | 'server';
}

const app = document.getElementById('app')!;
const params = new URLSearchParams(location.search);
const base = new URL(params.get('log') ?? './', location.href).href;
const reader = new LogReader(base);
const timings: number[] = [];

async function choosePolicy(): Promise<PolicyChoice | string> {
  const mine = loadReaderPolicy();
  if (mine !== undefined) return { text: mine, source: 'reader' };
  try {
    return { text: await reader.text('policy', 256 * 1024), source: 'server' };
  } catch (e) {
    return `This log serves no policy (${errorText(e)}). Paste the policy you trust below.`;
  }
}

function policySection(choice: PolicyChoice | undefined, problem?: string): HTMLElement {
  const area = h('textarea', {
    id: 'policy-text',
    rows: 8,
    spellcheck: 'false',
    'aria-describedby': 'policy-help',
  }) as HTMLTextAreaElement;
  area.value = choice?.source === 'reader' ? choice.text : '';
  const file = h('input', { type: 'file', id: 'policy-file', accept: '.txt,text/plain' }) as HTMLInputElement;
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) area.value = await f.text();
  });
  const status = h('p', { role: 'alert', class: 'form-error' });
  const use = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        try {
          parsePolicy(area.value);
        } catch (e) {
          replace(status, `Not a valid policy: ${errorText(e)}`);
          return;
        }
        saveReaderPolicy(area.value);
        location.reload();
      },
    },
    'Trust this policy',
  );
  const forget = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        saveReaderPolicy(undefined);
        location.reload();
      },
    },
    "Forget my policy, use the server's",
  );
  const who =
    choice === undefined
      ? banner('fail', 'NO POLICY', problem)
      : choice.source === 'reader'
        ? banner(
            'pass',
            'YOUR POLICY',
            'Everything below is verified against the policy you pasted or loaded in this browser.',
          )
        : banner(
            'warn',
            "THE SERVER'S POLICY",
            'Everything below is verified against the policy this log serves about itself (GET /policy). A log can serve a policy that vouches for itself: to rely on the verdicts, paste the policy you got from a source you trust.',
          );
  return section(
    'policy',
    'Trust policy',
    who,
    choice
      ? h('details', {}, h('summary', {}, 'Show the policy in use'), h('pre', { class: 'wrap' }, choice.text))
      : null,
    h(
      'details',
      { open: choice === undefined || choice.source === 'reader' },
      h('summary', {}, 'Use your own policy'),
      h('p', { id: 'policy-help' }, 'A C2SP tlog-policy with fleetlog lines. It is kept in this browser only.'),
      h('label', { for: 'policy-text' }, 'Policy text'),
      area,
      h('label', { for: 'policy-file' }, 'or load a file'),
      file,
      h('div', { class: 'buttons' }, use, choice?.source === 'reader' ? forget : null),
      status,
    ),
  );
}

function checkpointSection(
  note: string,
  policy: Policy,
  cp: Checkpoint,
  trusted: TrustedCheckpoint | undefined,
  why: string | undefined,
): HTMLElement {
  const rows = checkSignatures(note, policy);
  const ok = trusted?.quorumMet === true;
  const verdict = ok
    ? banner(
        'pass',
        'CHECKPOINT VERIFIED',
        `Signed by the log and cosigned by a quorum of the policy's witnesses (${[...trusted.cosigners.keys()].join(', ') || 'none required'}), checked in this browser.`,
      )
    : banner('fail', 'CHECKPOINT NOT VERIFIED', why ?? `The witness quorum "${policy.quorum}" is not met.`);
  return section(
    'checkpoint',
    'Current checkpoint',
    verdict,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Origin'),
      h('dd', {}, cp.origin),
      h('dt', {}, 'Tree size'),
      h('dd', { id: 'tree-size' }, String(cp.size)),
      h('dt', {}, 'Root hash'),
      h('dd', {}, mono(toHex(cp.rootHash), 64)),
      h('dt', {}, 'Quorum'),
      h('dd', {}, policy.quorum),
    ),
    table(
      'Signatures on the checkpoint, each verified in this browser',
      ['Signer', 'Role in the policy', 'Cosigned at', 'Verification'],
      rows.map((r) => [
        h('span', {}, r.name, h('br'), h('small', {}, `key ${r.keyId}`)),
        r.role,
        r.timestamp !== undefined ? time(r.timestamp) : '—',
        r.status === 'verified'
          ? badge('pass', 'VERIFIED')
          : r.status === 'failed'
            ? badge('fail', 'SIGNATURE INVALID')
            : badge('skip', 'NOT IN POLICY'),
      ]),
      (i) => ({ class: 'signature-row', 'data-status': rows[i]!.status }),
    ),
    h('details', {}, h('summary', {}, 'Show the signed note'), h('pre', { class: 'wrap' }, note)),
  );
}

function stepsList(result: FleetTrustResult): HTMLElement {
  return h(
    'ol',
    { class: 'steps' },
    ...result.steps.map((s) =>
      h(
        'li',
        { class: `step ${s.status}`, 'data-step': s.step, 'data-status': s.status },
        badge(s.status),
        ' ',
        h('strong', {}, `Step ${s.step}: ${s.title}.`),
        ' ',
        s.reason,
      ),
    ),
  );
}

function evidenceView(bundle: FleetBundle, policy: Policy, expected: string | undefined): HTMLElement {
  let evidence: DeploymentEvidence;
  try {
    const entry = decodeEntry(bundle.evidence.bytes);
    if (entry.type !== 'fleetlog/deployment-evidence/v1')
      return h('p', {}, `Entry ${bundle.evidence.index} is not deployment evidence.`);
    evidence = entry;
  } catch (e) {
    return h(
      'p',
      {},
      badge('fail'),
      ` The deployment evidence at entry ${bundle.evidence.index} does not decode: ${errorText(e)}`,
    );
  }
  return h(
    'div',
    {},
    h('h4', {}, `Deployment evidence (entry ${bundle.evidence.index})`),
    expected !== undefined && toHex(leafHash(bundle.evidence.bytes)) !== expected
      ? banner(
          'fail',
          'NOT THE REFERENCED EVIDENCE',
          `These bytes, as the log serves them, hash to ${toHex(leafHash(bundle.evidence.bytes))}, but the key set references evidence ${expected}. Nothing below can be relied on.`,
        )
      : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Firmware'),
      h('dd', {}, evidence.firmware.release, ' ', mono(evidence.firmware.sha256)),
      h('dt', {}, 'Ceremony'),
      h(
        'dd',
        {},
        `${evidence.ceremony.id}, ${time(evidence.ceremony.time)}, with ${evidence.ceremony.participants.join(', ')}`,
      ),
      h('dt', {}, 'Transcript'),
      h('dd', {}, mono(evidence.ceremony.transcriptSha256)),
    ),
    table(
      'HSMs and their vendor attestations, verified in this browser',
      ['HSM', 'Region', 'Firmware measurement', 'Vendor attestation'],
      evidence.hsms.map((hsm) => {
        const ok = verifySignatureRef(
          hsm.attestation,
          policy.hsmVendors,
          attestationMessage({ hsmId: hsm.id, keys: hsm.keys, measurement: hsm.measurement }),
        );
        const fw = hsm.measurement === evidence.firmware.sha256;
        return [
          hsm.id,
          hsm.region,
          h(
            'span',
            {},
            fw ? badge('pass', 'MATCHES RELEASE') : badge('fail', 'DIFFERS FROM RELEASE'),
            ' ',
            mono(hsm.measurement, 8),
          ),
          ok ? badge('pass', `SIGNED BY ${hsm.attestation.name}`) : badge('fail', 'NOT BY A PINNED VENDOR KEY'),
        ];
      }),
    ),
  );
}

function keysView(result: FleetTrustResult): HTMLElement | null {
  const k = result.keyset;
  if (!k) return null;
  return h(
    'div',
    {},
    h('h4', {}, `Keys of version ${k.version} (entry ${k.index}), valid ${time(k.notBefore)} to ${time(k.notAfter)}`),
    table(
      null,
      ['HSM', 'Algorithm', 'Public key'],
      k.keys.map((key) => [key.hsmId, key.alg, mono(key.publicKey)]),
    ),
  );
}

interface AuditContext {
  /** Set when the log went back or forked since this browser's last visit (monitor.ts). */
  readonly logProblem: string | undefined;
  readonly policy: Policy;
  readonly note: string;
  readonly size: number;
  state: ClientState;
  readonly proof: Uint8Array[] | undefined;
}

async function auditKeyset(
  ctx: AuditContext,
  fleetId: string,
  ref: KeysetRef,
  out: HTMLElement,
  latest: boolean,
): Promise<FleetTrustResult | undefined> {
  replace(
    out,
    h(
      'p',
      { class: 'loading' },
      `Reading entries ${ref.evidenceIndex} and ${ref.index} and their proofs from the log's tiles…`,
    ),
  );
  let bundle: FleetBundle;
  try {
    bundle = await bundleFromTiles(reader, ref, ctx.note, ctx.size);
  } catch (e) {
    replace(out, banner('fail', 'NOT TRUSTED', `The key set could not be read from the log: ${errorText(e)}`));
    return undefined;
  }
  const started = performance.now();
  const result = verifyFleetBundle({
    policy: ctx.policy,
    bundle,
    state: ctx.state,
    fleetId,
    ...(ctx.proof ? { consistencyProof: ctx.proof } : {}),
  });
  const ms = performance.now() - started;
  timings.push(ms);
  // The library accepts a stale view that is a prefix of the last one seen (step 5); a page that
  // has just reported a rollback or fork of this log calls nothing on it trusted.
  const trusted = result.trusted && ctx.logProblem === undefined;
  const headline = trusted
    ? banner('pass', 'TRUSTED', `All eight audit steps passed in this browser (decided in ${ms.toFixed(1)} ms).`)
    : result.trusted
      ? banner(
          'fail',
          'NOT TRUSTED: THE LOG WENT BACK',
          `The eight steps pass for this view (step 5 accepts a view older than the last one seen if it is a prefix of it), but since your last visit this log showed a ${ctx.logProblem}: see "Consistency with your last visit".`,
        )
      : banner(
          'fail',
          'NOT TRUSTED',
          `Step ${result.failure?.step} (${result.failure?.title}) failed: ${result.failure?.reason}`,
        );
  headline.dataset.trusted = String(trusted);
  headline.dataset.decisionMs = ms.toFixed(3);
  replace(
    out,
    headline,
    latest
      ? null
      : h(
          'p',
          { class: 'note' },
          `This is what a client that saved this browser's state would decide if offered version ${ref.version} now.`,
        ),
    keysView(result),
    evidenceView(bundle, ctx.policy, result.keyset?.evidence),
    h('h4', {}, 'The eight audit steps (specs/audit.md), computed in this browser'),
    stepsList(result),
    h(
      'div',
      { class: 'buttons' },
      downloadButton('Download the validation bundle', `${fleetId}-v${ref.version}.bundle`, () =>
        formatFleetBundle(bundle),
      ),
      downloadButton('Download the offline proof of the key set', `${fleetId}-v${ref.version}.tlog-proof`, () =>
        formatTlogProof({
          extra: bundle.keyset.bytes,
          index: bundle.keyset.index,
          proof: bundle.keyset.proof,
          checkpoint: bundle.checkpoint,
        }),
      ),
    ),
  );
  return result;
}

function fleetArticle(
  ctx: AuditContext,
  fleet: FleetRef,
): { el: HTMLElement; run: () => Promise<FleetTrustResult | undefined> } {
  const versions = [...fleet.keysets].sort((a, b) => b.version - a.version);
  const out = h('div', { class: 'audit', 'aria-live': 'polite' });
  const marks = versions.map(() => h('span', { class: 'shown' }));
  const show = (i: number): Promise<FleetTrustResult | undefined> => {
    marks.forEach((m, j) => {
      replace(m, j === i ? ' ◀ shown below' : '');
    });
    return auditKeyset(ctx, fleet.fleetId, versions[i]!, out, i === 0);
  };
  const timeline = h(
    'ol',
    { class: 'timeline', 'aria-label': `Versions of fleet ${fleet.fleetId}, newest first` },
    ...versions.map((v, i) =>
      h(
        'li',
        {},
        h('button', { type: 'button', class: 'link', onclick: () => void show(i) }, `Version ${v.version}`),
        ` entry ${v.index}, valid ${time(v.notBefore).slice(0, 10)} to ${time(v.notAfter).slice(0, 10)}`,
        i === 0 ? h('em', {}, ' (current)') : null,
        marks[i]!,
      ),
    ),
  );
  const el = h(
    'article',
    { class: 'fleet', id: `fleet-${fleet.fleetId}`, 'data-fleet': fleet.fleetId },
    h('h3', {}, `Fleet ${fleet.fleetId}`),
    h('h4', {}, 'Version timeline'),
    timeline,
    out,
  );
  return { el, run: () => show(0) };
}

function lookupSection(note: string, size: number): HTMLElement {
  const input = h('input', {
    id: 'lookup-input',
    type: 'text',
    inputmode: 'text',
    autocomplete: 'off',
    placeholder: 'e.g. 3 or a 64-hex leaf hash',
  }) as HTMLInputElement;
  const out = h('div', { id: 'lookup-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        void lookup(input.value.trim(), out, note, size);
      },
    },
    h('label', { for: 'lookup-input' }, 'Entry index or leaf hash'),
    h('div', { class: 'inline' }, input, h('button', { type: 'submit' }, 'Look up')),
  );
  return section('lookup', 'Look up an entry', form, out);
}

async function findIndex(query: string, size: number): Promise<number> {
  if (/^\d{1,16}$/.test(query)) return Number(query);
  if (!/^[0-9a-fA-F]{64}$/.test(query)) throw new Error('enter a decimal entry index or a 64-character hex leaf hash');
  const hash = query.toLowerCase();
  // fleetlog's index of leaf hashes; what it answers is checked below like everything else.
  const body = JSON.parse(await reader.text(`proof/inclusion?leaf=${hash}&size=${size}`, 64 * 1024)) as {
    index: number;
  };
  return body.index;
}

async function lookup(query: string, out: HTMLElement, note: string, size: number): Promise<void> {
  replace(out, h('p', { class: 'loading' }, 'Reading the entry and its proof from the log’s tiles…'));
  try {
    const index = await findIndex(query, size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new Error(`entry ${index} is not in the tree of size ${size}`);
    const [bytes, proof] = await Promise.all([reader.entry(index, size), reader.inclusionProof(index, size)]);
    const cp = parseCheckpointNote(note).checkpoint;
    const hash = leafHash(bytes);
    const wanted = /^[0-9a-fA-F]{64}$/.test(query) ? query.toLowerCase() : undefined;
    const included = verifyInclusion(index, size, hash, proof, cp.rootHash);
    const matches = wanted === undefined || wanted === toHex(hash);
    let pretty: string;
    try {
      decodeEntry(bytes);
      pretty = JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, 2);
    } catch (e) {
      pretty = `(not a fleetlog entry: ${errorText(e)})\n${new TextDecoder().decode(bytes)}`;
    }
    replace(
      out,
      included && matches
        ? banner(
            'pass',
            'INCLUDED',
            `Entry ${index} is in the verified tree of size ${size}: its inclusion proof (${proof.length} hashes, from the log's tiles) verified in this browser.`,
          )
        : banner(
            'fail',
            'NOT PROVEN',
            !matches
              ? `The log says entry ${index} has that leaf hash, but its bytes hash to ${toHex(hash)}.`
              : `The inclusion proof for entry ${index} does not lead to the verified root.`,
          ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Index'),
        h('dd', {}, String(index)),
        h('dt', {}, 'Leaf hash'),
        h('dd', {}, mono(toHex(hash), 64)),
      ),
      h(
        'details',
        {},
        h('summary', {}, 'Proof hashes'),
        h('ol', { class: 'proof' }, ...proof.map((p) => h('li', {}, mono(toHex(p), 64)))),
      ),
      h('pre', { class: 'wrap' }, pretty),
      included && matches
        ? downloadButton('Download the offline proof', `entry-${index}.tlog-proof`, () =>
            formatTlogProof({ extra: bytes, index, proof, checkpoint: note }),
          )
        : null,
    );
  } catch (e) {
    replace(out, banner('fail', 'NOT FOUND', errorText(e)));
  }
}

async function main(): Promise<void> {
  replace(app, h('p', { class: 'loading' }, `Reading ${base}…`));
  const choice = await choosePolicy();
  if (typeof choice === 'string') {
    replace(app, policySection(undefined, choice));
    return;
  }
  let policy: Policy;
  try {
    policy = parsePolicy(choice.text);
  } catch (e) {
    replace(
      app,
      policySection(
        undefined,
        `The ${choice.source === 'reader' ? 'saved' : "server's"} policy does not parse: ${errorText(e)}`,
      ),
    );
    return;
  }
  let note: string;
  let cp: Checkpoint;
  try {
    note = await reader.checkpoint();
    cp = parseCheckpointNote(note).checkpoint;
  } catch (e) {
    replace(
      app,
      section(
        'checkpoint',
        'Current checkpoint',
        banner('fail', 'NO CHECKPOINT', `The log's checkpoint could not be read: ${errorText(e)}`),
      ),
      policySection(choice),
    );
    return;
  }
  let trusted: TrustedCheckpoint | undefined;
  let why: string | undefined;
  try {
    trusted = openCheckpointWithPolicy(policy, note);
  } catch (e) {
    why = `The checkpoint is rejected under this policy: ${errorText(e)}`;
  }
  document.title = `${cp.origin} · fleetlog explorer`;
  replace(document.getElementById('origin')!, cp.origin);

  const remembered = loadState(cp.origin);
  const monitorBox = h(
    'div',
    { id: 'monitor-result', 'aria-live': 'polite' },
    h('p', { class: 'loading' }, 'Comparing with what this browser saw last time…'),
  );
  const fleetsBox = h('div', { id: 'fleets-list' }, h('p', { class: 'loading' }, 'Listing fleets…'));
  replace(
    app,
    policySection(choice),
    checkpointSection(note, policy, cp, trusted, why),
    section(
      'monitor',
      'Consistency with your last visit',
      monitorBox,
      h(
        'div',
        { class: 'buttons' },
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => {
              forgetState(cp.origin);
              location.reload();
            },
          },
          'Forget what this browser saw',
        ),
      ),
    ),
    section('fleets', 'Fleets', fleetsBox),
    lookupSection(note, cp.size),
  );

  const cpOk = trusted?.quorumMet === true;
  const monitor = cpOk
    ? await compareWithSeen(reader, remembered.state.checkpoint, remembered.seenAt, cp)
    : {
        verdict: 'skip' as const,
        title: 'NOT COMPARED',
        detail:
          'The checkpoint did not verify under the policy, so it is neither compared with your last visit nor remembered.',
        advance: false,
        proof: undefined,
      };
  replace(
    monitorBox,
    banner(monitor.verdict, monitor.title, monitor.detail),
    remembered.problem ? h('p', {}, remembered.problem) : null,
  );
  monitorBox.dataset.verdict = monitor.title;

  const ctx: AuditContext = {
    logProblem: monitor.verdict === 'fail' ? monitor.title.toLowerCase() : undefined,
    policy,
    note,
    size: cp.size,
    state: remembered.state,
    proof: monitor.proof,
  };
  let list: Awaited<ReturnType<typeof listFleets>>;
  try {
    list = await listFleets(reader, cp.size);
  } catch (e) {
    replace(fleetsBox, banner('fail', 'CANNOT LIST FLEETS', errorText(e)));
    return;
  }
  if (list.fleets.length === 0) {
    replace(fleetsBox, h('p', {}, `No fleet key sets in this tree (from ${list.source}).`));
  } else {
    const articles = list.fleets.map((f) => fleetArticle(ctx, f));
    replace(fleetsBox, h('p', { class: 'note' }, `From ${list.source}.`), ...articles.map((a) => a.el));
    for (const a of articles) {
      const result = await a.run();
      if (result?.trusted) ctx.state = result.state;
    }
  }
  if (cpOk && monitor.advance) {
    const seen = { origin: cp.origin, size: cp.size, rootHash: toHex(cp.rootHash) };
    saveState(cp.origin, { ...ctx.state, checkpoint: seen });
  }
  document.body.dataset.ready = 'true';
  (globalThis as { __fleetlogTimings?: number[] }).__fleetlogTimings = timings;
}

main().catch((e: unknown) => {
  replace(app, banner('fail', 'THE PAGE FAILED', errorText(e)));
  document.body.dataset.ready = 'true';
});
