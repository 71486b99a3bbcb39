// A real `cutover serve` for the interop tests: started on a temporary store, driven through its
// admin API, and stopped at the end.
//
// The suite tests cutover as a service sees it, so it starts the binary itself (CUTOVER_BIN)
// rather than anything in-process, and sets flags and tokens up the way an operator would.

import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const LISTENING = /^cutover listening on (http:\/\/\S+)$/;
// One Prometheus sample of the request counter: its labels (a route such as
// `/ofrep/v1/evaluate/flags/{key}` holds braces itself) and its value.
const REQUEST_SAMPLE = /^cutover_http_requests_total\{(.*)\} (\S+)$/;
const STARTUP_MS = 30_000;

// Servers not stopped yet. A test file whose setup failed half-way may never stop the ones it
// started, so they are killed when the test process exits; and they are unreferenced, so they
// never keep that process from exiting.
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The cutover binary under test, or an error saying how to name one. */
export function binaryFromEnvironment() {
  const path = process.env.CUTOVER_BIN;
  if (!path) {
    throw new Error(
      'CUTOVER_BIN is not set: run this suite through scripts/test, or build the binary with ' +
        '`cargo build -p cutover-cli` and set CUTOVER_BIN=$PWD/target/debug/cutover',
    );
  }
  return path;
}

/** One `cutover serve` process on its own store, listening on a free local port. */
export class Cutover {
  static async start(...extraArgs) {
    const binary = binaryFromEnvironment();
    const dir = mkdtempSync(join(tmpdir(), 'cutover-interop-'));
    // A clean environment: a CUTOVER_* variable of the caller (CUTOVER_DB, CUTOVER_EVAL_RATE,
    // CUTOVER_BIN itself...) must not change the server the tests think they started.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('CUTOVER_')),
    );
    const logPath = join(dir, 'serve.log');
    const log = openSync(logPath, 'w');
    const store = join(dir, 'cutover.db');
    const args = ['serve', '--db', store, '--listen', '127.0.0.1:0', ...extraArgs];
    const child = spawn(binary, args, { cwd: dir, env, stdio: ['ignore', 'pipe', log] });
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    child.unref();
    child.stdout.unref();
    const server = new Cutover(child, dir, logPath);
    await server.#readStartup();
    return server;
  }

  constructor(child, dir, logPath) {
    this.child = child;
    this.dir = dir;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    // The server prints to stdout for as long as it runs; this listener stays attached and
    // keeps draining it, so a full pipe never blocks the server.
    this.lines = [];
    createInterface({ input: child.stdout }).on('line', (line) => this.lines.push(line));
  }

  async #readStartup() {
    const deadline = Date.now() + STARTUP_MS;
    for (;;) {
      this.adminToken = this.lines.find((line) => line.startsWith('cut_'))?.trim();
      this.url = this.lines.map((line) => LISTENING.exec(line)?.[1]).find(Boolean);
      if (this.url && this.adminToken) return;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        const what =
          this.child.exitCode !== null
            ? `exited with ${this.child.exitCode} on start`
            : `printed no address and admin token within ${STARTUP_MS / 1000} s`;
        const log = this.log();
        await this.stop();
        throw new Error(`cutover serve ${what}; its log:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  log() {
    return readFileSync(this.logPath, 'utf8');
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killed = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(killed);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  // --- The admin API, as an operator would use it -----------------------------------------

  async #call(method, path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.adminToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }

  createFlag(key, percent = 0) {
    return this.#call('POST', '/api/v1/flags', { key, rollout_percent: percent });
  }

  setRollout(key, percent) {
    return this.#call('PUT', `/api/v1/flags/${key}/rollout`, { percent });
  }

  addOverride(key, attribute, value, variant) {
    return this.#call('POST', `/api/v1/flags/${key}/overrides`, { attribute, value, variant });
  }

  flag(key) {
    return this.#call('GET', `/api/v1/flags/${key}`);
  }

  async createToken(name, role) {
    return (await this.#call('POST', '/api/v1/tokens', { name, role })).token;
  }

  /** How many OFREP requests reached the server, whatever their answer, from /metrics. */
  async ofrepRequests() {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let total = 0;
    for (const line of text.split('\n')) {
      const sample = REQUEST_SAMPLE.exec(line);
      if (sample && /route="\/ofrep\//.test(sample[1])) total += Number(sample[2]);
    }
    return total;
  }
}
