// The turn endpoint of the story game service with the AWF pipeline behind the cutover flag
// `awf-bundle`: the flag decides per session which pipeline answers; every turn's outcome
// (latency, error, fallback to legacy, validator retry, the `invalid_retry` counter) is recorded
// for the guard; sessions still on legacy run the new pipeline in shadow, compared field by
// field with what legacy served.
//
// Run it against a server (`CUTOVER_URL`, `CUTOVER_TOKEN`) and it plays simulated traffic until
// stopped; `AWF_ERROR_RATE` / `AWF_INVALID_RATE` make the new pipeline worse to watch the guard
// roll it back.

import { Client, type ComparisonSpec } from '@cutover/sdk';

import { type ModelFaults, type Turn, type TurnInput, runAwfTurn, runLegacyTurn } from './pipeline';

export const FLAG = 'awf-bundle';

/** Legacy and AWF agree when they land in the same scene with the same choices. */
export const TURN_COMPARISON: ComparisonSpec = {
  fields: {
    choices: { rule: 'unordered' },
    narration: { rule: 'ignore' },
    traceId: { rule: 'ignore' },
  },
};

export class TurnService {
  readonly #cutover: Client;
  readonly #faults: ModelFaults;
  readonly #flag;

  constructor(cutover: Client, faults: ModelFaults) {
    this.#cutover = cutover;
    this.#faults = faults;
    this.#flag = cutover.flag(FLAG);
  }

  /** One turn: the AWF pipeline for sessions the flag sends there, legacy (shadowed) for the rest. */
  async turn(input: TurnInput): Promise<Turn> {
    const ctx = { session_id: input.sessionId, user_id: input.userId };
    if (!this.#flag.isNew(ctx)) {
      return this.#cutover.shadow(FLAG, ctx, {
        legacy: () => this.#flag.measure('legacy', () => runLegacyTurn(input)),
        new: async () => (await runAwfTurn(input, this.#faults)).turn,
        compare: TURN_COMPARISON,
        timeoutMs: 2000,
        sample: 20,
      });
    }
    const started = performance.now();
    try {
      const run = await runAwfTurn(input, this.#faults);
      this.#flag.record('new', {
        latencyMs: performance.now() - started,
        retry: run.retried,
        counters: run.retried ? ['invalid_retry'] : [],
      });
      return run.turn;
    } catch (error) {
      // The AWF pipeline failed: count it against the new arm and answer with legacy, as
      // requirement 001's fallback does.
      this.#flag.record('new', {
        latencyMs: performance.now() - started,
        error: true,
        fallback: true,
      });
      return runLegacyTurn(input);
    }
  }
}

function rate(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`${name} must be a rate from 0 to 1, got ${process.env[name]}`);
  }
  return value;
}

async function main(): Promise<void> {
  const url = process.env.CUTOVER_URL ?? 'http://127.0.0.1:7070';
  const token = process.env.CUTOVER_TOKEN;
  if (!token) throw new Error('set CUTOVER_TOKEN to an sdk token (cutover token create NAME --role sdk)');
  const cutover = await Client.connect(url, token, {
    counters: ['invalid_retry'],
    metricsIntervalMs: 1000,
  });
  cutover.onChange((change) => console.log('flags changed:', change));
  const service = new TurnService(cutover, {
    errorRate: rate('AWF_ERROR_RATE', 0.01),
    invalidRate: rate('AWF_INVALID_RATE', 0.02),
    latencyMs: 5,
  });
  let turns = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 20; i++) {
      const n = turns++;
      void service.turn({
        sessionId: `session-${n % 5000}`,
        userId: `user-${n % 2000}`,
        inputText: `I step into the glade and look toward the eyes (${n % 37}).`,
      });
    }
  }, 50);
  const stop = async () => {
    clearInterval(timer);
    await cutover.close();
    console.log(`stopped after ${turns} turns; shadow findings:`, cutover.shadowReport(FLAG).tally);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  console.log(`serving simulated turns against ${url}; flag ${FLAG}; Ctrl-C stops`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
