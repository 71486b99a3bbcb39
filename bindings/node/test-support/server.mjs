// A real `cutover serve` for the binding's tests: the binary from CUTOVER_BIN on a temporary
// SQLite store and a free port, set up through its admin API as an operator would.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const LISTENING = /^cutover listening on (http:\/\/\S+)$/;
const STARTUP_MS = 30_000;

/** Why the server tests are skipped, or undefined when CUTOVER_BIN names the binary. */
export const skipReason = process.env.CUTOVER_BIN
  ? undefined
  : 'CUTOVER_BIN is not set: skipped. Run scripts/test, or build with `cargo build -p ' +
    'cutover-cli` and set CUTOVER_BIN=$PWD/target/debug/cutover';
if (skipReason) console.log(skipReason);

// Servers still running when the test process exits (a setup that failed half-way) are killed.
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class Server {
  static async start(...extraArgs) {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-node-'));
    // A CUTOVER_* variable of the caller must not change the server the test thinks it started.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('CUTOVER_')),
    );
    const logPath = join(dir, 'serve.log');
    const log = openSync(logPath, 'w');
    const args = ['serve', '--db', join(dir, 'cutover.db'), '--listen', '127.0.0.1:0', ...extraArgs];
    const child = spawn(process.env.CUTOVER_BIN, args, { cwd: dir, env, stdio: ['ignore', 'pipe', log] });
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    child.unref();
    child.stdout.unref();
    const server = new Server(child, dir, logPath, env);
    await server.#started();
    return server;
  }

  constructor(child, dir, logPath, env) {
    this.child = child;
    this.dir = dir;
    this.logPath = logPath;
    this.env = env;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    this.lines = [];
    // Keeps draining stdout for as long as the server runs, so it never blocks on a full pipe.
    createInterface({ input: child.stdout }).on('line', (line) => this.lines.push(line));
  }

  async #started() {
    const deadline = Date.now() + STARTUP_MS;
    for (;;) {
      this.adminToken = this.lines.find((line) => line.startsWith('cut_'))?.trim();
      this.url = this.lines.map((line) => LISTENING.exec(line)?.[1]).find(Boolean);
      if (this.url && this.adminToken) return;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        const log = readFileSync(this.logPath, 'utf8');
        await this.stop();
        throw new Error(`cutover serve did not start; its log:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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

  async call(method, path, body) {
    const response = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.adminToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  createFlag(key, percent = 0) {
    return this.call('POST', '/flags', { key, rollout_percent: percent });
  }

  setRollout(key, percent) {
    return this.call('PUT', `/flags/${key}/rollout`, { percent });
  }

  flag(key) {
    return this.call('GET', `/flags/${key}`);
  }

  async sdkToken(name = 'node-sdk') {
    return (await this.call('POST', '/tokens', { name, role: 'sdk' })).token;
  }

  /** Runs the cutover CLI against this server (`cutover --server URL --token T ...args`). */
  async cli(...args) {
    const run = promisify(execFile);
    const { stdout } = await run(
      process.env.CUTOVER_BIN,
      ['--server', this.url, '--token', this.adminToken, ...args],
      { env: this.env },
    );
    return stdout;
  }
}

/** Polls `check` every 50 ms until it returns a truthy value, for at most `ms`. */
export async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
