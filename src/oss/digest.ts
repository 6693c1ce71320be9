/**
 * The hashes computed while bytes stream through: sha256 (what LFS files are checked against and what object
 * metadata records), git blob sha1 (what non-LFS files are checked against) and CRC-64 (what OSS reports).
 */
import { createHash, type Hash } from 'node:crypto';
import { CRC64_EMPTY, crc64Combine } from './crc64.js';

export interface Digests {
  readonly sha256: string;
  /** Git blob sha1, when asked for. */
  readonly gitSha1?: string;
  readonly crc64: string;
  readonly size: number;
}

export class StreamDigest {
  private constructor(
    private sha256: Hash,
    private sha1: Hash | undefined,
    private crc: string,
    private bytes: number
  ) {}

  /** `gitBlobSize`: also compute the git blob sha1 of content of that size. */
  static start(gitBlobSize?: number): StreamDigest {
    let sha1: Hash | undefined;
    if (gitBlobSize !== undefined) sha1 = createHash('sha1').update(`blob ${gitBlobSize}\0`);
    return new StreamDigest(createHash('sha256'), sha1, CRC64_EMPTY, 0);
  }

  /** Hash bytes as they arrive (the CRC is added per part, see `addPart`). */
  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.sha1?.update(chunk);
    this.bytes += chunk.length;
  }

  /** Extend the running CRC by a finished part's CRC. */
  addPartCrc(partCrc: string, partLength: number): void {
    this.crc = crc64Combine(this.crc, partCrc, partLength);
  }

  get size(): number {
    return this.bytes;
  }

  digest(): Digests {
    return {
      sha256: this.sha256.copy().digest('hex'),
      gitSha1: this.sha1?.copy().digest('hex'),
      crc64: this.crc,
      size: this.bytes
    };
  }
}
