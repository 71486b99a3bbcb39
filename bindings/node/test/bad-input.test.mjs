// Bad input gets a clear exception (what was wrong, with the value, and what is accepted) or a
// documented default, never a crash of the process; a Rust panic reaches JavaScript as an
// exception.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { Client } from '../index.js';
import { documentFile } from '../test-support/conformance.mjs';

const require = createRequire(import.meta.url);
const native = require('../cutover.node');

const client = Client.offline(
  documentFile({ flags: [{ key: 'checkout', stage: 'production', rollout_percent: 100 }] }),
  { env: {} },
);

const ACCEPTED = /each value must be a string, a finite number or a boolean/;

test('a context value that is not a string, number or boolean is a TypeError naming it', () => {
  const cases = [
    [{ user_id: null }, /context attribute "user_id" is null/],
    [{ user_id: undefined }, /context attribute "user_id" is undefined/],
    [{ nested: { a: 1 } }, /context attribute "nested" is an object/],
    [{ list: ['a'] }, /context attribute "list" is an array/],
    [{ big: 10n }, /context attribute "big" is a bigint/],
    [{ when: new Date(0) }, /context attribute "when" is an object/],
    [{ f: () => 1 }, /context attribute "f" is a function/],
    [{ n: NaN }, /context attribute "n" is the number NaN, which has no JSON spelling/],
    [{ n: Infinity }, /context attribute "n" is the number inf/],
  ];
  for (const [ctx, message] of cases) {
    for (const call of [() => client.isNew('checkout', ctx), () => client.decide('checkout', ctx),
      () => client.flag('checkout').isNew(ctx)]) {
      assert.throws(call, (error) => {
        assert.ok(error instanceof TypeError, `${error}`);
        assert.match(error.message, message);
        assert.match(error.message, ACCEPTED);
        assert.equal(error.code, 'ERR_INVALID_ARG_TYPE');
        return true;
      });
    }
  }
});

test('a context that is not an object is a TypeError with the value', () => {
  assert.throws(() => client.isNew('checkout', 'user-1'), {
    name: 'TypeError',
    message: /the context must be an object whose values are each a string, a finite number or a boolean, got the string "user-1"/,
  });
  assert.throws(() => client.isNew('checkout', [1]), { name: 'TypeError', message: /got an array/ });
  assert.throws(() => client.isNew('checkout', 7), { name: 'TypeError', message: /got the number 7/ });
});

test('no context, or an empty one, is the empty context', () => {
  assert.equal(client.isNew('checkout'), true);
  assert.equal(client.isNew('checkout', null), true);
  assert.equal(client.decide('checkout', {}).reason.kind, 'rollout');
});

test('numbers are spelled as JSON spells them, booleans as true/false', () => {
  const file = documentFile({
    flags: [{
      key: 'spelled', stage: 'production', rollout_percent: 0,
      overrides: [
        { attribute: 'n', value: '42', variant: 'new' },
        { attribute: 'x', value: '0.5', variant: 'new' },
        { attribute: 'b', value: 'true', variant: 'new' },
        { attribute: 'e', value: '1e+21', variant: 'new' },
      ],
    }],
  });
  const c = Client.offline(file, { env: {} });
  assert.equal(c.isNew('spelled', { n: 42 }), true);
  assert.equal(c.isNew('spelled', { n: 42.0 }), true);
  assert.equal(c.isNew('spelled', { x: 0.5 }), true);
  assert.equal(c.isNew('spelled', { b: true }), true);
  assert.equal(c.isNew('spelled', { e: 1e21 }), true);
  assert.equal(c.isNew('spelled', { b: false }), false);
});

test('an unknown flag is legacy with reason flag_not_found', () => {
  assert.equal(client.isNew('no-such-flag', { user_id: 'u1' }), false);
  assert.deepEqual(client.decide('no-such-flag', {}), {
    variant: 'legacy', reason: { kind: 'flag_not_found' }, flagVersion: 0,
  });
  assert.equal(client.flag('no-such-flag').isNew({}), false);
});

test('a flag name that is not a string, or not a flag key, is refused', () => {
  assert.throws(() => client.isNew(42, {}), { name: 'TypeError', message: /the flag name must be a string, got the number 42/ });
  assert.throws(() => client.flag('Not A Key'), /invalid flag name "Not A Key"/);
  assert.throws(() => client.flag(undefined), { name: 'TypeError', message: /the flag name must be a string, got undefined/ });
});

test('record refuses a bad arm, outcome or counter, saying what is accepted', () => {
  assert.throws(() => client.record('checkout', 'newer'), {
    name: 'TypeError', message: /arm must be 'legacy', 'new' or a boolean \(true = new\), got "newer"/,
  });
  assert.throws(() => client.record('checkout', 'new', { latency: 3 }), {
    name: 'TypeError', message: /unknown option "latency" of the outcome; accepted: latencyMs, error/,
  });
  assert.throws(() => client.record('checkout', 'new', { latencyMs: -1 }), {
    name: 'TypeError', message: /latencyMs must be a finite number from 0/,
  });
  assert.throws(() => client.record('checkout', 'new', { counters: ['invalid_json'] }), {
    name: 'TypeError', message: /unknown counter "invalid_json"; this client counts no counters/,
  });
  assert.throws(() => client.measure('checkout', 'new', 'not a function'), {
    name: 'TypeError', message: /measure's function must be a function, got a string/,
  });
});

