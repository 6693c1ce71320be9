/**
 * Reading requests (body, YAML or JSON, and the common query parameters) and the byte-level faults
 * (`reset`, `corrupt`) applied to a response as it is written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { FaultAction } from '../types.js';
import { ApiError, badRequest } from './status.js';
import type { FieldValidation } from './validate.js';

const MAX_BODY = 16 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new ApiError(413, 'BadRequest', 'Request entity too large: limit is 3145728'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function parseBody(buf: Buffer, contentType: string): unknown {
  const text = buf.toString('utf8');
  if (!text.trim())
    throw badRequest(
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf'
    );
  let body: unknown;
  try {
    body = /yaml/.test(contentType) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
  if (depth(body) > MAX_DEPTH) throw badRequest(`error decoding request body: exceeded max depth of ${MAX_DEPTH}`);
  return body;
}

const MAX_DEPTH = 100;

/** Nesting depth, counted without recursion (a hostile body must not blow the stack). */
function depth(v: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    max = Math.max(max, d);
    if (max > MAX_DEPTH) return max;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

export function managerOf(req: IncomingMessage, q: URLSearchParams): string {
  const fm = q.get('fieldManager');
  if (fm) {
    if (fm.length > 128) throw badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
    return fm;
  }
  const ua = String(req.headers['user-agent'] ?? '');
  return ua ? ua.split('/')[0] : 'unknown';
}

export function dryRunOf(q: URLSearchParams): boolean {
  const d = q.getAll('dryRun');
  if (!d.length) return false;
  if (d.some((x) => x !== 'All')) throw badRequest(`Invalid value: ${JSON.stringify(d)}: supported values: "All"`);
  return true;
}

export function validationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') throw badRequest(`fieldValidation parameter unsupported: ${v}`);
  return v;
}

/** Wraps the response so a 'reset' or 'corrupt' fault cuts or flips the body at a byte offset. */
export function applyStreamFault(res: ServerResponse, action: FaultAction): void {
  if (action.kind !== 'reset' && action.kind !== 'corrupt') return;
  let sent = 0;
  const write = res.write.bind(res) as (c: Buffer) => boolean;
  const end = res.end.bind(res) as (c?: Buffer) => ServerResponse;
  const toBuf = (c: unknown) =>
    c === undefined || typeof c === 'function' ? Buffer.alloc(0) : Buffer.isBuffer(c) ? c : Buffer.from(String(c));
  const filter = (chunk: Buffer): Buffer | 'cut' => {
    if (action.kind === 'reset') {
      if (sent + chunk.length >= action.afterBytes) return 'cut';
    } else if (action.atByte >= sent && action.atByte < sent + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[action.atByte - sent] ^= 0xff;
    }
    sent += chunk.length;
    return chunk;
  };
  const cut = (chunk: Buffer) => {
    const keep = chunk.subarray(0, Math.max(0, (action as { afterBytes: number }).afterBytes - sent));
    if (keep.length) write(keep);
    sent += keep.length;
    setImmediate(() => res.socket?.destroy());
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (res as any).write = (c: unknown) => {
    const f = filter(toBuf(c));
    if (f === 'cut') {
      cut(toBuf(c));
      return true;
    }
    return write(f);
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (res as any).end = (c?: unknown) => {
    const b = toBuf(c);
    const f = filter(b);
    if (f === 'cut') {
      if (!res.headersSent) res.flushHeaders();
      cut(b);
      return res;
    }
    return end(f);
  };
}
