/**
 * The sandbox hub's wire protocol with plain fetch: HF error codes and headers, Range, the signed CDN redirect,
 * renamed repos, PR revisions, moved branches.
 */
import { createHash } from 'node:crypto';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startHub, type HubHandle } from '../../sandbox/hub/index.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface ModelInfoJson {
  sha: string;
  gated: false | 'auto' | 'manual';
  siblings: { rfilename: string }[];
}
const info = async (r: Response) => (await r.json()) as ModelInfoJson;

describe('sandbox hub protocol', () => {
  let hub: HubHandle;
  let faults: FaultRegistry;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const auth = () => ({ authorization: `Bearer ${hub.token}` });
  const get = (path: string, init: RequestInit = {}) => fetch(hub.endpoint + path, init);

  beforeAll(async () => {
    faults = new FaultRegistry();
    hub = await startHub({ faults, token: 'hf_protocol', urlTtlSeconds: 600, now: () => clock });
    hub.declareRepo({
      id: 'org/model',
      tags: { 'v1.0': 'main' },
      branches: {
        main: [
          { path: 'config.json', content: '{"a":1}' },
          { path: 'model.safetensors', content: Buffer.alloc(100, 7) },
          { path: 'tokenizer.json', content: 'x'.repeat(50) },
          { path: 'docs/über notes.txt', content: 'ü' }
        ],
        'refs/pr/1': [{ path: 'config.json', content: '{"a":2}' }]
      }
    });
    hub.declareRepo({ id: 'org/private', private: true, files: [{ path: 'a.txt', content: 'a' }] });
    hub.declareRepo({ id: 'org/gated', gated: 'auto', files: [{ path: 'a.txt', content: 'a' }] });
    hub.declareRepo({
      id: 'org/granted',
      gated: 'manual',
      acceptedTokens: ['hf_protocol'],
      files: [{ path: 'a.txt', content: 'a' }]
    });
    hub.declareRepo({ id: 'old/name', renamedTo: 'org/model' });
  });
  afterAll(() => hub.stop());
  beforeEach(() => faults.reset());

  it('hides private and unknown repos behind 401/404 RepoNotFound and rejects bad tokens', async () => {
    for (const path of ['/api/models/org/private/revision/main', '/api/models/org/nope/revision/main']) {
      const r = await get(path);
      expect(r.status).toBe(401);
      expect(r.headers.get('x-error-code')).toBe('RepoNotFound');
      expect(r.headers.get('x-request-id')).toBeTruthy();
      expect(await r.json()).toEqual({ error: expect.any(String) });
    }
    const missing = await get('/api/models/org/nope/revision/main', { headers: auth() });
    expect([missing.status, missing.headers.get('x-error-code')]).toEqual([404, 'RepoNotFound']);
    expect((await get('/org/private/resolve/main/a.txt', { headers: auth() })).status).toBe(200);
    const bad = await get('/api/models/org/model/revision/main', { headers: { authorization: 'Bearer hf_wrong' } });
    expect(bad.status).toBe(401);
  });

  it('lets anyone see a gated repo but only accepted tokens download from it', async () => {
    expect((await info(await get('/api/models/org/gated/revision/main'))).gated).toBe('auto');
    expect((await get('/api/models/org/gated/tree/main')).status).toBe(200);
    const anon = await get('/org/gated/resolve/main/a.txt');
    expect([anon.status, anon.headers.get('x-error-code')]).toEqual([401, 'GatedRepo']);
    expect(anon.headers.get('x-error-message')).toBe(
      'Access to model org/gated is restricted. You must have access to it and be authenticated to access it. Please log in.'
    );
    const denied = await get('/org/gated/resolve/main/a.txt', { headers: auth() });
    expect([denied.status, denied.headers.get('x-error-code')]).toEqual([403, 'GatedRepo']);
    expect(denied.headers.get('x-error-message')).toMatch(/not in the authorized list/);
    expect((await get('/org/granted/resolve/main/a.txt', { headers: auth() })).status).toBe(200);
  });

  it('answers missing revisions and files with RevisionNotFound and EntryNotFound', async () => {
    const rev = await get('/api/models/org/model/revision/nope', { headers: auth() });
    expect([rev.status, rev.headers.get('x-error-code')]).toEqual([404, 'RevisionNotFound']);
    const file = await get('/org/model/resolve/main/nope.bin', { headers: auth() });
    expect([file.status, file.headers.get('x-error-code')]).toEqual([404, 'EntryNotFound']);
    const head = await get('/org/model/raw/main/nope.bin', { method: 'HEAD' });
    expect(head.status).toBe(404);
  });

  it('resolves branches, tags, shas and URL-encoded PR refs', async () => {
    const main = hub.commitOf('org/model', 'main');
    expect(main).toMatch(/^[0-9a-f]{40}$/);
    for (const rev of ['main', 'v1.0', main, 'HEAD']) {
      const json = await info(await get(`/api/models/org/model/revision/${rev}`));
      expect(json.sha).toBe(main);
      expect(json.siblings.map((s: { rfilename: string }) => s.rfilename)).toContain('model.safetensors');
    }
    const pr = await get('/org/model/resolve/refs%2Fpr%2F1/config.json');
    expect(await pr.text()).toBe('{"a":2}');
    expect(pr.headers.get('x-repo-commit')).toBe(hub.commitOf('org/model', 'refs/pr/1'));
    const expanded = await (await get('/api/models/org/model/revision/refs%2Fpr%2F1?expand=sha')).json();
    expect(expanded).toEqual({ _id: expect.any(String), id: 'org/model', sha: hub.commitOf('org/model', 'refs/pr/1') });
    expect((await get('/api/models/org/model/revision/main?expand=bogus')).status).toBe(400);
  });

  it('serves git files with ETag, commit and Range', async () => {
    const full = await get('/org/model/resolve/main/tokenizer.json');
    expect(full.status).toBe(200);
    expect(full.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    expect(full.headers.get('x-repo-commit')).toBe(hub.commitOf('org/model', 'main'));
    expect(full.headers.get('x-linked-etag')).toBeNull();
    const first = await get('/org/model/resolve/main/tokenizer.json', { headers: { range: 'bytes=0-0' } });
    expect([first.status, first.headers.get('content-range'), await first.text()]).toEqual([206, 'bytes 0-0/50', 'x']);
    const tail = await get('/org/model/resolve/main/tokenizer.json', { headers: { range: 'bytes=-5' } });
    expect(tail.headers.get('content-range')).toBe('bytes 45-49/50');
    const odd = await get(`/org/model/resolve/main/docs/${encodeURIComponent('über notes.txt')}`);
    expect([odd.status, await odd.text()]).toEqual([200, 'ü']);
    const beyond = await get('/org/model/resolve/main/tokenizer.json', { headers: { range: 'bytes=50-' } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, 'bytes */50']);
  });

  it('redirects LFS files to a signed CDN URL that expires and refuses tampering and the hub token', async () => {
    const head = await get('/org/model/resolve/main/model.safetensors', { method: 'HEAD', redirect: 'manual' });
    const digest = sha256(Buffer.alloc(100, 7));
    expect(head.status).toBe(302);
    expect(head.headers.get('x-linked-etag')).toBe(`"${digest}"`);
    expect(head.headers.get('x-linked-size')).toBe('100');
    expect(head.headers.get('etag')).toBe(`"${digest}"`);
    expect(head.headers.get('content-type')).not.toMatch(/xet/);
    const location = head.headers.get('location')!;
    expect(location.startsWith(hub.cdnEndpoint + '/')).toBe(true);

    const followed = await get('/org/model/resolve/main/model.safetensors', {
      headers: { ...auth(), range: 'bytes=90-' }
    });
    expect([followed.status, followed.headers.get('content-range')]).toEqual([206, 'bytes 90-99/100']);
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(Buffer.alloc(10, 7));
    const [toCdn] = faults.recorded('cdn');
    expect(toCdn.headers.authorization).toBeUndefined();
    expect(toCdn.headers.range).toBe('bytes=90-');
    expect(faults.recorded('hub')[1].headers.authorization).toBe('Bearer hf_protocol');

    const withToken = await fetch(location, { headers: auth() });
    expect(withToken.status).toBe(400);
    const tampered = await fetch(location.replace(/Signature=./, 'Signature=A'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toMatch(/<Code>AccessDenied<\/Code>/);
    clock += 601_000;
    const expired = await fetch(location);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/Request has expired/);
  });

  it('answers 307 for a renamed repo', async () => {
    const r = await get('/api/models/old/name/revision/main?expand=sha', { redirect: 'manual' });
    expect(r.status).toBe(307);
    expect(r.headers.get('location')).toBe('/api/models/org/model/revision/main?expand=sha');
    const followed = await get('/old/name/resolve/main/config.json');
    expect(await followed.text()).toBe('{"a":1}');
  });

  it('moves a branch: a new commit where only the changed file differs, the old commit still served', async () => {
    hub.declareRepo({
      id: 'org/moving',
      files: [
        { path: 'config.json', content: '{"v":1}' },
        { path: 'weights.bin', size: 4096, seed: 'w1' }
      ]
    });
    const before = hub.commitOf('org/moving', 'main');
    const tree = async (rev: string) =>
      (await (await get(`/api/models/org/moving/tree/${rev}?recursive=true`)).json()) as {
        path: string;
        oid: string;
      }[];
    const oldTree = await tree(before);
    const after = hub.moveBranch('org/moving', 'main', { files: [{ path: 'config.json', content: '{"v":2}' }] });
    expect(after).not.toBe(before);
    expect(hub.commitOf('org/moving', 'main')).toBe(after);
    const newTree = await tree('main');
    const changed = newTree.filter((e, i) => e.oid !== oldTree[i].oid).map((e) => e.path);
    expect(changed).toEqual(['config.json']);
    expect(await (await get(`/org/moving/resolve/${before}/config.json`)).text()).toBe('{"v":1}');
    expect(await (await get('/org/moving/resolve/main/config.json')).text()).toBe('{"v":2}');
    expect((await info(await get('/api/models/org/moving/revision/main'))).sha).toBe(after);
    const expanded = (await (await get('/api/models/org/moving/tree/main?recursive=true&expand=true')).json()) as {
      path: string;
      lastCommit: { id: string };
    }[];
    expect(Object.fromEntries(expanded.map((e) => [e.path, e.lastCommit.id]))).toEqual({
      'config.json': after,
      'weights.bin': before
    });
  });
});

describe('sandbox hub in mirror mode (as hf-mirror.com)', () => {
  it('names the upstream origin in the tree listing’s Link, with the same path and a cursor the mirror accepts', async () => {
    const faults = new FaultRegistry();
    const mirror = await startHub({ faults, pageSize: 2, mirrorOf: 'https://huggingface.co' });
    try {
      mirror.declareRepo({ id: 'org/m', files: ['a', 'b', 'c'].map((n) => ({ path: `${n}.json`, content: n })) });
      const first = await fetch(`${mirror.endpoint}/api/models/org/m/tree/main?recursive=true`);
      const link = first.headers.get('link')!;
      const m = /^<(https:\/\/huggingface\.co\/api\/models\/org\/m\/tree\/main\?[^>]*cursor=[^>]+)>; rel="next"$/.exec(
        link
      );
      expect(m).not.toBeNull();
      const next = new URL(m![1]);
      const second = await fetch(`${mirror.endpoint}${next.pathname}${next.search}`);
      expect(((await second.json()) as { path: string }[]).map((e) => e.path)).toEqual(['c.json']);
      expect(second.headers.get('link')).toBeNull();
    } finally {
      await mirror.stop();
    }
  });
});
