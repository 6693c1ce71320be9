/**
 * OssStore.putObject against the sandbox OSS: the CRC-64 it compares with `x-oss-hash-crc64ecma` is the one the
 * caller passes (the uploader has hashed the body already) or, without one, the body's own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { OssStore } from '../../src/oss/client.js';
import { crc64 } from '../../src/oss/crc64.js';

let oss: OssHandle;
let root: string;
let store: OssStore;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oss-put-crc-'));
  oss = await startOss({ faults: new FaultRegistry(), root });
  store = OssStore.connect({ ...oss, signatureV4: false }, { attempts: 1 });
});

afterAll(async () => {
  await oss.stop();
  await rm(root, { recursive: true, force: true });
});

const body = Buffer.from('{"model_type":"bloom","n_layer":2}');

test('a PUT with the CRC the caller computed is stored when OSS reports the same', async () => {
  await store.putObject('crc/given.json', body, { sha256: 'x' }, undefined, crc64(body));
  expect(oss.headObject('crc/given.json')).toMatchObject({ size: body.length, crc64: crc64(body) });
});

test('a PUT whose given CRC differs from what OSS stored fails with OSS_CHECKSUM_MISMATCH and leaves no object', async () => {
  const wrong = crc64(Buffer.from('other bytes'));
  await expect(store.putObject('crc/wrong.json', body, {}, undefined, wrong)).rejects.toMatchObject({
    code: 'OSS_CHECKSUM_MISMATCH',
    message: expect.stringContaining(`computed ${wrong}, OSS stored ${crc64(body)}`) as unknown
  });
  expect(oss.headObject('crc/wrong.json')).toBeUndefined();
});

test('without a given CRC the body is hashed here, as before', async () => {
  await store.putObject('crc/own.json', body);
  expect(oss.headObject('crc/own.json')?.crc64).toBe(crc64(body));
});
