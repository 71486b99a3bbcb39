// Every OFREP error code the Node provider can meet, as the OpenFeature client reports it: the
// caller's default value and the standard error code, never an exception.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, OpenFeature, StandardResolutionReasons } from '@openfeature/server-sdk';

import { Cutover } from '../lib/cutover.mjs';
import { ON, bearer, clientFor, createStandardFlags } from '../lib/clients.mjs';

const context = { targetingKey: 'user-1' };
let cutover;
let token;
let sdk;

before(async () => {
  cutover = await Cutover.start();
  await createStandardFlags(cutover);
  token = await cutover.createToken('node-interop', 'sdk');
  sdk = await clientFor(cutover.url, bearer(token));
});

after(async () => {
  await OpenFeature.close();
  await cutover?.stop();
});

test('an unknown flag gives the default and FLAG_NOT_FOUND', async () => {
  const details = await sdk.client.getBooleanDetails('no-such-flag', true, context);
  assert.deepEqual([details.value, details.reason], [true, StandardResolutionReasons.ERROR]);
  assert.equal(details.errorCode, ErrorCode.FLAG_NOT_FOUND);
  assert.match(details.errorMessage, /no-such-flag/);
});

test('a string of a boolean flag is a TYPE_MISMATCH', async () => {
  const details = await sdk.client.getStringDetails(ON, 'fallback', context);
  assert.deepEqual([details.value, details.errorCode], ['fallback', ErrorCode.TYPE_MISMATCH]);
});

test('a number of a boolean flag is a TYPE_MISMATCH', async () => {
  const details = await sdk.client.getNumberDetails(ON, 7, context);
  assert.deepEqual([details.value, details.errorCode], [7, ErrorCode.TYPE_MISMATCH]);
});

test('a targeting key that is not a string is an INVALID_CONTEXT', async () => {
  // The context's types say string, but JavaScript sends 42 as is.
  const details = await sdk.client.getBooleanDetails(ON, false, { targetingKey: 42 });
  assert.deepEqual([details.value, details.errorCode], [false, ErrorCode.INVALID_CONTEXT]);
  assert.match(details.errorMessage, /targetingKey must be a string/);
});

test('a key that cannot be decoded is a PARSE_ERROR', async () => {
  // The provider always sends valid JSON, so cutover's PARSE_ERROR for a body is out of its
  // reach; but ofrep-core 0.1.4 puts the key into the path without escaping it, so a key
  // holding `%ff` reaches the server as a path that does not decode to UTF-8.
  const details = await sdk.client.getBooleanDetails('bad%ff', false, context);
  assert.deepEqual([details.value, details.errorCode], [false, ErrorCode.PARSE_ERROR]);
});

test('a body that is not JSON is a PARSE_ERROR', async () => {
  // No provider sends a body that is not JSON; over raw HTTP, as a broken client would.
  const response = await fetch(`${cutover.url}/ofrep/v1/evaluate/flags/${ON}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '{not json',
  });
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.deepEqual([body.errorCode, body.key], ['PARSE_ERROR', ON]);
});
