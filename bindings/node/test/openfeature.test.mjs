// The OpenFeature provider, used only through OpenFeature's own API (setProviderAndWait,
// getClient, getBooleanValue/Details): values, variants, reasons, metadata and error codes.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OpenFeature, StandardResolutionReasons as Reasons } from '@openfeature/server-sdk';

import { Client } from '../index.js';
import { CutoverProvider } from '../openfeature.js';
import { documentFile } from '../test-support/conformance.mjs';

const cutover = Client.offline(
  documentFile({
    flags: [
      {
        key: 'checkout-v2', stage: 'beta', rollout_percent: 50, version: 4,
        overrides: [{ attribute: 'email', value: 'qa@example.com', variant: 'new' }],
      },
      { key: 'search-v2', stage: 'production', rollout_percent: 100, killed: true },
      { key: 'everyone', stage: 'production', rollout_percent: 100 },
    ],
  }),
  { env: {} },
);

await OpenFeature.setProviderAndWait('cutover-test', new CutoverProvider(cutover));
const client = OpenFeature.getClient('cutover-test');

after(async () => {
  await OpenFeature.close();
});

test('an override on a custom field is a targeting match', async () => {
  const d = await client.getBooleanDetails('checkout-v2', false, {
    targetingKey: 'user-1', email: 'qa@example.com',
  });
  assert.equal(d.errorCode, undefined, d.errorMessage);
  assert.deepEqual([d.value, d.variant, d.reason], [true, 'new', Reasons.TARGETING_MATCH]);
  assert.equal(d.flagMetadata.cutoverReason, 'override');
  assert.equal(d.flagMetadata.flagVersion, 4);
});

test('a split on the targeting key gives the client\'s own answer', async () => {
  let splits = 0;
  for (let i = 0; i < 200; i++) {
    const targetingKey = `user-${i}`;
    const d = await client.getBooleanDetails('checkout-v2', false, { targetingKey, when: new Date() });
    assert.equal(d.reason, Reasons.SPLIT);
    assert.equal(d.value, cutover.isNew('checkout-v2', { targetingKey }), targetingKey);
    splits += d.value ? 1 : 0;
  }
  assert.ok(splits > 60 && splits < 140, `${splits} of 200 at 50 %`);
});

test('the kill switch is DISABLED with its explanation', async () => {
  const d = await client.getBooleanDetails('search-v2', true, { targetingKey: 'u' });
  assert.deepEqual([d.value, d.variant, d.reason], [false, 'legacy', Reasons.DISABLED]);
  assert.equal(d.flagMetadata.cutoverReason, 'kill_switch');
  assert.match(d.flagMetadata.explanation, /kill switch/);
  assert.equal(await client.getBooleanValue('everyone', false), true);
});

test('an unknown flag is FLAG_NOT_FOUND with the caller\'s default', async () => {
  const d = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'u' });
  assert.deepEqual([d.value, d.errorCode, d.reason], [true, ErrorCode.FLAG_NOT_FOUND, Reasons.ERROR]);
  assert.match(d.errorMessage, /cutover has no flag "no-such-flag"/);
});

test('another type is TYPE_MISMATCH', async () => {
  const s = await client.getStringDetails('everyone', 'fallback');
  assert.deepEqual([s.value, s.errorCode], ['fallback', ErrorCode.TYPE_MISMATCH]);
  assert.match(s.errorMessage, /is a boolean \(true = the new path\)/);
  const n = await client.getNumberDetails('everyone', 7);
  assert.deepEqual([n.value, n.errorCode], [7, ErrorCode.TYPE_MISMATCH]);
  const o = await client.getObjectDetails('everyone', { a: 1 });
  assert.deepEqual([o.value, o.errorCode], [{ a: 1 }, ErrorCode.TYPE_MISMATCH]);
});
