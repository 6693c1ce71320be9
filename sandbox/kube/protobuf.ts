/**
 * Just enough of the Kubernetes protobuf encoding to read the bodies kubectl's typed `create` subcommands send
 * (`kubectl create namespace|configmap|secret generic|token` POST `application/vnd.kubernetes.protobuf`): the
 * `k8s\0` + runtime.Unknown envelope and the messages of those three kinds. Responses stay JSON, which
 * kubectl accepts (it also lists application/json in Accept).
 */
import { ApiError } from './status.js';

type Field =
  | { name: string; t: 'string' | 'bytes' | 'int64' | 'bool' | 'strings' | 'map' | 'bytesmap' }
  | { name: string; t: 'msg' | 'msgs'; of: Schema };
type Schema = Record<number, Field>;

const OWNER: Schema = {
  1: { name: 'kind', t: 'string' },
  3: { name: 'name', t: 'string' },
  4: { name: 'uid', t: 'string' },
  5: { name: 'apiVersion', t: 'string' },
  6: { name: 'controller', t: 'bool' },
  7: { name: 'blockOwnerDeletion', t: 'bool' }
};
const META: Schema = {
  1: { name: 'name', t: 'string' },
  2: { name: 'generateName', t: 'string' },
  3: { name: 'namespace', t: 'string' },
  5: { name: 'uid', t: 'string' },
  6: { name: 'resourceVersion', t: 'string' },
  7: { name: 'generation', t: 'int64' },
  11: { name: 'labels', t: 'map' },
  12: { name: 'annotations', t: 'map' },
  13: { name: 'ownerReferences', t: 'msgs', of: OWNER },
  14: { name: 'finalizers', t: 'strings' }
};
const KINDS: Record<string, Schema> = {
  'v1/Namespace': {
    1: { name: 'metadata', t: 'msg', of: META },
    2: { name: 'spec', t: 'msg', of: { 1: { name: 'finalizers', t: 'strings' } } }
  },
  'v1/ConfigMap': {
    1: { name: 'metadata', t: 'msg', of: META },
    2: { name: 'data', t: 'map' },
    3: { name: 'binaryData', t: 'bytesmap' },
    4: { name: 'immutable', t: 'bool' }
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: { name: 'metadata', t: 'msg', of: META },
    2: {
      name: 'spec',
      t: 'msg',
      of: {
        1: {
          name: 'resourceAttributes',
          t: 'msg',
          of: {
            1: { name: 'namespace', t: 'string' },
            2: { name: 'verb', t: 'string' },
            3: { name: 'group', t: 'string' },
            4: { name: 'version', t: 'string' },
            5: { name: 'resource', t: 'string' },
            6: { name: 'subresource', t: 'string' },
            7: { name: 'name', t: 'string' }
          }
        },
        2: {
          name: 'nonResourceAttributes',
          t: 'msg',
          of: { 1: { name: 'path', t: 'string' }, 2: { name: 'verb', t: 'string' } }
        }
      }
    }
  },
  'authentication.k8s.io/v1/TokenRequest': {
    1: { name: 'metadata', t: 'msg', of: META },
    2: {
      name: 'spec',
      t: 'msg',
      of: { 1: { name: 'audiences', t: 'strings' }, 4: { name: 'expirationSeconds', t: 'int64' } }
    }
  },
  'v1/Secret': {
    1: { name: 'metadata', t: 'msg', of: META },
    2: { name: 'data', t: 'bytesmap' },
    3: { name: 'type', t: 'string' },
    4: { name: 'stringData', t: 'map' },
    5: { name: 'immutable', t: 'bool' }
  }
};

interface Raw {
  field: number;
  wire: number;
  value: bigint | Buffer;
}

function fields(buf: Buffer): Raw[] {
  const out: Raw[] = [];
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    const field = key >> 3;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

function decode(buf: Buffer, schema: Schema): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const d = schema[f.field];
    if (!d) continue;
    const bytes = f.value as Buffer;
    switch (d.t) {
      case 'string':
        obj[d.name] = bytes.toString('utf8');
        break;
      case 'bytes':
        obj[d.name] = bytes.toString('base64');
        break;
      case 'int64':
        obj[d.name] = Number(f.value as bigint);
        break;
      case 'bool':
        obj[d.name] = (f.value as bigint) !== 0n;
        break;
      case 'strings':
        obj[d.name] = [...((obj[d.name] as string[]) ?? []), bytes.toString('utf8')];
        break;
      case 'map':
      case 'bytesmap': {
        const entry = fields(bytes);
        const k = (entry.find((e) => e.field === 1)?.value as Buffer | undefined)?.toString('utf8') ?? '';
        const v = (entry.find((e) => e.field === 2)?.value as Buffer | undefined) ?? Buffer.alloc(0);
        obj[d.name] = {
          ...((obj[d.name] as object) ?? {}),
          [k]: d.t === 'map' ? v.toString('utf8') : v.toString('base64')
        };
        break;
      }
      case 'msg':
        obj[d.name] = decode(bytes, d.of);
        break;
      case 'msgs':
        obj[d.name] = [...((obj[d.name] as unknown[]) ?? []), decode(bytes, d.of)];
        break;
    }
  }
  return obj;
}

/** The JSON form of a protobuf request body, or 415 for kinds this decoder does not know. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
  if (body.length < 4 || !body.subarray(0, 4).equals(magic))
    throw new ApiError(400, 'BadRequest', 'provided object is not a valid protobuf message');
  try {
    const unknown = decode(body.subarray(4), {
      1: {
        name: 'typeMeta',
        t: 'msg',
        of: { 1: { name: 'apiVersion', t: 'string' }, 2: { name: 'kind', t: 'string' } }
      },
      2: { name: 'raw', t: 'bytes' }
    });
    const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const schema = KINDS[`${tm.apiVersion}/${tm.kind}`];
    if (!schema) {
      throw new ApiError(
        415,
        'BadRequest',
        `the sandbox cannot decode protobuf ${tm.apiVersion}/${tm.kind}; send application/json`
      );
    }
    return {
      apiVersion: tm.apiVersion,
      kind: tm.kind,
      ...decode(Buffer.from(String(unknown.raw ?? ''), 'base64'), schema)
    };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(400, 'BadRequest', `error decoding protobuf body: ${(e as Error).message}`);
  }
}
