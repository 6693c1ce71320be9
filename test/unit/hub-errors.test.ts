/**
 * A hub request that keeps failing is named for what it was (resolving the revision, listing the files, the
 * access check, the download) and for who answered (the hub or the CDN it redirects to), with the status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubClient } from '../../src/hf/client.js';
import { hubOperation } from '../../src/hf/errors.js';
import { PipelineError } from '../../src/errors.js';

const servers: Server[] = [];
async function serve(h: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
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

const COMMIT = 'c'.repeat(40);
const client = (endpoint: string) =>
  new HubClient({ endpoint, token: 'hf_test', attempts: 2, sleep: async () => undefined });

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(PipelineError);
  return err as PipelineError;
}

/** A hub whose answer to each request is chosen by `route`; other requests redirect to `cdn`. */
async function hubWith(route: (url: string) => number | undefined, cdn?: string): Promise<string> {
  return serve((req, res) => {
    const status = route(req.url!);
    if (status !== undefined) {
      res.writeHead(status, { 'x-request-id': 'req-1' });
      return res.end();
    }
    res.writeHead(302, { location: `${cdn}/blob` });
    res.end();
  });
}

test.each([
  ['/api/models/org/m/revision/main', 'GET', 'revision'],
  ['/api/models/org/m/tree/abc?recursive=true', 'GET', 'listing'],
  ['/org/m/resolve/abc/w.bin', 'HEAD', 'access'],
  ['/org/m/resolve/abc/w.bin', 'GET', 'download']
])('%s %s is the %s request', (p, method, op) => {
  expect(hubOperation(`https://huggingface.co${p}`, method)).toBe(op);
});

test('a hub 500 on the revision names the revision request, the hub and the status', async () => {
  const hub = await hubWith((u) => (u.includes('/revision/') ? 500 : undefined));
  const err = await failure(client(hub).resolveRevision('org/m', 'main'));
  const host = new URL(hub).host;
  expect(err.code).toBe('HF_UNAVAILABLE');
  expect(err.message).toBe(
    `Resolving revision "main" of org/m failed after 2 attempts: the hub (${host}) answered HTTP 500 (request id req-1).`
  );
});

test('a hub 502 on the file listing names the listing, not a download', async () => {
  const hub = await hubWith((u) => (u.includes('/tree/') ? 502 : undefined));
  const err = await failure(client(hub).listFiles('org/m', COMMIT));
  expect(err.message).toMatch(
    /^Listing the files of org\/m at cccccccccccc failed after 2 attempts: the hub \(.*\) answered HTTP 502/
  );
  expect(err.message).not.toMatch(/Downloading/);
});

test('a CDN 503 after the redirect names the download, the file and the CDN host', async () => {
  const cdn = await serve((_req, res) => {
    res.writeHead(503);
    res.end();
  });
  const hub = await hubWith(() => undefined, cdn);
  const err = await failure(client(hub).open('org/m', COMMIT, 'w.bin'));
  expect(err.message).toBe(
    `Downloading file w.bin of org/m failed after 2 attempts: the CDN (${new URL(cdn).host}) answered HTTP 503.`
  );
});

test('a hub 500 on the access check names the check', async () => {
  const hub = await hubWith(() => 500);
  const err = await failure(client(hub).checkDownloadAccess('org/m', COMMIT, 'w.bin'));
  expect(err.message).toMatch(/^Checking download access to file w\.bin of org\/m failed after 2 attempts: the hub/);
});
