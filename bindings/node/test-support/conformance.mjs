// The conformance file every SDK checks itself against (conformance/sdk.json at the root of the
// repository), and how its contents become inputs of this binding.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const conformance = JSON.parse(
  readFileSync(new URL('../../../conformance/sdk.json', import.meta.url), 'utf8'),
);

/** Writes a flag document to a temporary file; its path. */
export function documentFile(document) {
  const path = join(mkdtempSync(join(tmpdir(), 'cutover-node-doc-')), 'flags.json');
  writeFileSync(path, JSON.stringify(document));
  return path;
}

/** A shadow run's new path as the file describes it: a value, an error, a crash or a timeout. */
export function newPathOf(run) {
  const outcome = run.new;
  return async () => {
    if ('value' in outcome) return outcome.value;
    if ('error' in outcome) throw new Error(outcome.error);
    if ('panic' in outcome) throw new TypeError(String(outcome.panic));
    if ('timeout' in outcome) return new Promise(() => {});
    throw new Error(`unknown new-path outcome ${JSON.stringify(outcome)} in the conformance file`);
  };
}
