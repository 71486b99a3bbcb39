// What the Node interop tests share: the flags the servers hold, and OpenFeature clients backed
// by the standard OFREP provider (npm `@openfeature/ofrep-provider`).

import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { randomUUID } from 'node:crypto';

// Flags every test may read and none changes: one at 100 %, one at 0 % with an override.
export const ON = 'checkout-on';
export const OFF = 'checkout-off';
// The one user the override sends down the new path of OFF.
export const VIP = 'vip-user';

export async function createStandardFlags(cutover) {
  await cutover.createFlag(ON, 100);
  await cutover.createFlag(OFF, 0);
  await cutover.addOverride(OFF, 'targetingKey', VIP, 'new');
}

export const bearer = (token) => [['Authorization', `Bearer ${token}`]];

/**
 * An OpenFeature client bound to its own provider (each gets its own domain, so clients with
 * different tokens or servers never share a provider, nor its rate-limit pause), with `errors`
 * holding what the provider threw: the SDK reduces errors that are not OpenFeature's own (such
 * as the provider's 401, 403 and 429 errors) to GENERAL, and tests check which one it was.
 */
export async function clientFor(url, headers) {
  const provider = new OFREPProvider({ baseUrl: url, headers });
  const domain = `interop-${randomUUID()}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  const errors = [];
  client.addHooks({ error: (_hookContext, error) => errors.push(error) });
  return { client, provider, errors };
}
