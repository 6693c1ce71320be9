/**
 * A streamed upload of one object from a re-openable byte source (the hub), with no disk and bounded memory:
 * every part lives in a buffer of a shared pool (`parts in flight` buffers of `part size`), so all files of a run
 * together never hold more. A large file moves as parallel ranged GETs, one per part, each feeding its own
 * UploadPart. Hashes see the bytes in file order and `verify` runs before the upload completes: a mismatch
 * aborts it and nothing becomes visible. A fault while reading a part goes on from the byte that part reached
 * (another ranged GET); parts already sent are not sent again. An unfinished upload from an earlier run is
 * continued: its parts whose size and MD5 ETag match the bytes re-read are kept.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { retry } from '../util/retry.js';
import { PipelineError } from '../errors.js';
import type { OssStore, UploadedPart } from './client.js';
import { CRC64_EMPTY, crc64 } from './crc64.js';
import { crcMismatch } from './client.js';
import { StreamDigest, type Digests } from './digest.js';

export interface OpenedSource {
  readonly chunks: AsyncIterable<Buffer>;
  close(): void;
}

export interface ByteSource {
  /** The content from byte `start` on, up to `end` (exclusive) when given. */
  open(start: number, end?: number): Promise<OpenedSource>;
}

/**
 * The file's digests fed in file order while parts arrive in any order. The part next in order is hashed as its
 * bytes land (`progress`), so its hash costs nothing once its read ends; a later part waits in its pool buffer
 * until every part before it has been hashed, then is hashed from its buffer. `hashed` (given when the part is
 * whole, `add`) runs once its bytes are in the digest.
 */
export class InOrderDigest {
  private readonly parts = new Map<number, { body: Buffer; filled: number; crc?: string; hashed?: () => void }>();
  private nextPart = 1;
  /** Bytes of the part next in order already in the digest. */
  private done = 0;

  constructor(private readonly digest_: StreamDigest) {}

  /** Part `n` has its first `filled` bytes in `body` (they no longer change). */
  progress(n: number, body: Buffer, filled: number): void {
    const p = this.parts.get(n);
    if (p) p.filled = filled;
    else this.parts.set(n, { body, filled });
    if (n === this.nextPart) this.advance();
  }

  /** Part `n` is whole, with its CRC-64. */
  add(n: number, body: Buffer, crc: string, hashed: () => void): void {
    this.parts.set(n, { body, filled: body.length, crc, hashed });
    this.advance();
  }

  private advance(): void {
    for (let p = this.parts.get(this.nextPart); p; p = this.parts.get(this.nextPart)) {
      if (p.filled > this.done) {
        this.digest_.update(p.body.subarray(this.done, p.filled));
        this.done = p.filled;
      }
      if (!p.hashed || p.crc === undefined) return;
      this.parts.delete(this.nextPart++);
      this.done = 0;
      this.digest_.addPartCrc(p.crc, p.body.length);
      p.hashed();
    }
  }

  /** The file was given up: whole parts still waiting for an earlier one will never be hashed; let them go. */
  discard(): void {
    for (const p of this.parts.values()) p.hashed?.();
    this.parts.clear();
  }

  /** The digests of the whole content (every part added). */
  digest(): Digests {
    return this.digest_.digest();
  }
}

/** Fixed-size part buffers shared by every upload of a run: the memory bound. */
export class PartPool {
  private free: Buffer[] = [];
  private created = 0;
  private waiters: ((b: Buffer) => void)[] = [];

  constructor(
    readonly partSize: number,
    readonly slots: number
  ) {}

  async acquire(signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    const b = this.free.pop();
    if (b) return b;
    if (this.created < this.slots) {
      this.created++;
      return Buffer.allocUnsafeSlow(this.partSize);
    }
    return new Promise<Buffer>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(signal?.reason);
      };
      const take = (buf: Buffer) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(buf);
      };
      this.waiters.push(take);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(buf: Buffer): void {
    const w = this.waiters.shift();
    if (w) w(buf);
    else this.free.push(buf);
  }
}

