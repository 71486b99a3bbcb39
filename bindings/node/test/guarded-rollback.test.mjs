// A new path failing five times as often as legacy is rolled back by the guard within 30 s
// (5 s bakes), judged on figures this binding measured and uploaded.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { skipReason } from '../test-support/server.mjs';
import { guardedRollout } from '../test-support/rollout.mjs';

test('a fivefold error rate on the new path is rolled back within 30 s', { skip: skipReason }, async () => {
  const { flag, tookMs } = await guardedRollout({
    legacyErrors: 0.02,
    newErrors: 0.1,
    until: (f) => f.run?.status === 'breached',
    withinMs: 30_000,
  });
  console.log(`rolled back ${tookMs} ms after the start`);
  assert.equal(flag.rollout_percent, 0, JSON.stringify(flag));
});
