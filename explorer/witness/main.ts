/**
 * The witness's page: the logs it cosigns, its latest cosigned checkpoint for each (the log's
 * signature and the witness's cosignature verified here), and the split-view evidence it holds,
 * each document verified here with core/split-view-evidence.ts, the verifier anyone can run
 * offline. The witness's key is the one it states (GET /logs); `?witness=<vkey>` pins another.
 */
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { cosignatureTimestamp, cosignatureVerifier } from '../../core/cosignature.ts';
import { parseNote } from '../../core/note/note.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { parseSplitViewEvidenceList, verifySplitViewEvidence } from '../../core/split-view-evidence.ts';
import { LogReader } from '../../client/log-reader.ts';
import { banner, errorText, h, mono, replace, section, time } from '../shared/dom.ts';

interface LogRow {
  origin: string;
  originHash: string;
  vkeys: string[];
  size: number | null;
  timestamp: number | null;
}

const app = document.getElementById('app')!;
const params = new URLSearchParams(location.search);
const reader = new LogReader(new URL(params.get('base') ?? './', location.href).href);

async function logCard(row: LogRow, witnessVkey: string): Promise<HTMLElement> {
  const title = h('h3', {}, row.origin);
  if (row.size === null)
    return h(
      'article',
      { class: 'fleet', 'data-origin': row.origin },
      title,
      h('p', {}, 'Nothing cosigned for this log yet.'),
      keysList(row),
    );
  let note: string;
  try {
    note = await reader.text(`${row.originHash}/checkpoint`, 64 * 1024);
  } catch (e) {
    return h(
      'article',
      { class: 'fleet', 'data-origin': row.origin },
      title,
      banner('fail', 'CANNOT READ', errorText(e)),
      keysList(row),
    );
  }
  const parsed = parseNote(note);
  const logVerifiers = row.vkeys.flatMap((v) => {
    try {
      return [ed25519NoteVerifier(v)];
    } catch {
      return [];
    }
  });
  const cosigner = cosignatureVerifier(witnessVkey);
  let logOk = false;
  let cosigned: { ok: boolean; ts?: bigint } = { ok: false };
  for (const sig of parsed.signatures) {
    for (const v of logVerifiers)
      if (v.name === sig.name && v.keyId === sig.keyId && v.verify(parsed.textBytes, sig.signature)) logOk = true;
    if (cosigner.name === sig.name && cosigner.keyId === sig.keyId) {
      const ok = cosigner.verify(parsed.textBytes, sig.signature);
      const ts = cosignatureTimestamp(sig.signature);
      cosigned = ok && ts !== undefined ? { ok, ts } : { ok };
    }
  }
  let size = '?';
  try {
    size = String(parseCheckpointNote(note).checkpoint.size);
  } catch (e) {
    size = `unparseable (${errorText(e)})`;
  }
  const ok = logOk && cosigned.ok;
  return h(
    'article',
    { class: 'fleet', 'data-origin': row.origin, 'data-verified': String(ok) },
    title,
    ok
      ? banner(
          'pass',
          'COSIGNATURE VERIFIED',
          `The log's signature and this witness's cosignature on tree size ${size} verified in your browser.`,
        )
      : banner(
          'fail',
          'NOT VERIFIED',
          `${logOk ? '' : "The log's signature by a configured key does not verify. "}${cosigned.ok ? '' : "The witness's cosignature does not verify."}`,
        ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Latest cosigned size'),
      h('dd', { class: 'cosigned-size' }, size),
      h('dt', {}, 'Cosigned at'),
      h('dd', {}, cosigned.ts !== undefined ? time(cosigned.ts) : row.timestamp !== null ? time(row.timestamp) : '—'),
      h('dt', {}, 'Origin hash'),
      h('dd', {}, mono(row.originHash, 64)),
    ),
    keysList(row),
    h('details', {}, h('summary', {}, 'Show the cosigned checkpoint'), h('pre', { class: 'wrap' }, note)),
  );
}

