// Back-off after 429: the provider reads cutover's Retry-After, answers from its pause without
// calling the server while it lasts, and evaluates normally once it is over.
//
// Against a server sending Retry-After as an RFC 3339 instant (cutover before it moved to
// seconds), ofrep-core 0.1.4 reads it with parseInt: `2026-12-03T06:15:53Z` is a pause of
// 2,026 seconds, and this test fails on it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';

import { Cutover } from '../lib/cutover.mjs';
import { ON, bearer, clientFor } from '../lib/clients.mjs';

const PAUSED = /OFREP evaluation paused due to TooManyRequests/;
const sleepUntil = (instant) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(instant - Date.now(), 0)));
let limited;

before(async () => {
  // At most one evaluation a second per token, then 429.
  limited = await Cutover.start('--eval-rate', '1');
  await limited.createFlag(ON, 100);
});

after(async () => {
  await OpenFeature.close();
  await limited?.stop();
});

test('the provider pauses for Retry-After and then evaluates', async () => {
  // A token of its own: the limit is per token.
  const token = await limited.createToken('node-rate-limited', 'sdk');
  const sdk = await clientFor(limited.url, bearer(token));
  const context = { targetingKey: 'user-1' };

  // One evaluation a second is allowed, so the second in a row meets the limit.
  let details;
  for (let i = 0; i < 5 && details?.errorCode === undefined; i++) {
    details = await sdk.client.getBooleanDetails(ON, false, context);
  }
  const limitedAt = Date.now();
  assert.equal(details.errorCode, ErrorCode.GENERAL, 'no evaluation was rate limited');
  const tooMany = sdk.errors.at(-1);
  assert.equal(tooMany.name, 'OFREPApiTooManyRequestsError');
  // The pause the provider took from the header, in seconds.
  const pause = (tooMany.retryAfterDate - tooMany.requestTime) / 1000;
  assert.ok(
    pause >= 1 && pause <= 2,
    `the provider pauses ${pause} s for Retry-After: ${tooMany.retryAfterHeader} (one a second)`,
  );

  // While the pause lasts (checked at once and half-way through), the provider answers from it
  // and no request reaches the server.
  const reached = await limited.ofrepRequests();
  assert.ok(reached >= 2, 'the evaluations so far are missing from /metrics');
  for (const instant of [limitedAt, limitedAt + (pause * 1000) / 2]) {
    await sleepUntil(instant);
    const paused = await sdk.client.getBooleanDetails(ON, false, context);
    assert.deepEqual([paused.value, paused.errorCode], [false, ErrorCode.GENERAL]);
    assert.match(paused.errorMessage, PAUSED);
  }
  const reachedInPause = (await limited.ofrepRequests()) - reached;
  assert.equal(reachedInPause, 0, 'an evaluation reached the server in the pause');

  // Once Retry-After has passed, evaluations go through again.
  await sleepUntil(limitedAt + pause * 1000 + 100);
  const resumed = await sdk.client.getBooleanDetails(ON, false, context);
  assert.equal(resumed.errorCode, undefined, resumed.errorMessage);
  assert.equal(resumed.value, true);
  assert.equal(await limited.ofrepRequests(), reached + 1);
});
