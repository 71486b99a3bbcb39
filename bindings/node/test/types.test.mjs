// The TypeScript declarations (index.d.ts, openfeature.d.ts) type-check real use: test/usage.ts
// and the example service in examples/node, compiled with `tsc --noEmit`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

test('the declarations type-check the usage file and the example', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('./tsconfig.json', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
  } catch (error) {
    assert.fail(`tsc found errors:\n${error.stdout}${error.stderr}`);
  }
});
