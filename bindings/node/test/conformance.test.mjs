// The conformance file, through this binding: every decision case (variant, reason and flag
// version exactly as the Rust SDK decided them) and every shadow suite's report.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '../index.js';
import { conformance, documentFile, newPathOf } from '../test-support/conformance.mjs';

test('the file holds decision suites and shadow suites of format 1', () => {
  assert.equal(conformance.format, 1);
  const cases = conformance.decisions.reduce((n, suite) => n + suite.cases.length, 0);
  assert.ok(cases >= 2000, `only ${cases} decision cases`);
  assert.ok(conformance.shadows.length >= 2);
});

for (const suite of conformance.decisions) {
  test(`decisions: ${suite.name} (${suite.cases.length} cases)`, () => {
    const client = Client.offline(documentFile(suite.document), { env: suite.env });
    let checked = 0;
    for (const c of suite.cases) {
      const d = client.decide(c.flag, c.context);
      const where = `${c.flag} for ${JSON.stringify(c.context)}`;
      assert.deepEqual(
        { variant: d.variant, reason: d.reason, flag_version: d.flagVersion },
        c.decision,
        where,
      );
      assert.equal(client.isNew(c.flag, c.context), c.decision.variant === 'new', where);
      assert.equal(client.flag(c.flag).isNew(c.context), c.decision.variant === 'new', where);
      checked += 1;
    }
    assert.equal(checked, suite.cases.length);
  });
}

for (const suite of conformance.shadows) {
  test(`shadow report: ${suite.flag} (${suite.runs.length} runs)`, async () => {
    const flag = {
      key: suite.flag, enabled: true, stage: 'production', rollout_percent: 100,
      killed: false, stickiness: 'user_id', version: 1,
    };
    const client = Client.offline(documentFile({ flags: [flag] }), { env: {} });
    for (const run of suite.runs) {
      const served = await client.shadow(suite.flag, run.context, {
        legacy: () => run.legacy,
        new: newPathOf(run),
        compare: suite.spec,
        timeoutMs: 200,
      });
      assert.deepEqual(served, run.legacy, 'a shadow run serves the legacy result');
    }
    assert.deepEqual(client.shadowReport(suite.flag), suite.report);
  });
}
