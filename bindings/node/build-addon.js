'use strict';
// The package's install step: builds the native addon (the napi-rs crate in this directory) in
// release and puts it beside index.js as cutover.node.
//
// With @napi-rs/cli installed (this package's own `npm ci`), `napi build` does it. Installed from
// a folder (`npm install ./bindings/node`), npm links the folder and runs this script before it
// installs the folder's own dependencies, so the CLI is not there: cargo builds the crate itself
// and the library it reports is copied. Either way the build needs cargo on the machine.

const { execFileSync, spawnSync } = require('node:child_process');
const { copyFileSync } = require('node:fs');
const { join } = require('node:path');

const here = __dirname;

function napiCli() {
  try {
    return require.resolve('@napi-rs/cli/package.json', { paths: [here] });
  } catch {
    return undefined;
  }
}

if (napiCli()) {
  execFileSync('npx', ['napi', 'build', '--release', '--no-js', '--dts', 'native.d.ts'], {
    cwd: here,
    stdio: 'inherit',
  });
} else {
  const cargo = spawnSync(
    'cargo',
    ['build', '--release', '--lib', '--message-format=json-render-diagnostics', '--manifest-path', join(here, 'Cargo.toml')],
    { cwd: here, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (cargo.error) {
    throw new Error(`cannot run cargo to build the cutover addon (is Rust installed?): ${cargo.error.message}`);
  }
  if (cargo.status !== 0) process.exit(cargo.status ?? 1);
  const library = cargo.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((m) => m.reason === 'compiler-artifact' && m.target?.name === 'cutover_node')
    .flatMap((m) => m.filenames)
    .find((f) => /\.(so|dylib|dll)$/.test(f));
  if (!library) throw new Error('cargo built no cutover_node library');
  copyFileSync(library, join(here, 'cutover.node'));
  console.log(`cutover: built ${library} -> cutover.node`);
}
