// The Node binding's benchmarks, in one run beside its peers:
//   - `isNew` by flag name and through a flag handle, `record`, `decide` (release addon);
//   - unleash-client's `isEnabled` on an equivalent flag (gradual rollout 50 % on userId),
//     bootstrapped offline: no server, metrics off;
//   - @openfeature/ofrep-provider against a running `cutover serve` (one HTTP request per
//     evaluation: the way a Node service reached cutover before this binding);
//   - change propagation: from sending a change to the server to the connected client's
//     onChange callback, over 100 changes (p50, p99, max).
//
// Usage (from bindings/node, after `npm install`, which builds the addon in release):
//   CUTOVER_BIN=target/release/cutover node bench/run.mjs

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { InMemStorageProvider, Unleash } from 'unleash-client';

import { Client } from '../index.js';
import { Server } from '../test-support/server.mjs';

const CONTEXTS = Array.from({ length: 1024 }, (_, i) => ({ user_id: `user-${i}`, tenant: 'acme' }));
const UNLEASH_CONTEXTS = CONTEXTS.map((c) => ({ userId: c.user_id, properties: { tenant: c.tenant } }));

/** Nanoseconds per call of `body(i)` over `n` calls, the best of `rounds` rounds. */
function perCall(n, body, rounds = 5) {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += body(i) ? 1 : 0;
    best = Math.min(best, Number(process.hrtime.bigint() - started) / n);
  }
  if (sink < 0) console.log(sink); // keeps the calls from being optimised away
  return best;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const results = [];
function report(name, ns, note = '') {
  results.push({ name, ns });
  const shown = ns >= 100_000 ? `${(ns / 1e6).toFixed(3)} ms` : `${ns.toFixed(0)} ns`;
  console.log(`${name.padEnd(58)} ${shown.padStart(12)} per call ${note}`);
}

const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
const flags = join(dir, 'flags.json');
writeFileSync(flags, JSON.stringify({
  flags: [{ key: 'checkout', stage: 'beta', rollout_percent: 50, stickiness: 'user_id' }],
}));
const client = Client.offline(flags, { env: {} });
const handle = client.flag('checkout');
const N = 1_000_000;
const mask = CONTEXTS.length - 1;

report('cutover isNew(name, ctx) [2 attributes]', perCall(N, (i) => client.isNew('checkout', CONTEXTS[i & mask])));
report('cutover flag(name).isNew(ctx) [handle]', perCall(N, (i) => handle.isNew(CONTEXTS[i & mask])));
report('cutover isNew(name, {}) [empty context]', perCall(N, () => client.isNew('checkout', {})));
const outcome = { latencyMs: 1.5 };
report('cutover record(name, arm, {latencyMs})', perCall(N, (i) => client.record('checkout', (i & 1) === 0 ? 'new' : 'legacy', outcome)));
report('cutover record(name, arm, {latencyMs, error})', perCall(N, (i) => client.record('checkout', 'new', { latencyMs: 2, error: (i & 63) === 0 })));
report('cutover decide(name, ctx) [allocates the result]', perCall(N / 4, (i) => client.decide('checkout', CONTEXTS[i & mask]).variant === 'new'));

// unleash-client, the same flag: a gradual rollout of 50 % stuck to userId, bootstrapped.
const unleash = new Unleash({
  appName: 'cutover-bench',
  url: 'http://127.0.0.1:9/api/',
  disableMetrics: true,
  refreshInterval: 0,
  storageProvider: new InMemStorageProvider(),
  skipInstanceCountWarning: true,
  bootstrap: {
    data: [{
      name: 'checkout',
      enabled: true,
      strategies: [{
        name: 'flexibleRollout',
        parameters: { rollout: '50', stickiness: 'userId', groupId: 'checkout' },
        constraints: [],
      }],
    }],
  },
});
unleash.on('error', () => {}); // the fetch to the absent server fails; bootstrap serves
await new Promise((resolve) => unleash.once('ready', resolve));
let agreeing = 0;
for (const c of UNLEASH_CONTEXTS) agreeing += unleash.isEnabled('checkout', c) ? 1 : 0;
report('unleash-client isEnabled(name, ctx) [offline bootstrap]', perCall(N, (i) => unleash.isEnabled('checkout', UNLEASH_CONTEXTS[i & mask])),
  `(${agreeing} of ${UNLEASH_CONTEXTS.length} enabled)`);
unleash.destroy();

if (!process.env.CUTOVER_BIN) {
  console.log('CUTOVER_BIN is not set: the OFREP and change-propagation figures need a server; skipped');
  process.exit(0);
}
const server = await Server.start('--change-rate', '1000', '--change-burst', '1000');
try {
  await server.createFlag('checkout', 50);
  const token = await server.sdkToken('bench');

  // OFREP through the standard provider: one HTTP request per evaluation.
  const ofrep = new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${token}`]] });
  await OpenFeature.setProviderAndWait('ofrep-bench', ofrep);
  const of = OpenFeature.getClient('ofrep-bench');
  const calls = 2000;
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      await of.getBooleanValue('checkout', false, { targetingKey: CONTEXTS[i & mask].user_id });
    }
    best = Math.min(best, Number(process.hrtime.bigint() - started) / calls);
  }
  report('@openfeature/ofrep-provider getBooleanValue [HTTP]', best, '(sequential awaits)');
  await OpenFeature.close();

  // Change propagation to a connected client.
  const live = await Client.connect(server.url, token);
  const waiting = new Map();
  live.onChange((change) => {
    const at = process.hrtime.bigint();
    if (change.kind === 'flag' && waiting.has(change.flag)) waiting.get(change.flag)(at);
  });
  // The client's stream does not keep the process alive (a service's own server does): this
  // timer does while the bench waits for callbacks.
  const keepAlive = setInterval(() => {}, 1000);
  const delays = [];
  for (let i = 0; i < 100; i++) {
    const arrived = new Promise((resolve) => waiting.set('checkout', resolve));
    const sent = process.hrtime.bigint();
    await server.setRollout('checkout', i % 2 === 0 ? 60 : 40);
    delays.push(Number((await arrived) - sent) / 1e6);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  delays.sort((a, b) => a - b);
  console.log(
    `change propagation, 100 changes (PUT sent -> onChange called): p50 ${quantile(delays, 0.5).toFixed(2)} ms, ` +
      `p99 ${quantile(delays, 0.99).toFixed(2)} ms, max ${delays.at(-1).toFixed(2)} ms`,
  );
  clearInterval(keepAlive);
  await live.close();
} finally {
  await server.stop();
}
