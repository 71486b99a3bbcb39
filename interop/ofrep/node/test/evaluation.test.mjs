// Successful evaluations through the OFREP provider and the OpenFeature client: the value, the
// variant, the reason and cutover's metadata arrive as a service would read them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenFeature, StandardResolutionReasons as Reasons } from '@openfeature/server-sdk';

import { Cutover } from '../lib/cutover.mjs';
import { OFF, ON, VIP, bearer, clientFor, createStandardFlags } from '../lib/clients.mjs';

let cutover;
let sdk;

before(async () => {
  cutover = await Cutover.start();
  await createStandardFlags(cutover);
  sdk = await clientFor(cutover.url, bearer(await cutover.createToken('node-interop', 'sdk')));
});

after(async () => {
  await OpenFeature.close();
  await cutover?.stop();
});

test('a flag at 100 % is true with variant new', async () => {
  const details = await sdk.client.getBooleanDetails(ON, false, { targetingKey: 'user-1' });
  assert.equal(details.errorCode, undefined, details.errorMessage);
  assert.deepEqual([details.value, details.variant, details.reason], [true, 'new', Reasons.STATIC]);
  assert.equal(details.flagMetadata.flagVersion, (await cutover.flag(ON)).version);
  assert.equal(details.flagMetadata.cutoverReason, 'rollout');
  assert.equal(details.flagMetadata.rolloutPercent, '100%');
});

test('a flag at 0 % is false with variant legacy', async () => {
  const details = await sdk.client.getBooleanDetails(OFF, true, { targetingKey: 'user-1' });
  assert.equal(details.errorCode, undefined, details.errorMessage);
  assert.deepEqual([details.value, details.variant, details.reason], [false, 'legacy', Reasons.STATIC]);
  assert.equal(details.flagMetadata.flagVersion, (await cutover.flag(OFF)).version);
  assert.equal(details.flagMetadata.cutoverReason, 'rollout');
});

test('an override sends one targeting key down the new path', async () => {
  const vip = await sdk.client.getBooleanDetails(OFF, false, { targetingKey: VIP });
  assert.deepEqual([vip.value, vip.variant, vip.reason], [true, 'new', Reasons.TARGETING_MATCH]);
  assert.equal(vip.flagMetadata.cutoverReason, 'override');
  assert.equal(vip.flagMetadata.attribute, 'targetingKey');
  // Everybody else stays on the flag's 0 %.
  const other = await sdk.client.getBooleanDetails(OFF, true, { targetingKey: 'someone-else' });
  assert.deepEqual([other.value, other.variant], [false, 'legacy']);
});

test('a context without a targeting key is evaluated', async () => {
  // The client always hands the provider a context, so this sends {"context": {}}.
  const details = await sdk.client.getBooleanDetails(ON, false);
  assert.equal(details.errorCode, undefined, details.errorMessage);
  assert.deepEqual([details.value, details.variant], [true, 'new']);
});

test('no context at all sends an empty body and is evaluated', async () => {
  // Only the provider itself, called without a context, sends a bare `{}` (the specification
  // makes `context` optional: JSON.stringify drops `context: undefined`); the OpenFeature
  // client never does, hence the direct call.
  const resolution = await sdk.provider.resolveBooleanEvaluation(ON, false, undefined);
  assert.deepEqual([resolution.value, resolution.variant], [true, 'new']);
});
