// The log's reading of a witness's answer (log-server/witnessing/add-checkpoint.ts): a cosignature
// by another key than the policy pins is refused with both key IDs named, so an operator sees a
// rotated witness key instead of a bare "quorum not met".
import { describe, expect, it } from 'vitest';
import { formatKeyId, generateKey, KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import { formatSignatureLine } from '../../core/note/note.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { addCheckpoint } from '../../log-server/witnessing/add-checkpoint.ts';

describe('a witness answer signed with an unexpected key', () => {
  it('names the pinned key ID and the key ID the witness signed with', async () => {
    const log = generateKey('log.test/a', KEY_TYPE_ED25519);
    const pinned = generateKey('witness.test/w1', KEY_TYPE_COSIGNATURE);
    const rotated = generateKey('witness.test/w1', KEY_TYPE_COSIGNATURE);
    const policy = parsePolicy(`log ${log.vkey}\nwitness w1 ${pinned.vkey} http://w1.test\nquorum w1\n`);
    const witness = policy.witnesses.get('w1')!;
    const rotatedId = Number.parseInt(rotated.vkey.split('+')[1]!, 16);
    const line = formatSignatureLine('witness.test/w1', rotatedId, new Uint8Array(72).fill(7));
    const answer = await addCheckpoint({
      witness,
      url: 'http://w1.test',
      oldSize: 0,
      proof: [],
      note: `log.test/a\n1\n${'A'.repeat(43)}=\n\n— log.test/a AAAAAAAA\n`,
      text: 'log.test/a\n1\nAAAA\n',
      timeoutMs: 1000,
      fetch: async () => new Response(line, { status: 200, headers: { 'content-type': 'text/plain' } }),
    });
    expect(answer.kind).toBe('bad_response');
    expect((answer as { message: string }).message).toBe(
      `response carries no cosignature by witness.test/w1 key ID ${formatKeyId(witness.verifier.keyId)} (the policy's key for witness w1); it signed with witness.test/w1 key ID ${formatKeyId(rotatedId)}`,
    );
  });
});