export interface UploadSpec {
  readonly key: string;
  readonly size: number;
  /** Object metadata; called with the digests for a single PUT (known by then), without for a multipart start. */
  meta(d?: Digests): Record<string, string>;
  readonly source: ByteSource;
  /** Also compute the git blob sha1 (non-LFS files are checked against it). */
  readonly gitBlob: boolean;
  /** Runs on the digests of the whole content before the object becomes visible; throw to abort. */
  verify(d: Digests): void;
  /** An unfinished multipart upload of this key (an earlier run's) to continue. */
  readonly resumeUploadId?: string;
}

export interface UploadEvents {
  /** Position (bytes read so far in the file); goes back a little after a resume. */
  position?(bytes: number): void;
  uploadStarted?(uploadId: string): void;
  /** Completed, or aborted for good. */
  uploadEnded?(uploadId: string): void;
  /** Reading failed and goes on from `offset` (a ranged GET). */
  resumed?(offset: number, partNumber: number, err: unknown): void;
}

export interface UploadResult {
  readonly digests: Digests;
  readonly multipart: boolean;
  /** Bytes sent to OSS by this call. */
  readonly sentBytes: number;
  /** Parts of an earlier run kept. */
  readonly keptParts: number;
}

export interface UploaderOptions {
  /** Attempts to read the source without progress, the first included. */
  readonly attempts: number;
  readonly isRetryableSourceError: (err: unknown) => boolean;
  readonly signal?: AbortSignal;
  /** When `signal` aborts, leave the file's multipart upload open (for a later run to continue), not aborted. */
  readonly keepOnCancel?: boolean;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (what: string, err: unknown, attempt: number, delayMs: number) => void;
  /**
   * Upload IDs that were unfinished before this run (listed at its start): the only ones under its keys that are
   * not this run's. Any other upload of a key this run starts is the run's own.
   */
  readonly earlierUploads?: ReadonlySet<string>;
  /** An upload this run started and abandoned was aborted (or could not be: then `err`). */
  readonly onStrayUpload?: (key: string, uploadId: string, err?: unknown) => void;
}

/** One file's multipart upload: what it sends, where, and the parts an earlier run left. */
interface FileTransfer {
  readonly spec: UploadSpec;
  readonly ev: UploadEvents;
  readonly id: string;
  readonly earlier: ReadonlyMap<number, UploadedPart>;
}

/** The state of one file's parts while they move. */
interface PartsRun {
  readonly nParts: number;
  readonly stop: AbortController;
  readonly done: Map<number, UploadedPart>;
  readonly order: InOrderDigest;
  readonly tally: { sentBytes: number; keptParts: number; readBytes: number };
  next: number;
}

interface SentParts {
  readonly parts: UploadedPart[];
  readonly digests: Digests;
  readonly sentBytes: number;
  readonly keptParts: number;
}

/**
 * One part's slice of a pool buffer. `landed` runs as each read's bytes land (the part's CRC-64 grows with them,
 * and the in-order digest takes them when the part is next); `whole` hands the finished part to that digest.
 */
interface PartBuffer {
  readonly n: number;
  readonly body: Buffer;
  crc: string;
  readonly landed: (view: Buffer, filled: number) => void;
  readonly whole: () => void;
}

/** Reading stopped because the part (or the whole file) was given up: `reason` says why. Never retried. */
class Stopped extends Error {
  constructor(readonly reason: unknown) {
    super('stopped');
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // read only when the upload needs the part again
  return { promise, resolve, reject };
}

/** The source failed after some progress: go on with a fresh attempt count. */
class Progressed extends Error {
  constructor(readonly inner: unknown) {
    super('progressed');
  }
}

const md5Etag = (buf: Buffer): string => createHash('md5').update(buf).digest('hex');
const sameEtag = (etag: string, md5: string): boolean => etag.replace(/"/g, '').toLowerCase() === md5;

export class Uploader {
  constructor(
    private readonly store: OssStore,
    private readonly pool: PartPool,
    private readonly opts: UploaderOptions
  ) {}

  upload(spec: UploadSpec, ev: UploadEvents = {}): Promise<UploadResult> {
    return spec.size <= this.pool.partSize && !spec.resumeUploadId ? this.single(spec, ev) : this.multipart(spec, ev);
  }

  /** Runs `read` until it succeeds; resets the attempt count whenever a read made progress before failing. */
  private async withSourceRetries(what: string, read: (progressed: () => void) => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await retry(
          async () => {
            let moved = false;
            try {
              await read(() => (moved = true));
            } catch (err) {
              if (moved && this.opts.isRetryableSourceError(err) && !this.opts.signal?.aborted)
                throw new Progressed(err);
              throw err;
            }
          },
          {
            attempts: this.opts.attempts,
            retryable: (e) => !(e instanceof Progressed) && this.opts.isRetryableSourceError(e),
            signal: this.opts.signal,
            sleep: this.opts.sleep,
            random: this.opts.random,
            onRetry: (err, attempt, delay) => this.opts.onRetry?.(what, err, attempt, delay)
          }
        );
      } catch (err) {
        if (err instanceof Progressed) continue;
        throw err;
      }
    }
  }

