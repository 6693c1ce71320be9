/**
 * Disk-backed object and multipart store. Bodies stream to `tmp/` while MD5 and CRC-64 are computed, then are
 * renamed into `data/` (objects) or `parts/` (upload parts), so a reader never sees a half-written file. File names
 * are random; keys live only in memory, so no key can name a path. A multipart object keeps its part files as
 * segments: Complete renames them, never copies.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64, crc64Combine } from './crc64.js';

export interface Segment {
  file: string;
  size: number;
}

export interface ObjectRecord {
  key: string;
  size: number;
  /** With quotes, as sent in the ETag header. */
  etag: string;
  crc64: bigint;
  meta: Record<string, string>;
  contentType: string;
  lastModified: number;
  type: 'Normal' | 'Multipart';
  segments: Segment[];
}

export interface PartRecord {
  number: number;
  etag: string;
  md5: Buffer;
  size: number;
  crc64: bigint;
  lastModified: number;
  file: string;
}

export interface UploadRecord {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: number;
  meta: Record<string, string>;
  contentType: string;
  parts: Map<number, PartRecord>;
}

export interface Received {
  tmp: string;
  size: number;
  md5: Buffer;
  crc64: bigint;
}

export class DiskStore {
  readonly objects = new Map<string, ObjectRecord>();
  readonly uploads = new Map<string, UploadRecord>();
  private readonly tmpDir: string;
  private readonly dataDir: string;
  private readonly partsDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
    this.dataDir = join(root, 'data');
    this.partsDir = join(root, 'parts');
  }

  async init(): Promise<void> {
    await Promise.all([this.tmpDir, this.dataDir, this.partsDir].map((d) => mkdir(d, { recursive: true })));
  }

  /** Streams a body to a temp file, hashing as it goes. The caller commits or discards `tmp`. */
  async receive(body: Readable, limit: number, pace?: (bytes: number) => Promise<void>): Promise<Received> {
    const tmp = join(this.tmpDir, randomBytes(12).toString('hex'));
    const md5 = createHash('md5');
    const crc = new Crc64();
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > limit) return cb(new TooLarge());
        md5.update(chunk);
        crc.update(chunk);
        if (pace) pace(chunk.length).then(() => cb(null, chunk), cb);
        else cb(null, chunk);
      }
    });
    try {
      await pipeline(body, hasher, createWriteStream(tmp, { highWaterMark: 1 << 20 }));
    } catch (e) {
      await this.discard(tmp);
      throw e;
    }
    return { tmp, size, md5: md5.digest(), crc64: crc.value() };
  }

  async discard(tmp: string): Promise<void> {
    await unlink(tmp).catch(() => undefined);
  }

  async putObject(rec: Omit<ObjectRecord, 'segments'>, body: Received): Promise<ObjectRecord> {
    const file = join(this.dataDir, randomBytes(12).toString('hex'));
    await rename(body.tmp, file);
    const full: ObjectRecord = { ...rec, segments: [{ file, size: body.size }] };
    this.replace(full);
    return full;
  }

  private replace(rec: ObjectRecord): void {
    const old = this.objects.get(rec.key);
    this.objects.set(rec.key, rec);
    if (old) this.unlinkSegments(old.segments);
  }

  /** A server-side copy shares the (immutable) data files through hard links: no bytes move, any size works. */
  async copyObject(src: ObjectRecord, rec: Omit<ObjectRecord, 'segments'>): Promise<ObjectRecord> {
    const segments: Segment[] = [];
    for (const s of src.segments) {
      const file = join(this.dataDir, randomBytes(12).toString('hex'));
      await link(s.file, file).catch(() => copyFile(s.file, file));
      segments.push({ file, size: s.size });
    }
    const full: ObjectRecord = { ...rec, segments };
    this.replace(full);
    return full;
  }

  deleteObject(key: string): void {
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    this.unlinkSegments(old.segments);
  }

  private unlinkSegments(segments: Segment[]): void {
    // Readers that already opened the files keep reading (POSIX unlink semantics).
    for (const s of segments) void unlink(s.file).catch(() => undefined);
  }

  /** Bytes [start, end] (inclusive) of an object, streamed segment by segment. */
  read(rec: ObjectRecord, start = 0, end = rec.size - 1): Readable {
    const segments = rec.segments;
    async function* gen(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (const s of segments) {
        const sStart = offset;
        const sEnd = offset + s.size - 1;
        offset += s.size;
        if (s.size === 0 || sEnd < start || sStart > end) continue;
        const from = Math.max(start, sStart) - sStart;
        const to = Math.min(end, sEnd) - sStart;
        for await (const chunk of createReadStream(s.file, { start: from, end: to, highWaterMark: 1 << 20 })) {
          yield chunk as Buffer;
        }
      }
    }
    return Readable.from(gen(), { objectMode: false });
  }

  // ---------------------------------------------------------------- multipart

  initiate(u: Omit<UploadRecord, 'parts' | 'uploadId'>): UploadRecord {
    const uploadId = randomBytes(16).toString('hex').toUpperCase();
    const rec: UploadRecord = { ...u, uploadId, parts: new Map() };
    this.uploads.set(uploadId, rec);
    return rec;
  }

  async putPart(u: UploadRecord, number: number, body: Received, now: number): Promise<PartRecord> {
    const file = join(this.partsDir, `${u.uploadId}-${number}-${randomBytes(6).toString('hex')}`);
    await rename(body.tmp, file);
    const part: PartRecord = {
      number,
      etag: `"${body.md5.toString('hex').toUpperCase()}"`,
      md5: body.md5,
      size: body.size,
      crc64: body.crc64,
      lastModified: now,
      file
    };
    if (this.uploads.get(u.uploadId) !== u) {
      // Aborted or completed while this part was in flight.
      await unlink(file).catch(() => undefined);
      return part;
    }
    const old = u.parts.get(number);
    u.parts.set(number, part);
    if (old) this.unlinkSegments([old]);
    return part;
  }

  /** Turns the chosen parts into the object (callers validated the list); other parts are discarded. */
  async complete(u: UploadRecord, chosen: PartRecord[], now: number): Promise<ObjectRecord> {
    this.uploads.delete(u.uploadId);
    const segments: Segment[] = [];
    for (const p of chosen) {
      const file = join(this.dataDir, randomBytes(12).toString('hex'));
      await rename(p.file, file);
      segments.push({ file, size: p.size });
    }
    const keep = new Set(chosen);
    this.unlinkSegments([...u.parts.values()].filter((p) => !keep.has(p)));
    let crc = chosen.length ? chosen[0].crc64 : 0n;
    for (const p of chosen.slice(1)) crc = crc64Combine(crc, p.crc64, p.size);
    const etag = createHash('md5')
      .update(Buffer.concat(chosen.map((p) => p.md5)))
      .digest('hex')
      .toUpperCase();
    const rec: ObjectRecord = {
      key: u.key,
      size: chosen.reduce((n, p) => n + p.size, 0),
      etag: `"${etag}-${chosen.length}"`,
      crc64: crc,
      meta: u.meta,
      contentType: u.contentType,
      lastModified: now,
      type: 'Multipart',
      segments
    };
    this.replace(rec);
    return rec;
  }

  abort(u: UploadRecord): void {
    this.uploads.delete(u.uploadId);
    this.unlinkSegments([...u.parts.values()]);
  }

  async close(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
  }
}

export class TooLarge extends Error {}
