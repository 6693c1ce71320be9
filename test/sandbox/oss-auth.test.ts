/**
 * Sandbox OSS authentication against ali-oss 6.23: V1 and V4 signatures, STS tokens, unknown keys, clock skew.
 * The server's clock is injected, so expiry and skew are tested without waiting.
 */
import { jest } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { aliOss, failure, type Client } from './oss-client.js';

let oss: OssHandle;
let root: string;
let offsetMs = 0;

const client = (extra: Record<string, unknown> = {}): Client => aliOss(oss, { cname: true, ...extra });

const modes = [
  ['V1', {}],
  ['V4', { authorizationV4: true }]
] as const;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oss-auth-'));
  oss = await startOss({ faults: new FaultRegistry(), root, now: () => Date.now() + offsetMs });
  // ali-oss warns on every STS client built without refreshSTSToken.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterAll(async () => {
  await oss.stop();
  await rm(root, { recursive: true, force: true });
  jest.restoreAllMocks();
});

afterEach(() => {
  offsetMs = 0;
});

describe.each(modes)('%s', (_name, mode) => {
  test('the right key signs put, get, list and multipart requests', async () => {
    const c = client(mode);
    await c.put(`auth/${_name}/ok.txt`, Buffer.from('ok'));
    expect((await c.get(`auth/${_name}/ok.txt`)).content.toString()).toBe('ok');
    const init = await c.initMultipartUpload(`auth/${_name}/mp.bin`);
    const part = await c.uploadPart(`auth/${_name}/mp.bin`, init.uploadId, 1, Buffer.alloc(10, 1), 0, 10);
    await c.completeMultipartUpload(`auth/${_name}/mp.bin`, init.uploadId, [{ number: 1, etag: part.etag }]);
    const l = await c.listV2({ prefix: `auth/${_name}/`, 'max-keys': '1' });
    const l2 = await c.listV2({ prefix: `auth/${_name}/`, 'continuation-token': l.nextContinuationToken });
    expect([...l.objects, ...l2.objects].map((o: { name: string }) => o.name)).toEqual([
      `auth/${_name}/mp.bin`,
      `auth/${_name}/ok.txt`
    ]);
  });

  test('a wrong secret is 403 SignatureDoesNotMatch', async () => {
    const err = await failure(
      client({ ...mode, accessKeySecret: 'not-the-secret' }).put('auth/x.txt', Buffer.from('x'))
    );
    expect(err).toMatchObject({ name: 'SignatureDoesNotMatchError', code: 'SignatureDoesNotMatch', status: 403 });
  });

  test('an unknown key is 403 InvalidAccessKeyId', async () => {
    const err = await failure(client({ ...mode, accessKeyId: 'LTAI-nobody' }).get('auth/x.txt'));
    expect(err).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
  });

  test('clock skew over 15 minutes is 403 RequestTimeTooSkewed; 14 minutes passes', async () => {
    offsetMs = 16 * 60 * 1000;
    const err = await failure(client(mode).put('auth/skew.txt', Buffer.from('x')));
    expect(err).toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 });
    offsetMs = -14 * 60 * 1000;
    await client(mode).put('auth/skew.txt', Buffer.from('x'));
  });

  test('an STS token works until it expires, then 403 SecurityTokenExpired', async () => {
    const sts = oss.issueSts(600);
    expect(sts.accessKeyId).toMatch(/^STS\./);
    expect(Date.parse(sts.expiration)).toBeGreaterThan(Date.now());
    const c = client({ ...mode, ...sts, stsToken: sts.securityToken });
    await c.put(`auth/sts-${_name}.txt`, Buffer.from('temporary'));
    expect((await c.get(`auth/sts-${_name}.txt`)).content.toString()).toBe('temporary');
    offsetMs = 601 * 1000; // past expiry, within the 15-minute skew allowance
    const err = await failure(c.get(`auth/sts-${_name}.txt`));
    expect(err).toMatchObject({ code: 'SecurityTokenExpired', status: 403 });
  });

  test('an STS key without its token is 403 InvalidAccessKeyId; with another token 403', async () => {
    const sts = oss.issueSts(900);
    const other = oss.issueSts(900);
    const bare = await failure(client({ ...mode, ...sts }).get('auth/x.txt'));
    expect(bare).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
    const wrong = await failure(client({ ...mode, ...sts, stsToken: other.securityToken }).get('auth/x.txt'));
    expect(wrong.status).toBe(403);
  });
});

test('V4 with a signing region other than the bucket region is refused', async () => {
  const err = await failure(
    client({ authorizationV4: true, region: 'oss-cn-beijing' }).put('auth/r.txt', Buffer.from('x'))
  );
  expect(err.status).toBe(400);
  expect(err.code).toBe('InvalidArgument');
});

test('SignatureDoesNotMatch carries the V1 StringToSign the server computed', async () => {
  const date = new Date().toUTCString();
  const sts = `GET\n\n\n${date}\nx-oss-date:${date}\n/${oss.bucket}/auth/ok.txt`;
  const wrong = createHmac('sha1', 'wrong-secret').update(sts).digest('base64');
  const res = await fetch(`${oss.endpoint}/${oss.bucket}/auth/ok.txt`, {
    headers: { 'x-oss-date': date, authorization: `OSS ${oss.accessKeyId}:${wrong}` }
  });
  expect(res.status).toBe(403);
  const xml = await res.text();
  expect(xml).toContain('<Code>SignatureDoesNotMatch</Code>');
  expect(xml).toContain(`<StringToSign>${sts}</StringToSign>`);
  expect(xml).toContain(`<SignatureProvided>${wrong}</SignatureProvided>`);
  // And the right signature over the same string is accepted.
  const right = createHmac('sha1', oss.accessKeySecret).update(sts).digest('base64');
  const ok = await fetch(`${oss.endpoint}/${oss.bucket}/auth/ok.txt`, {
    headers: { 'x-oss-date': date, authorization: `OSS ${oss.accessKeyId}:${right}` }
  });
  expect(ok.status).toBe(404); // authenticated; there is no object auth/ok.txt
});