  private async single(spec: UploadSpec, ev: UploadEvents): Promise<UploadResult> {
    const buf = await this.pool.acquire(this.opts.signal);
    try {
      let digest = StreamDigest.start(spec.gitBlob ? spec.size : undefined);
      await this.withSourceRetries(spec.key, async () => {
        digest = StreamDigest.start(spec.gitBlob ? spec.size : undefined);
        const src = await spec.source.open(0);
        let fill = 0;
        try {
          for await (const chunk of src.chunks) {
            if (fill + chunk.length > spec.size) throw tooLong(spec);
            chunk.copy(buf, fill);
            digest.update(chunk);
            fill += chunk.length;
            ev.position?.(fill);
          }
        } finally {
          src.close();
        }
        if (fill !== spec.size) throw endedEarly(fill, spec.size);
      });
      const body = buf.subarray(0, spec.size);
      digest.addPartCrc(crc64(body), spec.size);
      const d = digest.digest();
      spec.verify(d);
      this.opts.signal?.throwIfAborted();
      await this.store.putObject(spec.key, body, spec.meta(d), undefined, d.crc64); // d.crc64 is the body's
      return { digests: d, multipart: false, sentBytes: spec.size, keptParts: 0 };
    } finally {
      this.pool.release(buf);
    }
  }

  /**
   * Parallel ranged transfer: up to `slots` parts of the file at once, each read by its own ranged GET into a
   * pool buffer and sent as its own UploadPart (several connections per file, as fast downloaders do: one TCP
   * stream across an ocean gets a fraction of the link). The file's hashes must see the bytes in order, so a
   * part is hashed when every part before it has been; its buffer goes back to the pool once it is both hashed
   * and sent. Parts take buffers in part order, so the lowest unhashed part always holds one: no deadlock, and
   * memory stays `slots × part size` for all files together.
   */
  private async multipart(spec: UploadSpec, ev: UploadEvents): Promise<UploadResult> {
    const { id, earlier } = await this.openUpload(spec);
    ev.uploadStarted?.(id);
    let completed = false;
    try {
      const sent = await this.sendAllParts({ spec, ev, id, earlier });
      await this.completeVerified(spec, id, sent.parts, sent.digests, () => {
        completed = true;
        ev.uploadEnded?.(id);
      });
      return { digests: sent.digests, multipart: true, sentBytes: sent.sentBytes, keptParts: sent.keptParts };
    } catch (err) {
      // once completed there is no upload left to abort (a CRC mismatch then deleted the object)
      const keep = this.opts.keepOnCancel && this.opts.signal?.aborted;
      if (!completed && !keep) await this.abortQuietly(spec, id, ev);
      throw err;
    }
  }

