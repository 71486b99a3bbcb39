// Checked by `tsc --noEmit` (types.test.mjs): the declarations let TypeScript code use the whole
// surface, and refuse what the runtime refuses.

import { OpenFeature } from '@openfeature/server-sdk';
import { Client, type Change, type Decision, type ShadowReport, type Status } from '@cutover/sdk';
import { CutoverProvider } from '@cutover/sdk/openfeature';

export async function everyCall(url: string, token: string): Promise<void> {
  const client = await Client.connect(url, token, {
    cacheFile: '/tmp/flags.json',
    initialTimeoutMs: 2000,
    counters: ['invalid_json'],
  });
  const yes: boolean = client.isNew('checkout', { user_id: 'u1', age: 42, beta: true });
  const decision: Decision = client.decide('checkout', { user_id: 'u1' });
  const kind: string = decision.reason.kind;
  const variant: 'legacy' | 'new' = decision.variant;
  const flag = client.flag('checkout');
  flag.isNew({ user_id: 'u1' });
  client.record('checkout', yes ? 'new' : 'legacy', { latencyMs: 3, error: false, counters: ['invalid_json'] });
  const n: number = client.measure('checkout', 'new', (m) => {
    m.retry();
    return 1;
  });
  const s: string = await client.measure('checkout', true, async () => 'done');
  const served: { agent: string } = await client.shadow('router', { user_id: 'u1' }, {
    legacy: () => ({ agent: 'billing' }),
    new: async (readOnly) => (readOnly.readOnly ? { agent: 'api' } : { agent: 'billing' }),
    compare: { fields: { agent: { rule: 'exact' }, confidence: { rule: 'within', eps: 0.05 } } },
    timeoutMs: 500,
  });
  const report: ShadowReport = client.shadowReport('router');
  const unsubscribe: () => void = client.onChange((change: Change) => {
    if (change.kind === 'flag') console.log(change.flag, change.deleted);
  });
  unsubscribe();
  const status: Status = client.status();
  await OpenFeature.setProviderAndWait(new CutoverProvider(client));
  await client.close();
  console.log(kind, variant, n, s, served, report.tally.cases, status.stalenessMs ?? 'never');
  // @ts-expect-error a context holds strings, numbers and booleans only
  client.isNew('checkout', { nested: { a: 1 } });
  // @ts-expect-error the arm is 'legacy', 'new' or a boolean
  client.record('checkout', 'newer');
}
