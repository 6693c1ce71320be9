/** The hub adapter against two tiny local servers (hub origin and CDN origin): redirects, auth, stalls, errors. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubClient } from '../../src/hf/client.js';
import { hubError, isRetryableHubError, HubHttpError } from '../../src/hf/errors.js';
import { PipelineError } from '../../src/errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
async function serve(h: Handler): Promise<string> {
  const s = createServer(h);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const seen: { origin: string; url: string; auth?: string; range?: string }[] = [];
beforeEach(() => void (seen.length = 0));
const note = (origin: string, req: IncomingMessage) =>
  seen.push({ origin, url: req.url!, auth: req.headers.authorization, range: req.headers.range });
const client = (endpoint: string, extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}) =>
  new HubClient({ endpoint, token: 'hf_test', attempts: 3, sleep: async () => undefined, ...extra });
async function text(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts).toString();
}

test('the token goes to the hub, never to the CDN the 302 points at; Range is passed on', async () => {
  const body = '0123456789';
  const cdn = await serve((req, res) => {
    note('cdn', req);
    const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
    if (start > 0) {
      res.writeHead(206, { 'content-range': `bytes ${start}-9/10`, 'content-length': 10 - start });
      return res.end(body.slice(start));
    }
    res.end(body);
  });
  const hub = await serve((req, res) => {
    note('hub', req);
    res.writeHead(302, { location: `${cdn}/blob?sig=1` });
    res.end();
  });
  const h = client(hub);
  const whole = await h.open('org/m', 'c'.repeat(40), 'w.bin');
  expect(await text(whole.chunks)).toBe(body);
  const tail = await h.open('org/m', 'c'.repeat(40), 'w.bin', 4);
  expect(tail.size).toBe(10);
  expect(await text(tail.chunks)).toBe('456789');
  expect(seen.filter((s) => s.origin === 'hub').every((s) => s.auth === 'Bearer hf_test')).toBe(true);
  expect(seen.filter((s) => s.origin === 'cdn').map((s) => [s.auth, s.range])).toEqual([
    [undefined, undefined],
    [undefined, 'bytes=4-']
  ]);
});

test('a server that ignores Range: the bytes before the offset are dropped', async () => {
  const hub = await serve((_req, res) => res.end('abcdefghij'));
  const f = await client(hub).open('org/m', 'c'.repeat(40), 'a.txt', 3);
  expect(await text(f.chunks)).toBe('defghij');
});

test('a body that stalls fails with a stall error (retryable) instead of hanging', async () => {
  const hub = await serve((_req, res) => {
    res.writeHead(200, { 'content-length': 100 });
    res.write('partial');
  });
  const f = await client(hub, { stallMs: 80 }).open('org/m', 'c'.repeat(40), 'a.txt');
  const err = await text(f.chunks).catch((e: unknown) => e);
  expect((err as Error).name).toBe('StallError');
  expect(isRetryableHubError(err)).toBe(true);
});

test('the tree listing follows Link pages and checks every path', async () => {
  const hub = await serve((req, res) => {
    note('hub', req);
    if (!req.url!.includes('cursor=')) {
      res.setHeader('link', `</api/models/org/m/tree/${'c'.repeat(40)}?recursive=true&cursor=2>; rel="next"`);
      return res.end(
        JSON.stringify([
          { type: 'directory', path: 'sub', oid: 'x', size: 0 },
          { type: 'file', path: 'sub/a.json', oid: 'o1', size: 2 }
        ])
      );
    }
    res.end(
      JSON.stringify([
        { type: 'file', path: 'w.bin', oid: 'o2', size: 5, lfs: { oid: 's'.repeat(64), size: 5, pointerSize: 130 } }
      ])
    );
  });
  expect(await client(hub).listFiles('org/m', 'c'.repeat(40))).toEqual([
    { path: 'sub/a.json', size: 2, gitOid: 'o1', sha256: undefined },
    { path: 'w.bin', size: 5, gitOid: 'o2', sha256: 's'.repeat(64) }
  ]);
  expect(seen).toHaveLength(2);
});

test('429 then 503 then success: retried with the Retry-After delay', async () => {
  let n = 0;
  const hub = await serve((_req, res) => {
    n++;
    if (n === 1) res.writeHead(429, { 'retry-after': '9' });
    else if (n === 2) res.writeHead(503);
    else return res.end(JSON.stringify({ sha: 'c'.repeat(40), gated: false }));
    res.end();
  });
  const delays: number[] = [];
  const info = await client(hub, {
    attempts: 3,
    random: () => 0,
    sleep: async (ms) => void delays.push(ms)
  }).resolveRevision('org/m', 'refs/pr/1');
  expect(info).toEqual({ commit: 'c'.repeat(40), gated: false, private: false });
  expect(delays[0]).toBe(9000);
  expect(delays).toHaveLength(2);
});

test.each([
  [401, 'RepoNotFound', 'HF_REPO_NOT_FOUND', /private/],
  [403, 'GatedRepo', 'HF_GATED_REPO', /Accept the licence at http:\/\/hub\/org\/m/],
  [404, 'RevisionNotFound', 'HF_REVISION_NOT_FOUND', /branch, tag or full commit/],
  [404, 'EntryNotFound', 'HF_ENTRY_NOT_FOUND', /re-run/],
  [401, undefined, 'HF_UNAUTHORIZED', /hf-token/],
  [400, undefined, 'HF_REQUEST_FAILED', /hf-endpoint/]
])('HTTP %d %s → %s with a hint', (status, code, ours, hint) => {
  const e = hubError(
    status,
    code ? { 'x-error-code': code } : {},
    'http://hub/x',
    { endpoint: 'http://hub', repo: 'org/m', revision: 'main', path: 'a', hasToken: true },
    0
  );
  expect(e).toBeInstanceOf(PipelineError);
  expect((e as PipelineError).code).toBe(ours);
  expect((e as PipelineError).hint).toMatch(hint);
  expect(isRetryableHubError(e)).toBe(false);
});

test('429 and 5xx are retryable hub errors carrying Retry-After', () => {
  const e = hubError(
    429,
    { 'retry-after': '3' },
    'http://hub/x',
    { endpoint: 'http://hub', repo: 'org/m', hasToken: false },
    0
  );
  expect(e).toBeInstanceOf(HubHttpError);
  expect((e as HubHttpError).retryAfterMs).toBe(3000);
  expect(isRetryableHubError(e)).toBe(true);
  expect(isRetryableHubError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
  expect(isRetryableHubError(new Error('boom'))).toBe(false);
});

test('a same-origin redirect (renamed repo) keeps the token; the cross-origin hop after it drops it', async () => {
  const cdn = await serve((req, res) => {
    note('cdn', req);
    res.end('ok');
  });
  const hub = await serve((req, res) => {
    note('hub', req);
    res.writeHead(req.url!.startsWith('/old/') ? 307 : 302, {
      location: req.url!.startsWith('/old/') ? req.url!.replace('/old/', '/new/') : `${cdn}/b`
    });
    res.end();
  });
  const f = await client(hub).open('old/m', 'c'.repeat(40), 'w.bin');
  expect(await text(f.chunks)).toBe('ok');
  expect(seen.map((s) => [s.origin, s.url.split('/')[1], s.auth])).toEqual([
    ['hub', 'old', 'Bearer hf_test'],
    ['hub', 'new', 'Bearer hf_test'],
    ['cdn', 'b', undefined]
  ]);
});