  /** Every part read and sent (or kept), `slots` at a time; the first failure stops the others. */
  private async sendAllParts(file: FileTransfer): Promise<SentParts> {
    const nParts = Math.max(1, Math.ceil(file.spec.size / this.pool.partSize));
    const stop = new AbortController();
    const onAbort = () => stop.abort(this.opts.signal?.reason);
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    const run: PartsRun = {
      nParts,
      stop,
      done: new Map(),
      order: new InOrderDigest(StreamDigest.start(file.spec.gitBlob ? file.spec.size : undefined)),
      tally: { sentBytes: 0, keptParts: 0, readBytes: 0 },
      next: 0
    };
    const worker = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        const n = ++run.next; // taken and its buffer asked for in one synchronous step: buffers go in part order
        if (n > nParts) return;
        await this.sendPart(file, run, n);
      }
    };
    try {
      const workers = Array.from({ length: Math.min(this.pool.slots, nParts) }, () =>
        worker().catch((err: unknown) => {
          if (!stop.signal.aborted) stop.abort(err);
          throw err;
        })
      );
      const settled = await Promise.allSettled(workers);
      const failure = settled.find((r) => r.status === 'rejected');
      if (failure || this.opts.signal?.aborted) run.order.discard();
      this.opts.signal?.throwIfAborted();
      if (failure) throw stop.signal.reason ?? failure.reason;
      const parts = Array.from({ length: nParts }, (_, i) => run.done.get(i + 1)!);
      return { parts, digests: run.order.digest(), ...run.tally };
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Part `n` into a pool buffer, hashed in file order. A part an earlier run left is read whole first, then kept
   * when its bytes are the same (else sent from the buffer); any other part is streamed into its UploadPart as
   * its bytes arrive.
   */
  private async sendPart(file: FileTransfer, run: PartsRun, n: number): Promise<void> {
    const partSize = this.pool.partSize;
    const len = n < run.nParts ? partSize : file.spec.size - (run.nParts - 1) * partSize;
    const buf = await this.pool.acquire(run.stop.signal);
    let holds = 2; // released once hashed and once sent (or kept, or failed)
    const drop = () => {
      if (--holds === 0) this.pool.release(buf);
    };
    let hashed = false;
    const body = buf.subarray(0, len);
    const part: PartBuffer = {
      n,
      body,
      crc: CRC64_EMPTY,
      landed: (view, filled) => {
        part.crc = crc64(view, part.crc);
        run.order.progress(n, body, filled);
      },
      whole: () => {
        hashed = true;
        run.order.add(n, body, part.crc, drop);
      }
    };
    try {
      const prior = file.earlier.get(n);
      const sent = prior ? await this.resendPart(file, run, part, prior) : await this.streamPart(file, run, part);
      run.done.set(n, sent);
    } catch (err) {
      if (!hashed) drop(); // never to be hashed: only the upload's hold is left
      throw err instanceof Stopped ? err.reason : err;
    } finally {
      drop();
    }
  }

  /** A part an earlier run sent: kept when its size and MD5 ETag match the bytes read again, else sent anew. */
  private async resendPart(file: FileTransfer, run: PartsRun, part: PartBuffer, prior: UploadedPart) {
    await this.readPart(file, run, part, run.stop.signal);
    part.whole();
    if (prior.size === part.body.length && sameEtag(prior.etag, md5Etag(part.body))) {
      run.tally.keptParts++;
      return prior;
    }
    const sent = await this.store.uploadPart(file.spec.key, file.id, part.n, part.body, part.crc);
    run.tally.sentBytes += part.body.length;
    return sent;
  }

  /**
   * The part's bytes go into its UploadPart while its ranged GET brings them (views of the pool buffer: no copy),
   * so each slot moves bytes down and up at once. The buffer still gets the whole part: for the in-order hash,
   * and for a re-send when the streamed attempt fails. An upload refused for good stops the read; a read failed
   * for good ends the upload (cut short: OSS keeps no part).
   */
  private async streamPart(file: FileTransfer, run: PartsRun, part: PartBuffer): Promise<UploadedPart> {
    const feed = new Readable({ read: () => undefined });
    const whole = deferred<{ body: Buffer; crc: string }>();
    const readStop = new AbortController();
    const stopRead = () => readStop.abort(run.stop.signal.reason);
    run.stop.signal.addEventListener('abort', stopRead, { once: true });
    const sending = this.store
      .uploadPartStreaming(file.spec.key, file.id, part.n, part.body.length, feed, () => whole.promise)
      .then(
        (p) => ({ ok: true as const, p }),
        (err: unknown) => {
          readStop.abort(err);
          return { ok: false as const, err };
        }
      );
    try {
      await this.readPart(file, run, part, readStop.signal, (view) => {
        if (!feed.destroyed) feed.push(view);
      });
    } catch (err) {
      feed.destroy();
      whole.reject(err);
      const r = await sending;
      throw !r.ok && err instanceof Stopped && err.reason === r.err ? r.err : err;
    } finally {
      run.stop.signal.removeEventListener('abort', stopRead);
    }
    feed.push(null);
    part.whole();
    whole.resolve({ body: part.body, crc: part.crc });
    const r = await sending;
    if (!r.ok) throw r.err;
    run.tally.sentBytes += part.body.length;
    return r.p;
  }

  /**
   * `verify` on the whole content's digests, then CompleteMultipartUpload; the CRC-64 OSS reports must be ours
   * (else the object is deleted: nothing wrong stays visible).
   */
  private async completeVerified(
    spec: UploadSpec,
    id: string,
    parts: UploadedPart[],
    d: Digests,
    onCompleted: () => void
  ): Promise<void> {
    spec.verify(d);
    this.opts.signal?.throwIfAborted();
    const reported =
      (await this.completeOnce(spec.key, id, parts, spec.size, d.crc64)) ?? (await this.store.head(spec.key))?.crc64;
    onCompleted();
    if (reported !== undefined && reported !== d.crc64) {
      await this.store.delete(spec.key).catch(() => undefined);
      throw crcMismatch(spec.key, d.crc64, reported);
    }
  }

  /** AbortMultipartUpload; when that fails the upload stays in the cleanup registry and the post step aborts it. */
  private async abortQuietly(spec: UploadSpec, id: string, ev: UploadEvents): Promise<void> {
    try {
      await this.store.abort(spec.key, id);
      ev.uploadEnded?.(id);
    } catch {
      // left recorded
    }
  }

  /** The upload to send parts into: an earlier run's unfinished one (with the parts it has), or a new one. */
  private async openUpload(spec: UploadSpec): Promise<{ id: string; earlier: Map<number, UploadedPart> }> {
    if (spec.resumeUploadId) {
      try {
        const parts = await this.store.listParts(spec.key, spec.resumeUploadId);
        return { id: spec.resumeUploadId, earlier: new Map(parts.map((p) => [p.number, p])) };
      } catch {
        // gone or unreadable: start afresh
      }
    }
    return { id: await this.start(spec), earlier: new Map() };
  }

  /**
   * Fills the part's buffer with the file's bytes by a ranged GET, handing each view to `onView` as it lands. A
   * fault mid-part goes on from the byte it reached (another ranged GET), with a fresh count of attempts whenever
   * bytes arrived since the last fault. Once `signal` is aborted, no further attempt: `Stopped`.
   */
  private async readPart(
    file: FileTransfer,
    run: PartsRun,
    part: PartBuffer,
    signal: AbortSignal,
    onView?: (view: Buffer) => void
  ): Promise<void> {
    const { spec, ev } = file;
    const into = part.body;
    const start = (part.n - 1) * this.pool.partSize;
    const last = start + into.length === spec.size;
    let fill = 0;
    await this.withSourceRetries(`${spec.key} (part ${part.n})`, async (progressed) => {
      if (signal.aborted) throw new Stopped(signal.reason);
      // The last part asks for the rest of the file, so a file longer than listed shows (SYNC_SIZE_MISMATCH).
      const src = await spec.source.open(start + fill, last ? undefined : start + into.length);
      try {
        for await (const chunk of src.chunks) {
          if (signal.aborted) throw new Stopped(signal.reason);
          const take = Math.min(chunk.length, into.length - fill);
          if (take < chunk.length && last) throw tooLong(spec);
          chunk.copy(into, fill, 0, take);
          const view = into.subarray(fill, fill + take);
          fill += take;
          part.landed(view, fill);
          onView?.(view);
          run.tally.readBytes += take;
          ev.position?.(run.tally.readBytes);
          progressed();
          // A server that ignored the range's end sends on: stop reading (closing drops that connection).
          if (fill === into.length && take < chunk.length) break;
        }
      } catch (err) {
        if (this.opts.isRetryableSourceError(err) && !signal.aborted) ev.resumed?.(start + fill, part.n, err);
        throw err;
      } finally {
        src.close();
      }
      if (fill < into.length) throw endedEarly(start + fill, spec.size);
    });
  }

  /**
   * InitiateMultipartUpload, never leaving an upload behind: when an attempt's answer was lost (reset before any
   * header, or a 200 cut short) OSS may have created an upload all the same, and the retry creates another. After
   * a retried start, the key's uploads are listed (ListMultipartUploads, prefix = the key) and every one that is
   * neither the upload in use nor one that was there before this run is aborted.
   */
  private async start(spec: UploadSpec): Promise<string> {
    let attempts = 0;
    let id: string | undefined;
    try {
      id = await this.store.initUpload(spec.key, spec.meta(), (a) => (attempts = a));
      return id;
    } finally {
      if (attempts > 1) await this.abortStrays(spec, id);
    }
  }

  /** Aborts this run's own abandoned uploads of `spec.key` (all but `keep`). Best effort: failures are reported. */
  private async abortStrays(spec: UploadSpec, keep: string | undefined): Promise<void> {
    let uploads: { key: string; uploadId: string }[];
    try {
      uploads = await this.store.listUploads(spec.key);
    } catch (err) {
      this.opts.onStrayUpload?.(spec.key, '(unlisted)', err);
      return;
    }
    const earlier = this.opts.earlierUploads ?? new Set<string>();
    const strays = uploads.filter(
      (u) => u.key === spec.key && u.uploadId !== keep && u.uploadId !== spec.resumeUploadId && !earlier.has(u.uploadId)
    );
    for (const u of strays) {
      try {
        await this.store.abort(u.key, u.uploadId);
        this.opts.onStrayUpload?.(u.key, u.uploadId);
      } catch (err) {
        this.opts.onStrayUpload?.(u.key, u.uploadId, err);
      }
    }
  }

  /**
   * Complete, tolerating a lost answer: when the connection broke after OSS had completed the upload, the retry
   * gets NoSuchUpload. The object is then checked instead: there, whole and with our CRC-64, it is ours.
   */
  private async completeOnce(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[],
    size: number,
    crc64: string
  ): Promise<string | undefined> {
    try {
      return await this.store.complete(key, uploadId, parts);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; status?: number } }).cause;
      // NoSuchUpload, or a 404 whose error XML was cut short (its code unknown): check the object
      if (cause?.code !== 'NoSuchUpload' && cause?.status !== 404) throw err;
      const head = await this.store.head(key);
      if (head && head.size === size && head.crc64 === crc64) return head.crc64;
      throw err;
    }
  }
}

