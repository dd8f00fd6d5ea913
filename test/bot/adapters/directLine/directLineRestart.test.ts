import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTestStore } from '../../../support/testStore';
import { TOKEN_SECRET_FILE } from '../../../../src/bot/adapters/directLine/tokenSecret';
import { activities, say, startConversation, startHarness, waitForActivities } from './harness';

describe('local Direct Line across a server restart', () => {
  it('when the server restarts on the same store and data directory, the page resumes with its token and sees the whole history', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'directline-restart-'));
    const store = await startTestStore();
    try {
      const first = await startHarness({ store, dataDir });
      const conversation = await startConversation(first);
      await say(first, conversation, 'before the restart');
      const before = await waitForActivities(first, conversation, (all) =>
        all.some((a) => a.text === 'echo: before the restart'),
      );
      await first.close({ keepStore: true });

      const second = await startHarness({ store, dataDir });
      try {
        const resumed = await activities(second, conversation);
        await say(second, conversation, 'after the restart');
        const after = await waitForActivities(second, conversation, (all) =>
          all.some((a) => a.text === 'echo: after the restart'),
        );

        assert.deepEqual(resumed.activities, before);
        assert.deepEqual(
          after.slice(before.length).map((a) => a.text),
          ['after the restart', 'echo: after the restart'],
        );
        assert.equal((await stat(path.join(dataDir, TOKEN_SECRET_FILE))).mode & 0o777, 0o600);
      } finally {
        await second.close({ keepStore: true });
      }
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('when DIRECTLINE_TOKEN_SECRET is set, no secret file is written and tokens signed with another secret are refused', async () => {
    const secretA = 'a'.repeat(40);
    const harnessA = await startHarness({ env: { DIRECTLINE_TOKEN_SECRET: secretA } });
    const conversation = await startConversation(harnessA);
    const dataDir = harnessA.config.store.dataDir;
    const fileWritten = await stat(path.join(dataDir, TOKEN_SECRET_FILE)).then(
      () => true,
      () => false,
    );
    await harnessA.close();

    const harnessB = await startHarness({ env: { DIRECTLINE_TOKEN_SECRET: 'b'.repeat(40) } });
    try {
      const result = await fetch(`${harnessB.base}/v3/directline/tokens/refresh`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${conversation.token}` },
      });

      assert.equal(fileWritten, false);
      assert.equal(result.status, 401);
    } finally {
      await harnessB.close();
    }
  });
});