test('shadow refuses a bad spec or options before running anything', async () => {
  let ran = false;
  const legacy = () => {
    ran = true;
    return 1;
  };
  await assert.rejects(
    client.shadow('checkout', {}, { legacy, new: () => 1, compare: { fields: { a: { rule: 'roughly' } } } }),
    /invalid comparison spec .*roughly/,
  );
  await assert.rejects(client.shadow('checkout', {}, { legacy, new: 1 }), {
    name: 'TypeError', message: /new must be a function, got a number/,
  });
  await assert.rejects(client.shadow('checkout', {}, { legacy, new: () => 1, timeout: 5 }), {
    name: 'TypeError', message: /unknown option "timeout" of shadow options/,
  });
  assert.equal(ran, false);
});

test('a new path that crashes, fails or overruns never reaches the caller and is counted', async () => {
  const c = Client.offline(
    documentFile({ flags: [{ key: 'shadowed', stage: 'production', rollout_percent: 100 }] }),
    { env: {} },
  );
  const legacy = () => ({ ok: true });
  const paths = [
    () => undefined.property, // TypeError: a crash
    async () => {
      throw new Error('upstream failed');
    },
    () => new Promise(() => {}), // never settles: a timeout
    () => ({ ok: true }),
  ];
  for (const path of paths) {
    assert.deepEqual(await c.shadow('shadowed', { user_id: 'u1' }, { legacy, new: path, timeoutMs: 50 }), { ok: true });
  }
  const report = c.shadowReport('shadowed');
  assert.deepEqual(
    [report.runs, report.new_panics, report.new_errors, report.timeouts, report.compared],
    [4, 1, 1, 1, 1],
  );
});

test('the new path receives the read-only marker', async () => {
  let marker;
  await client.shadow('checkout', {}, { legacy: () => 1, new: (readOnly) => { marker = readOnly; return 1; } });
  assert.deepEqual(marker, { readOnly: true });
  assert.ok(Object.isFrozen(marker));
});

test('the hot-path functions refuse anything but their own evaluator and a well-formed context', () => {
  const byName = client.flag('checkout');
  for (const stray of [{}, undefined, null, 7, 'checkout', [], () => 1, Symbol('x')]) {
    assert.throws(() => native.isNewByName(stray, 'checkout', ''), {
      name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /expected a cutover evaluator/,
    });
    assert.throws(() => native.isNewByHandle(stray, ''), { name: 'TypeError', message: /expected a cutover evaluator/ });
  }
  // An evaluator of the other kind is refused, not misread.
  const nativeClient = native.offline(documentFile({ flags: [{ key: 'checkout', stage: 'production', rollout_percent: 100 }] }), {});
  const clientEvaluator = nativeClient.evaluator();
  const flagEvaluator = nativeClient.flag('checkout').evaluator();
  assert.throws(() => native.isNewByHandle(clientEvaluator, ''), { name: 'TypeError', message: /needs a flag's evaluator/ });
  assert.throws(() => native.isNewByName(flagEvaluator, 'checkout', ''), { name: 'TypeError', message: /needs a client's evaluator/ });
  assert.throws(() => native.isNewByName(clientEvaluator, 42, ''), { name: 'TypeError', message: /the flag name must be a string, got the number 42/ });
  assert.throws(() => native.isNewByName(clientEvaluator, 'checkout', {}), { name: 'TypeError', message: /a flattened context must be a string, got an object/ });
  assert.throws(() => native.isNewByName(clientEvaluator, 'checkout', 'user_id\0u-1'), { name: 'TypeError', message: /cut short/ });
  assert.equal(native.isNewByName(clientEvaluator, 'checkout', 'user_id\0u-1\0'), true);
  assert.equal(native.isNewByHandle(flagEvaluator, ''), true);
  assert.equal(byName.isNew({ user_id: 'u-1' }), true);
});

test('a Rust panic at the boundary is a JavaScript exception, and the process goes on', () => {
  assert.throws(() => native._panicForTesting('deliberate'), /deliberate/);
  assert.equal(client.isNew('checkout', {}), true);
});

test('an unreadable flag file and a bad override are refused with what was wrong', () => {
  assert.throws(() => Client.offline('/no/such/file.json'), /cannot read the flag file \/no\/such\/file.json/);
  assert.throws(
    () => Client.offline(documentFile({ flags: [] }), { env: { CUTOVER_FLAG_CHECKOUT: 'perhaps' } }),
    /invalid environment override: .*perhaps/,
  );
  assert.throws(() => Client.offline(documentFile({ flags: [] }), { env: { CUTOVER_FLAG_X: 1 } }), {
    name: 'TypeError', message: /env variable CUTOVER_FLAG_X must be a string, got a number/,
  });
});
