// The in-process API of witness/index.ts: init, add-log, list-logs and remove-log, and their refusals.
import { describe, expect, it } from 'vitest';
import { KEY_TYPE_COSIGNATURE, generateKey } from '../../core/note/keys.ts';
import { addLog, initWitness, listLogs, removeLog, startWitness } from '../../witness/index.ts';
import { codeOf } from '../support/error-code.ts';
import { tempDir } from '../support/process.ts';
import { WitnessFixture } from './fixture.ts';
import { TestLog } from './test-log.ts';

describe('witness API', () => {
  it('initWitness refuses an existing witness and bad names; the others refuse a missing one', async () => {
    const dir = tempDir();
    await initWitness({ dataDir: dir, name: 'witness.example/a' });
    await expect(initWitness({ dataDir: dir, name: 'witness.example/a' })).rejects.toMatchObject({ code: 'io' });
    await expect(initWitness({ dataDir: tempDir(), name: 'has space' })).rejects.toMatchObject({ code: 'bad_key' });
    const empty = tempDir();
    expect(codeOf(() => listLogs({ dataDir: empty }))).toBe('io');
    await expect(startWitness({ dataDir: empty })).rejects.toMatchObject({ code: 'io' });
  });

  it('addLog takes only Ed25519 note keys and one-line origins; re-adding a key is harmless', async () => {
    const fx = await WitnessFixture.create();
    const log = new TestLog();
    const dataDir = fx.dataDir;
    expect(
      codeOf(() => addLog({ dataDir, origin: log.origin, vkey: generateKey(log.origin, KEY_TYPE_COSIGNATURE).vkey })),
    ).toBe('bad_key');
    expect(codeOf(() => addLog({ dataDir, origin: log.origin, vkey: 'not a vkey' }))).toBe('bad_key');
    expect(codeOf(() => addLog({ dataDir, origin: '', vkey: log.vkey }))).toBe('usage');
    expect(codeOf(() => addLog({ dataDir, origin: 'a\nb', vkey: log.vkey }))).toBe('usage');
    addLog({ dataDir, origin: log.origin, vkey: log.vkey });
    addLog({ dataDir, origin: log.origin, vkey: ` ${log.vkey}\n` });
    expect(listLogs({ dataDir })).toEqual([
      {
        origin: log.origin,
        originHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        vkeys: [log.vkey],
        treeSize: undefined,
        lastTimestamp: undefined,
      },
    ]);
    expect(codeOf(() => removeLog({ dataDir, origin: 'nobody.example/log' }))).toBe('not_found');
    await fx.close();
  });

  it('remove-log stops cosigning at once, and re-adding the log resumes from its last state (no rollback)', async () => {
    const { fx, log } = await WitnessFixture.withLog();
    log.grow(20);
    await fx.cosign(log, 0);
    removeLog({ dataDir: fx.dataDir, origin: log.origin });
    log.grow(1);
    expect((await fx.post(log.body(20))).status).toBe(404); // the running witness sees it at once
    await fx.trust(log);
    expect(await fx.post(log.body(0, 5))).toMatchObject({ status: 409, text: '20\n' });
    await fx.cosign(log, 20);
    expect(listLogs({ dataDir: fx.dataDir })[0]).toMatchObject({ treeSize: 21 });
    await fx.close();
  });

  it('a log may have several keys (rotation): either one is trusted', async () => {
    const { fx, log } = await WitnessFixture.withLog();
    const next = new TestLog(log.origin);
    await fx.trust(next);
    log.grow(3);
    await fx.cosign(log, 0);
    next.grow(3);
    await fx.cosign(next, 3, 3); // same tree, signed with the new key
    await fx.close();
  });
});
