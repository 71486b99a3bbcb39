// A service of this binding under load while a guarded rollout runs: each request asks the
// client which path to take, runs it (the new path failing at one rate, legacy at another) and
// measures it, so the guard judges figures that came through the SDK.

import { Client } from '../index.js';
import { Server, eventually } from './server.mjs';

export const PLAN = '10,50,100 every 5s';

/** Starts a server and a plan on flag `checkout`, drives load, waits for `until(flag)`. */
export async function guardedRollout({ legacyErrors, newErrors, until, withinMs }) {
  const server = await Server.start();
  try {
    await server.createFlag('checkout', 0);
    const client = await Client.connect(server.url, await server.sdkToken(), {
      metricsIntervalMs: 1000,
    });
    let user = 0;
    const load = setInterval(() => {
      for (let i = 0; i < 8; i++) {
        const ctx = { user_id: `user-${user++}` };
        const arm = client.isNew('checkout', ctx) ? 'new' : 'legacy';
        const rate = arm === 'new' ? newErrors : legacyErrors;
        try {
          client.measure('checkout', arm, () => {
            if (Math.random() < rate) throw new Error(`the ${arm} path failed`);
          });
        } catch {
          // counted as an error by measure; the service would answer 500
        }
      }
    }, 20);
    const started = Date.now();
    await server.cli('rollout', 'start', 'checkout', '--plan', PLAN, '--min-samples', '100');
    try {
      const flag = await eventually(async () => {
        const f = await server.flag('checkout');
        return until(f) ? f : undefined;
      }, withinMs, `the rollout to reach its end (${withinMs} ms)`);
      return { flag, tookMs: Date.now() - started, client };
    } finally {
      clearInterval(load);
      await client.close();
    }
  } finally {
    await server.stop();
  }
}
