// A client connected to a real `cutover serve`: it follows changes (onChange), reports its
// status, uploads what it records and measures and what its shadow runs found, and closes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '../index.js';
import { Server, eventually, skipReason } from '../test-support/server.mjs';
import { conformance, newPathOf } from '../test-support/conformance.mjs';

let server;
let token;

before(async () => {
  if (skipReason) return;
  server = await Server.start();
  token = await server.sdkToken();
});

after(async () => {
  await server?.stop();
});

const connect = (options = {}) =>
  Client.connect(server.url, token, { metricsIntervalMs: 3_600_000, ...options });

test('a connected client follows a change and calls onChange', { skip: skipReason }, async () => {
  await server.createFlag('follow-me', 0);
  const client = await connect();
  assert.equal(client.isNew('follow-me', { user_id: 'u1' }), false);
  const seen = [];
  client.onChange((change) => seen.push(change));
  const status = client.status();
  assert.equal(status.connected, true);
  assert.equal(status.stalenessMs, 0);
  await server.setRollout('follow-me', 100);
  const change = await eventually(
    () => seen.find((c) => c.kind === 'flag' && c.flag === 'follow-me'),
    5000,
    'the change reached the callback',
  );
  assert.equal(change.deleted, false);
  assert.ok(change.seq > status.seq);
  assert.equal(client.isNew('follow-me', { user_id: 'u1' }), true);
  assert.equal(client.decide('follow-me', { user_id: 'u1' }).flagVersion, (await server.flag('follow-me')).version);
  assert.equal(client.status().seq, change.seq);
  await client.close();
});

test('a throwing change callback is reported and the stream goes on', { skip: skipReason }, async () => {
  await server.createFlag('throwing-callback', 0);
  const client = await connect();
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  const seen = [];
  client.onChange(() => {
    throw new Error('a bug in the callback');
  });
  client.onChange((change) => seen.push(change));
  await server.setRollout('throwing-callback', 50);
  await eventually(() => seen.length >= 1, 5000, 'the first change arrived');
  await server.setRollout('throwing-callback', 100);
  await eventually(() => seen.length >= 2, 5000, 'the stream goes on after the throw');
  await eventually(() => warnings.length >= 2, 2000, 'each throw was reported');
  assert.match(warnings[0].message, /a change callback threw.*a bug in the callback/s);
  assert.equal(warnings[0].code, 'CUTOVER_CALLBACK');
  process.off('warning', onWarning);
  await client.close();
});

test('close uploads what was recorded; a closed client refuses evaluation', { skip: skipReason }, async () => {
  await server.createFlag('closing', 100);
  const client = await connect();
  const handle = client.flag('closing');
  for (let i = 0; i < 10; i++) client.record('closing', 'new', { latencyMs: 2 });
  await client.close();
  assert.equal(client.closed, true);
  assert.equal(client.status().connected, false);
  assert.throws(() => client.isNew('closing', {}), /the cutover client is closed/);
  assert.throws(() => client.isNew('closing', { user_id: 'u-1' }), /the cutover client is closed/);
  assert.throws(() => handle.isNew({ user_id: 'u-1' }), /the cutover client is closed/);
  assert.throws(() => client.record('closing', 'new'), /the cutover client is closed/);
  await client.close(); // a second close does nothing
  const figures = await server.call('GET', '/flags/closing/metrics');
  assert.equal(figures.new.calls, 10, JSON.stringify(figures));
});

test('record and measure reach GET /flags/{key}/metrics', { skip: skipReason }, async () => {
  await server.createFlag('recorded', 50);
  const client = await connect({ counters: ['invalid_json'] });
  const flag = client.flag('recorded');
  for (let i = 0; i < 100; i++) {
    client.record('recorded', 'legacy', { latencyMs: 1, error: i < 5 });
    flag.record('new', { latencyMs: 3, error: i < 10, counters: i < 20 ? ['invalid_json'] : [] });
  }
  const value = client.measure('recorded', 'legacy', () => 42);
  assert.equal(value, 42);
  const slow = await client.measure('recorded', 'new', async (m) => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    m.retry();
    return 'done';
  });
  assert.equal(slow, 'done');
  assert.throws(() => client.measure('recorded', true, () => {
    throw new Error('sync failure');
  }), /sync failure/);
  await assert.rejects(
    client.measure('recorded', 'new', async () => {
      throw new Error('async failure');
    }),
    /async failure/,
  );
  assert.equal(await client.flushMetrics(), 0);
  const figures = await server.call('GET', '/flags/recorded/metrics');
  assert.equal(figures.legacy.calls, 101, JSON.stringify(figures));
  assert.equal(figures.legacy.errors, 5);
  assert.equal(figures.new.calls, 103);
  assert.equal(figures.new.errors, 11 + 1); // 10 recorded, the sync throw is on `true` = new
  assert.equal(figures.new.counters.invalid_json.count, 20);
  assert.equal(figures.new.retries, 1);
  // Only awaited calls on another flag: the time runs until the Promise settles.
  await server.createFlag('timed', 100);
  for (let i = 0; i < 3; i++) {
    await client.measure('timed', 'new', () => new Promise((resolve) => setTimeout(resolve, 30)));
  }
  await client.close();
  const timed = await server.call('GET', '/flags/timed/metrics');
  assert.equal(timed.new.calls, 3);
  assert.ok(timed.new.latency_ms.p50 >= 25, `30 ms timed: ${JSON.stringify(timed.new)}`);
});

test('shadow tallies uploaded through a real server equal the file\'s reports', { skip: skipReason }, async () => {
  for (const suite of conformance.shadows) {
    await server.createFlag(suite.flag, 100);
    const client = await connect();
    for (const run of suite.runs) {
      await client.shadow(suite.flag, run.context, {
        legacy: () => run.legacy,
        new: newPathOf(run),
        compare: suite.spec,
        timeoutMs: 200,
      });
    }
    assert.deepEqual(client.shadowReport(suite.flag), suite.report);
    await client.close();
    const got = await server.call('GET', `/flags/${suite.flag}/shadow`);
    for (const field of ['runs', 'compared', 'new_errors', 'new_panics', 'timeouts', 'mismatches_dropped']) {
      assert.equal(got[field], suite.report[field], `${suite.flag}: ${field}`);
    }
    assert.deepEqual(got.tally, suite.report.tally, suite.flag);
    const key = (m) => JSON.stringify([m.path, m.context, m.legacy, m.new]);
    assert.deepEqual(got.mismatches.map(key).sort(), suite.report.mismatches.map(key).sort());
  }
});

test('a wrong token is refused at connect with a clear error', { skip: skipReason }, async () => {
  await assert.rejects(
    Client.connect(server.url, 'cut_not-a-real-token', { initialTimeoutMs: 1500 }),
    (error) => {
      assert.match(error.message, /no flags from http:\/\/127\.0\.0\.1:\d+ within 1 s/);
      assert.match(error.message, /check the URL and the token/);
      return true;
    },
  );
});

test('a server that is not there is refused at connect', async () => {
  await assert.rejects(
    Client.connect('http://127.0.0.1:9', 'cut_x', { initialTimeoutMs: 300 }),
    /no flags from http:\/\/127\.0\.0\.1:9/,
  );
  await assert.rejects(Client.connect('not a url', 'cut_x'), /invalid server URL "not a url"/);
});
