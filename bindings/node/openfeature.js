'use strict';
// The client as an OpenFeature provider for `@openfeature/server-sdk`:
//   await OpenFeature.setProviderAndWait(new CutoverProvider(client));
// Cutover flags are booleans to OpenFeature (true = the new path), with variant `legacy` or
// `new`, the OpenFeature reason of the decision, and the flag version, cutover's own reason and
// its explanation as flag metadata; asking for another type is a type mismatch. The decision is
// the Rust SDK's, as for `client.decide`.

const {
  FlagNotFoundError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  TypeMismatchError,
} = require('@openfeature/server-sdk');

/**
 * The attributes cutover rules can read: the targeting key as `targetingKey` (the last link of
 * every stickiness chain) and every string, number and boolean field. Dates and structures match
 * no cutover rule and are left out, as the Rust SDK's provider does.
 */
function contextOf(evaluationContext) {
  const ctx = {};
  for (const [name, value] of Object.entries(evaluationContext ?? {})) {
    const type = typeof value;
    if (type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value))) {
      ctx[name] = value;
    }
  }
  return ctx;
}

class CutoverProvider {
  metadata = { name: 'cutover' };
  runsOn = 'server';
  hooks = [];
  events = new OpenFeatureEventEmitter();
  #client;
  #unsubscribe;

  /** @param {import('./index').Client} client a connected or offline cutover client */
  constructor(client) {
    this.#client = client;
    this.#unsubscribe = client.onChange((change) => {
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        flagsChanged: change.kind === 'flag' ? [change.flag] : undefined,
      });
    });
  }

  async resolveBooleanEvaluation(flagKey, _defaultValue, context) {
    const d = this.#client.explain(flagKey, contextOf(context));
    if (d.reason.kind === 'flag_not_found') {
      throw new FlagNotFoundError(`cutover has no flag ${JSON.stringify(flagKey)}`);
    }
    return {
      value: d.variant === 'new',
      variant: d.variant,
      reason: d.openfeatureReason,
      flagMetadata: {
        flagVersion: d.flagVersion,
        cutoverReason: d.reason.kind,
        explanation: d.explanation,
      },
    };
  }

  async resolveStringEvaluation(flagKey) {
    throw mismatch(flagKey);
  }

  async resolveNumberEvaluation(flagKey) {
    throw mismatch(flagKey);
  }

  async resolveObjectEvaluation(flagKey) {
    throw mismatch(flagKey);
  }

  /** Stops forwarding changes; the client itself stays open (it belongs to the caller). */
  async onClose() {
    this.#unsubscribe();
  }
}

function mismatch(flagKey) {
  return new TypeMismatchError(
    `cutover flag ${JSON.stringify(flagKey)} is a boolean (true = the new path); ask for a boolean`,
  );
}

module.exports = { CutoverProvider };
