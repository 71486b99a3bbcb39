// CORS on OFREP (`--cors-origin`), over raw HTTP as a browser would send it: a page from the
// allowed origin may call the endpoints and read the ETag; another origin is not allowed, and a
// server started without the option allows none.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Cutover } from '../lib/cutover.mjs';
import { bearer } from '../lib/clients.mjs';

const PAGE_ORIGIN = 'http://localhost:3000';
let cors;
let plain;

before(async () => {
  plain = await Cutover.start();
  cors = await Cutover.start('--cors-origin', PAGE_ORIGIN);
});

after(async () => {
  await Promise.all([cors?.stop(), plain?.stop()]);
});

function preflight(server, origin) {
  return fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type,if-none-match',
    },
  });
}

test('a preflight from the allowed origin is allowed', async () => {
  const response = await preflight(cors, PAGE_ORIGIN);
  assert.ok(response.ok, `preflight answered ${response.status}`);
  assert.equal(response.headers.get('Access-Control-Allow-Origin'), PAGE_ORIGIN);
  assert.match(response.headers.get('Access-Control-Allow-Methods'), /POST/);
  const allowed = response.headers.get('Access-Control-Allow-Headers').toLowerCase();
  for (const header of ['authorization', 'content-type', 'if-none-match']) {
    assert.ok(allowed.includes(header), `${header} is not among the allowed headers: ${allowed}`);
  }
});

test('the answer to the allowed origin exposes the ETag', async () => {
  const token = await cors.createToken('node-page', 'sdk');
  const response = await fetch(`${cors.url}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: {
      Origin: PAGE_ORIGIN,
      'Content-Type': 'application/json',
      ...Object.fromEntries(bearer(token)),
    },
    body: JSON.stringify({ context: {} }),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('Access-Control-Allow-Origin'), PAGE_ORIGIN);
  assert.match(response.headers.get('Access-Control-Expose-Headers').toLowerCase(), /etag/);
  assert.ok(response.headers.get('ETag'));
});

test('another origin, or a server without --cors-origin, is not allowed', async () => {
  for (const [server, origin] of [[cors, 'http://elsewhere.example'], [plain, PAGE_ORIGIN]]) {
    const response = await preflight(server, origin);
    const allowed = response.headers.get('Access-Control-Allow-Origin');
    assert.equal(allowed, null, `${origin} was allowed`);
  }
});