/** OSS takes at most this many parts in one multipart upload (InvalidArgument past it). */
export const MAX_PARTS = 10000;

/**
 * The files that would need more than OSS's 10000 parts at `partSize`, checked before anything is sent so a
 * large file cannot fail at part 10001 after hours of transfer. Names the smallest part size that fits.
 */
export function checkPartCount(files: readonly { path: string; size: number }[], partSize: number): void {
  const biggest = files.reduce<{ path: string; size: number } | undefined>(
    (b, f) => (!b || f.size > b.size ? f : b),
    undefined
  );
  if (!biggest || Math.ceil(biggest.size / partSize) <= MAX_PARTS) return;
  const MiB = 1024 * 1024;
  const needMiB = Math.ceil(biggest.size / MAX_PARTS / MiB);
  throw new PipelineError(
    'SYNC_TOO_MANY_PARTS',
    `${biggest.path} (${biggest.size} bytes) needs ${Math.ceil(biggest.size / partSize)} parts of ${partSize / MiB} MiB; OSS takes at most ${MAX_PARTS} parts per object.`,
    `Set sync-part-size to ${needMiB} or more (memory grows with it: sync-parts-in-flight × sync-part-size).`
  );
}

function endedEarly(at: number, size: number): Error {
  return Object.assign(new Error(`the download ended at byte ${at} of ${size}`), {
    code: 'ERR_STREAM_PREMATURE_CLOSE'
  });
}

function tooLong(spec: UploadSpec): PipelineError {
  return new PipelineError(
    'SYNC_SIZE_MISMATCH',
    `${spec.key}: the hub sent more than the ${spec.size} bytes its file list gives.`,
    'The file changed on the hub or the mirror serves other content; re-run the job.'
  );
}
