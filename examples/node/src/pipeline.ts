// The two turn pipelines of a story game backend, in the manner of the AWF migration
// (requirement 001): the legacy turn handler and the new AWF bundle pipeline, which asks a model
// for a structured turn, validates it, retries an invalid one once, and falls back to legacy
// when it still cannot produce a valid turn.
//
// Both are deterministic in (session, input) so that a shadow comparison of the two means
// something; the "model" is simulated, with a rate of invalid output and of failures a demo can
// turn up to watch the guard roll the new pipeline back.

export interface TurnInput {
  sessionId: string;
  userId: string;
  inputText: string;
}

export interface Turn {
  scene: string;
  narration: string;
  choices: string[];
  sceneChange: boolean;
  /** Differs between runs by design; the shadow comparison ignores it. */
  traceId: string;
}

/** How the simulated model misbehaves (rates from 0 to 1). */
export interface ModelFaults {
  invalidRate: number;
  errorRate: number;
  latencyMs: number;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

const SCENES = ['forest-glade', 'river-crossing', 'old-mill', 'watchtower'];
const CHOICES = ['look around', 'call out', 'step back', 'follow the eyes', 'wait', 'draw a map'];

function sceneFor(input: TurnInput): { scene: string; sceneChange: boolean; choices: string[] } {
  const h = hash(`${input.sessionId}:${input.inputText}`);
  const scene = SCENES[h % SCENES.length];
  const choices = CHOICES.filter((_, i) => (h >> i) & 1).slice(0, 4);
  return { scene, sceneChange: (h & 0x10) !== 0, choices: choices.length ? choices : ['wait'] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The legacy turn handler: a template per scene. */
export async function runLegacyTurn(input: TurnInput): Promise<Turn> {
  await sleep(2);
  const { scene, sceneChange, choices } = sceneFor(input);
  return {
    scene,
    narration: `You ${input.inputText.toLowerCase()} The ${scene.replace('-', ' ')} is quiet.`,
    choices,
    sceneChange,
    traceId: `legacy-${hash(input.inputText + Math.random())}`,
  };
}

export class InvalidTurn extends Error {}

/** The AWF validator: a turn must name a scene, offer 1 to 5 choices and narrate something. */
export function validate(turn: Partial<Turn>): turn is Turn {
  return typeof turn.scene === 'string' && Array.isArray(turn.choices) &&
    turn.choices.length >= 1 && turn.choices.length <= 5 &&
    typeof turn.narration === 'string' && turn.narration.length > 0;
}

/** One call of the simulated model: a turn that may be invalid, or a failure. */
async function askModel(input: TurnInput, faults: ModelFaults, attempt: number): Promise<Partial<Turn>> {
  await sleep(faults.latencyMs);
  if (Math.random() < faults.errorRate) throw new Error('the model provider answered 503');
  const { scene, sceneChange, choices } = sceneFor(input);
  if (Math.random() < faults.invalidRate) return { scene, choices: [] };
  return {
    scene,
    narration: `You ${input.inputText.toLowerCase()} The ${scene.replace('-', ' ')} is quiet.`,
    // The model lists the same choices in its own order; the comparison treats them as a set.
    choices: [...choices].reverse(),
    sceneChange,
    traceId: `awf-${attempt}-${hash(input.inputText + Math.random())}`,
  };
}

/** What the AWF pipeline did besides its turn: the outcome the service records. */
export interface AwfRun {
  turn: Turn;
  /** The first answer was invalid and the validator asked again. */
  retried: boolean;
}

/** The new AWF bundle pipeline: model, validator, one retry. Throws InvalidTurn if both fail. */
export async function runAwfTurn(input: TurnInput, faults: ModelFaults): Promise<AwfRun> {
  const first = await askModel(input, faults, 1);
  if (validate(first)) return { turn: first, retried: false };
  const second = await askModel(input, faults, 2);
  if (validate(second)) return { turn: second, retried: true };
  throw new InvalidTurn('the model gave no valid turn in two attempts');
}