function keysList(row: LogRow): HTMLElement {
  return h(
    'details',
    {},
    h('summary', {}, `Log keys this witness accepts (${row.vkeys.length})`),
    h('ul', {}, ...row.vkeys.map((v) => h('li', {}, mono(v, 40)))),
  );
}

async function evidenceSection(rows: LogRow[], witnessVkey: string): Promise<HTMLElement> {
  let docs: ReturnType<typeof parseSplitViewEvidenceList>;
  try {
    docs = parseSplitViewEvidenceList(await reader.get('evidence', 64 << 20));
  } catch (e) {
    return section(
      'evidence',
      'Split-view evidence',
      banner('fail', 'UNREADABLE', `The evidence list does not parse: ${errorText(e)}`),
    );
  }
  if (docs.length === 0)
    return section(
      'evidence',
      'Split-view evidence',
      banner('pass', 'NONE', 'This witness has never been shown a checkpoint that conflicts with one it cosigned.'),
    );
  const keys = new Map(rows.map((r) => [r.origin, r.vkeys]));
  const items = docs.map((doc, i) => {
    const vkeys = keys.get(doc.origin) ?? [];
    const errors: string[] = [];
    for (const vkey of vkeys) {
      try {
        const v = verifySplitViewEvidence(doc, vkey, { witnessVkey });
        return h(
          'li',
          { class: 'evidence', 'data-proven': String(v.proven) },
          v.proven
            ? banner('fail', 'SPLIT VIEW PROVEN', `${doc.origin}: ${v.explanation}.`)
            : banner('warn', 'MISBEHAVIOUR, NOT A PROOF OF FORK', `${doc.origin}: ${v.explanation}.`),
          h(
            'p',
            {},
            `Verified in your browser against the log key ${vkey.split('+').slice(0, 2).join('+')} and this witness's key: tree sizes ${v.smaller.size} and ${v.larger.size}, observed by the witness at ${time(doc.observed)}.`,
          ),
          h(
            'details',
            {},
            h('summary', {}, `Evidence document ${i + 1}`),
            h('pre', { class: 'wrap' }, JSON.stringify(doc, null, 2)),
          ),
        );
      } catch (e) {
        errors.push(errorText(e));
      }
    }
    return h(
      'li',
      { class: 'evidence', 'data-proven': 'false' },
      banner(
        'fail',
        'EVIDENCE DOES NOT VERIFY',
        `${doc.origin}: ${vkeys.length ? errors.join('; ') : 'this witness lists no key for that log'}`,
      ),
    );
  });
  return section(
    'evidence',
    'Split-view evidence',
    h('p', { class: 'note' }, `${docs.length} document(s), each checked in your browser.`),
    h('ol', { class: 'steps' }, ...items),
  );
}

async function main(): Promise<void> {
  replace(app, h('p', { class: 'loading' }, 'Reading the witness…'));
  const body = JSON.parse(await reader.text('logs', 4 << 20)) as { witness: string; logs: LogRow[] };
  const pinned = params.get('witness');
  const witnessVkey = pinned ?? body.witness;
  replace(document.getElementById('witness-name')!, witnessVkey.split('+')[0] ?? 'witness');
  const keyNote = pinned
    ? banner('pass', 'PINNED KEY', `Cosignatures are checked against the key in the address: ${witnessVkey}`)
    : banner(
        'warn',
        'KEY AS STATED BY THE WITNESS',
        `Cosignatures are checked against the key this witness states: ${witnessVkey}. Add ?witness=<vkey> to the address to check against a key you trust.`,
      );
  const cards = await Promise.all(body.logs.map((row) => logCard(row, witnessVkey)));
  replace(
    app,
    keyNote,
    section(
      'logs',
      `Logs cosigned (${body.logs.length})`,
      ...(cards.length ? cards : [h('p', {}, 'This witness is configured for no log.')]),
    ),
    await evidenceSection(body.logs, witnessVkey),
  );
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  replace(app, banner('fail', 'THE PAGE FAILED', errorText(e)));
  document.body.dataset.ready = 'true';
});
