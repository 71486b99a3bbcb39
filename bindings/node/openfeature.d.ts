// Types of the OpenFeature provider (openfeature.js), for `@openfeature/server-sdk`.
import type {
  EvaluationContext,
  JsonValue,
  OpenFeatureEventEmitter,
  Provider,
  ResolutionDetails,
} from '@openfeature/server-sdk';
import type { Client } from './index';

export declare class CutoverProvider implements Provider {
  constructor(client: Client);
  readonly metadata: { readonly name: 'cutover' };
  readonly runsOn: 'server';
  readonly hooks: [];
  readonly events: OpenFeatureEventEmitter;
  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>>;
  /** Always a TYPE_MISMATCH: cutover flags are booleans. */
  resolveStringEvaluation(flagKey: string): Promise<ResolutionDetails<string>>;
  /** Always a TYPE_MISMATCH: cutover flags are booleans. */
  resolveNumberEvaluation(flagKey: string): Promise<ResolutionDetails<number>>;
  /** Always a TYPE_MISMATCH: cutover flags are booleans. */
  resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>>;
  onClose(): Promise<void>;
}
