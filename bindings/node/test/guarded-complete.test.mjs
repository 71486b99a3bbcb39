// With equal error rates on both paths the guarded plan completes, judged on figures this
// binding measured and uploaded.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { skipReason } from '../test-support/server.mjs';
import { guardedRollout } from '../test-support/rollout.mjs';

test('equal error rates let the plan complete', { skip: skipReason }, async () => {
  const { flag, tookMs } = await guardedRollout({
    legacyErrors: 0.01,
    newErrors: 0.01,
    until: (f) => f.run?.status === 'completed',
    withinMs: 45_000,
  });
  console.log(`completed ${tookMs} ms after the start`);
  assert.equal(flag.rollout_percent, 100, JSON.stringify(flag));
});
