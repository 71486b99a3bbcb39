// Authentication through the providers: a token that is wrong or may not evaluate gives the
// provider's error (the default value, no exception), and the X-API-Key form works.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature, ProviderStatus } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

import { Cutover } from '../lib/cutover.mjs';
import { ON, bearer, clientFor, createStandardFlags } from '../lib/clients.mjs';

const context = { targetingKey: 'user-1' };
let cutover;

before(async () => {
  cutover = await Cutover.start();
  await createStandardFlags(cutover);
});

after(async () => {
  await OpenFeature.close();
  await WebOpenFeature.close();
  await cutover?.stop();
});

test('a wrong token is unauthorized', async () => {
  const sdk = await clientFor(cutover.url, bearer(`cut_${'0'.repeat(64)}`));
  const details = await sdk.client.getBooleanDetails(ON, false, context);
  // The SDK reports the provider's own error class as GENERAL; the hook saw which it was.
  assert.deepEqual([details.value, details.errorCode], [false, ErrorCode.GENERAL]);
  assert.equal(sdk.errors.at(-1).name, 'OFREPApiUnauthorizedError');
  assert.equal(sdk.errors.at(-1).response.status, 401);
});

test('a viewer token is forbidden', async () => {
  const viewer = await cutover.createToken('node-viewer', 'viewer');
  const sdk = await clientFor(cutover.url, bearer(viewer));
  const details = await sdk.client.getBooleanDetails(ON, false, context);
  assert.deepEqual([details.value, details.errorCode], [false, ErrorCode.GENERAL]);
  assert.equal(sdk.errors.at(-1).name, 'OFREPForbiddenError');
  assert.equal(sdk.errors.at(-1).response.status, 403);
});

test('a token in the X-API-Key header evaluates', async () => {
  const token = await cutover.createToken('node-api-key', 'sdk');
  const sdk = await clientFor(cutover.url, [['X-API-Key', token]]);
  const details = await sdk.client.getBooleanDetails(ON, false, context);
  assert.equal(details.errorCode, undefined, details.errorMessage);
  assert.equal(details.value, true);
});

test('the web provider with a viewer token goes fatal and serves defaults', async () => {
  const viewer = await cutover.createToken('node-web-viewer', 'viewer');
  const provider = new OFREPWebProvider({
    baseUrl: cutover.url,
    headers: bearer(viewer),
    cacheMode: 'disabled',
  });
  await assert.rejects(WebOpenFeature.setProviderAndWait('web-viewer', provider));
  const client = WebOpenFeature.getClient('web-viewer');
  assert.equal(client.providerStatus, ProviderStatus.FATAL);
  const details = client.getBooleanDetails(ON, false);
  assert.deepEqual([details.value, details.errorCode], [false, ErrorCode.PROVIDER_FATAL]);
});
