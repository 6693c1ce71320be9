/**
 * The sandbox Alibaba Cloud OSS: one bucket behind a local HTTP server, speaking the real REST protocol
 * (objects, multipart, ListObjectsV2, V1/V4 signatures, STS) with data on disk under `root`.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { FaultRegistry } from '../faults.js';
import type { KeyRecord } from './auth.js';
import { handle, type State } from './server.js';
import { DiskStore } from './store.js';
import { SIDES, type NetworkModel } from '../network.js';

export interface OssOptions {
  faults: FaultRegistry;
  /** A directory the server owns for objects, parts and temp files. */
  root: string;
  bucket?: string;
  /** As in the endpoint host, e.g. `oss-cn-hangzhou`. */
  region?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  now?: () => number;
  /** Shapes the runner endpoint and the cluster-internal endpoint (default: no shaping). */
  network?: NetworkModel;
}

export interface StsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** ISO 8601, as STS AssumeRole returns it. */
  expiration: string;
}

export interface OssHandle {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The cluster-internal endpoint (what `oss-<region>-internal.aliyuncs.com` is to pods): the same bucket, another port. */
  internalEndpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Temporary credentials accepted (with their x-oss-security-token) until `ttlSeconds` from now(). */
  issueSts(ttlSeconds: number): StsCredentials;
  /** Unfinished multipart uploads. */
  listUploads(bucket?: string): { key: string; uploadId: string; parts: number }[];
  listKeys(prefix?: string): string[];
  readObject(key: string): NodeJS.ReadableStream | undefined;
  headObject(
    key: string
  ): { size: number; meta: Record<string, string>; etag: string; crc64: string; contentType: string } | undefined;
  stop(): Promise<void>;
}

export async function startOss(opts: OssOptions): Promise<OssHandle> {
  const now = opts.now ?? Date.now;
  const bucket = opts.bucket ?? 'models';
  const region = opts.region ?? 'oss-cn-hangzhou';
  const accessKeyId = opts.accessKeyId ?? 'LTAI5tSandboxOssKey01';
  const accessKeySecret = opts.accessKeySecret ?? randomBytes(15).toString('base64');
  const keys = new Map<string, KeyRecord>([[accessKeyId, { secret: accessKeySecret }]]);
  const store = new DiskStore(opts.root);
  await store.init();

  const state: State = {
    store,
    bucket,
    region,
    now,
    faults: opts.faults,
    keys: (ak) => keys.get(ak),
    createdAt: now(),
    network: opts.network
  };
  // One server per client side: the port a request arrives on says whether a runner or a pod sent it.
  // requestTimeout 0: a multi-GiB part may take longer than Node's default 5 minutes to arrive.
  const servers = SIDES.map((side) =>
    createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
      handle(state, req, res, side).catch(() => res.destroy());
    })
  );
  const endpoints: string[] = [];
  for (const server of servers) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    endpoints.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  return {
    endpoint: endpoints[SIDES.indexOf('runner')],
    internalEndpoint: endpoints[SIDES.indexOf('cluster')],
    bucket,
    region,
    accessKeyId,
    accessKeySecret,
    issueSts(ttlSeconds) {
      const expiresAt = now() + ttlSeconds * 1000;
      const creds: StsCredentials = {
        accessKeyId: `STS.${randomBytes(12).toString('base64url')}`,
        accessKeySecret: randomBytes(24).toString('base64url'),
        securityToken: `CAIS${randomBytes(96).toString('base64')}`,
        expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z')
      };
      keys.set(creds.accessKeyId, { secret: creds.accessKeySecret, token: creds.securityToken, expiresAt });
      return creds;
    },
    listUploads(b) {
      return [...store.uploads.values()]
        .filter((u) => b === undefined || u.bucket === b)
        .map((u) => ({ key: u.key, uploadId: u.uploadId, parts: u.parts.size }));
    },
    listKeys(prefix = '') {
      return [...store.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
    readObject(key) {
      const rec = store.objects.get(key);
      return rec ? (store.read(rec) as Readable) : undefined;
    },
    headObject(key) {
      const rec = store.objects.get(key);
      if (!rec) return undefined;
      return {
        size: rec.size,
        meta: { ...rec.meta },
        etag: rec.etag,
        crc64: rec.crc64.toString(),
        contentType: rec.contentType
      };
    },
    async stop() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            })
        )
      );
      await store.close();
    }
  };
}
