// ETag and 304 on bulk evaluation, through OpenFeature's web provider (npm
// `@openfeature/ofrep-web-provider`, the one that evaluates in bulk), which runs under Node
// without a DOM: no EventSource, so it polls. Its fetch is wrapped to record each exchange: the
// first answer carries an ETag, each poll sends it back and gets 304 until a flag changes, and
// the change arrives as a 200 with a new ETag and the new value.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

import { Cutover } from '../lib/cutover.mjs';
import { bearer } from '../lib/clients.mjs';

const FLAG = 'bulk-etag';
const POLL_MS = 100;
let cutover;
const exchanges = [];

async function recordingFetch(request, init) {
  const response = await fetch(request, init);
  exchanges.push({
    ifNoneMatch: request.headers.get('If-None-Match'),
    status: response.status,
    etag: response.headers.get('ETag'),
  });
  return response;
}

async function exchangeWhere(predicate, what) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = exchanges.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) {
      assert.fail(`no ${what} within 5 s; exchanges: ${JSON.stringify(exchanges)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS / 2));
  }
}

before(async () => {
  cutover = await Cutover.start();
  await cutover.createFlag(FLAG, 0);
});

after(async () => {
  await OpenFeature.close();
  await cutover?.stop();
});

test('the web provider gets 304 for its ETag, then 200 and a new ETag on a change', async () => {
  const token = await cutover.createToken('node-web', 'sdk');
  const provider = new OFREPWebProvider({
    baseUrl: cutover.url,
    headers: bearer(token),
    fetchImplementation: recordingFetch,
    pollInterval: POLL_MS,
    changeDetection: 'polling',
    // No persisted cache: every value the client reads came from the network.
    cacheMode: 'disabled',
  });
  await OpenFeature.setContext({ targetingKey: 'user-1' });
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient();

  const first = exchanges[0];
  assert.deepEqual([first.status, first.ifNoneMatch], [200, null]);
  assert.ok(first.etag, 'the first bulk answer has no ETag');
  assert.equal(client.getBooleanValue(FLAG, true), false);

  const unchanged = await exchangeWhere((e) => e.ifNoneMatch === first.etag, 'poll with the ETag');
  assert.deepEqual([unchanged.status, unchanged.etag], [304, first.etag]);

  const changed = new Promise((resolve) => {
    client.addHandler(ProviderEvents.ConfigurationChanged, resolve);
  });
  await cutover.setRollout(FLAG, 100);
  const event = await changed;
  assert.deepEqual(event.flagsChanged, [FLAG]);
  assert.equal(client.getBooleanValue(FLAG, false), true);
  const refreshed = exchanges.find((e) => e.status === 200 && e.ifNoneMatch === first.etag);
  assert.ok(refreshed, `no 200 answered the first ETag; exchanges: ${JSON.stringify(exchanges)}`);
  assert.notEqual(refreshed.etag, first.etag);

  const settled = await exchangeWhere((e) => e.ifNoneMatch === refreshed.etag, 'poll, new ETag');
  assert.equal(settled.status, 304);
});
