/**
 * A pod's view of its OSS-backed volumes, through the real ali-oss client (plain mode with an IP endpoint:
 * the client sends `Host: <bucket>.<region>.aliyuncs.com`). Paths outside any OSS mount are the container's
 * own disk: reads find nothing and writes vanish with the container, as they would.
 */
import OSS from 'ali-oss';
import type { ConverterFs } from '../converter/bloom.js';
import type { OssLocation } from './volumes.js';

export interface OssAccess {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export class OssClients {
  private clients = new Map<string, OSS>();

  constructor(private access: OssAccess) {}

  client(bucket: string): OSS {
    let c = this.clients.get(bucket);
    if (!c) {
      c = new OSS({
        endpoint: this.access.endpoint.replace('//localhost', '//127.0.0.1'),
        bucket,
        region: this.access.region,
        accessKeyId: this.access.accessKeyId,
        accessKeySecret: this.access.accessKeySecret,
        timeout: 60_000
      });
      this.clients.set(bucket, c);
    }
    return c;
  }
}

function isNoSuchKey(err: unknown): boolean {
  const e = err as { code?: string; status?: number };
  return e?.code === 'NoSuchKey' || e?.status === 404;
}

export function podFs(clients: OssClients, resolve: (p: string) => OssLocation | undefined): ConverterFs {
  return {
    async listDir(dir) {
      const loc = resolve(dir);
      if (!loc) return undefined;
      const prefix = loc.key ? `${loc.key}/` : '';
      const names: string[] = [];
      let sawAny = false;
      let token: string | undefined;
      do {
        const r = await clients.client(loc.bucket).listV2({
          prefix,
          delimiter: '/',
          'max-keys': '1000',
          ...(token ? { 'continuation-token': token } : {})
        });
        for (const o of r.objects ?? []) {
          sawAny = true;
          const name = o.name.slice(prefix.length);
          if (name) names.push(name);
        }
        if ((r.prefixes ?? []).length) sawAny = true;
        token = r.isTruncated ? r.nextContinuationToken : undefined;
      } while (token);
      return sawAny || !prefix ? names : undefined;
    },
    async readFile(file) {
      const loc = resolve(file);
      if (!loc) return undefined;
      try {
        const r = await clients.client(loc.bucket).get(loc.key);
        return r.content as Buffer;
      } catch (err) {
        if (isNoSuchKey(err)) return undefined;
        throw err;
      }
    },
    async writeFile(file, data) {
      const loc = resolve(file);
      if (!loc) return;
      await clients.client(loc.bucket).put(loc.key, data);
    }
  };
}
