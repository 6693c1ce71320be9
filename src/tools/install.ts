/**
 * The one install flow for a pinned tool (after actions/setup-node's base distribution): find in the tool cache →
 * download while hashing → verify the sha256 (from the input, else a digest shipped with the action, else the
 * publisher's checksum file; with none of them the download is reported NOT verified) → unpack → cache → on PATH
 * → run it to check the version. A source (kubectl, arena) only says where its files are and how to unpack them.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import { PipelineError } from '../errors.js';
import { HttpStatusError, downloadFile, downloadText, type DownloadOptions } from './download.js';

export type Arch = 'amd64' | 'arm64';

/** RUNNER_ARCH / process.arch → the arch in download URLs. */
export function toolArch(runnerArch: string | undefined, nodeArch: string = process.arch): Arch {
  const a = (runnerArch || nodeArch).toLowerCase();
  if (a === 'x64' || a === 'amd64' || a === 'x86_64') return 'amd64';
  if (a === 'arm64' || a === 'aarch64') return 'arm64';
  throw new PipelineError(
    'TOOL_ARCH_UNSUPPORTED',
    `The runner's architecture "${a}" is not supported`,
    'Run on a Linux x64 or arm64 runner.'
  );
}

export function expandTemplate(template: string, version: string, arch: Arch): string {
  return template.replace(/\{version\}/g, version).replace(/\{arch\}/g, arch);
}

export interface ToolSource {
  readonly tool: string;
  readonly version: string;
  readonly arch: Arch;
  readonly url: string;
  /** Expected sha256 from the inputs (wins over everything else). */
  readonly sha256?: string;
  /** The release's digest shipped with the product (see arena.ts), used when no input is given. */
  readonly shippedSha256?: string;
  /** Where the publisher puts a checksum file (kubectl: `<url>.sha256`); absent when none is published. */
  readonly checksumUrl?: string;
  /** The input that pins the digest, named in warnings. */
  readonly shaInput: string;
  /** A URL other than the official default: redirects refused. */
  readonly mirror: boolean;
  /** Turns the verified download into a directory to cache; returns that directory. */
  unpack(file: string, workDir: string): Promise<string>;
  /** Sub-directory of the cached directory that goes on PATH ('' for the directory itself). */
  readonly binDir: string;
  readonly binary: string;
  /** false: the caller puts its own directory on PATH (Arena's bin/ would shadow the pinned kubectl). */
  readonly addToPath?: boolean;
}

export interface InstallDeps {
  readonly log: { info(message: string): void; warning(message: string): void };
  readonly tempDir: string;
  readonly addPath: (dir: string) => void;
  readonly download?: Omit<DownloadOptions, 'followRedirects'>;
}

export interface Installed {
  /** The cached tool directory. */
  readonly dir: string;
  /** Full path of the binary. */
  readonly binary: string;
  readonly fromCache: boolean;
  readonly verified: boolean;
  /** Where the expected digest came from; undefined when the download was not verified (or not known). */
  readonly checksumFrom?: ChecksumFrom;
  /** The input that pins the digest (for the "NOT verified" text). */
  readonly shaInput: string;
}

export type ChecksumFrom = 'input' | 'shipped digest' | 'published checksum file';

/** Written into the cached directory so a later run from the cache can tell whether it was verified. */
const MARKER = '.arena-ft-install.json';

interface Marker {
  url: string;
  sha256: string;
  verified: boolean;
  checksumFrom?: ChecksumFrom;
}

async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** How an install reads in the log and the job summary. */
export function verificationText(i: Installed): string {
  const by: Record<ChecksumFrom, string> = {
    input: `the ${i.shaInput} input`,
    'shipped digest': 'the digest shipped with this action',
    'published checksum file': 'the published .sha256'
  };
  if (i.fromCache) {
    return i.verified ? 'cached, sha256 verified when downloaded' : `cached, NOT verified when downloaded`;
  }
  return i.verified && i.checksumFrom
    ? `downloaded, sha256 verified by ${by[i.checksumFrom]}`
    : `downloaded, NOT verified: no digest known, set ${i.shaInput}`;
}

/** The first hex token of a `.sha256` file (`<hex>` or `<hex>  <name>`). */
export function parseChecksumFile(text: string): string | undefined {
  const m = /^\s*([a-fA-F0-9]{64})\b/.exec(text);
  return m ? m[1].toLowerCase() : undefined;
}

function downloadError(src: ToolSource, url: string, e: unknown): PipelineError {
  const what = `${src.tool} ${src.version} for linux/${src.arch}`;
  if (e instanceof HttpStatusError && e.status === 404) {
    return new PipelineError(
      'TOOL_NOT_FOUND',
      `${what} was not found: HTTP 404 from ${url}`,
      `Check the ${src.tool}-version input (is ${src.version} released for ${src.arch}?) and the ${src.tool}-url template or mirror.`
    );
  }
  if (e instanceof HttpStatusError && e.status >= 300 && e.status < 400) {
    return new PipelineError(
      'TOOL_MIRROR_REDIRECT',
      `The mirror answered ${url} with a redirect (HTTP ${e.status}), which is refused for custom mirrors`,
      `Point ${src.tool}-url at the final location of the files.`
    );
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new PipelineError(
    'TOOL_DOWNLOAD_FAILED',
    `Downloading ${what} from ${url} failed after retries: ${reason}`,
    `The server or the network failed repeatedly; re-run, or set ${src.tool}-url to a mirror closer to the runner.`,
    { cause: e }
  );
}

export async function installTool(src: ToolSource, deps: InstallDeps): Promise<Installed> {
  const cached = tc.find(src.tool, src.version, src.arch);
  if (cached && existsSync(path.join(cached, src.binDir, src.binary))) {
    const marker = await readMarker(cached);
    const verified = marker?.verified === true;
    deps.log.info(
      `${src.tool} ${src.version} (${src.arch}) found in the tool cache: ${cached}${verified ? '' : ' (it was NOT verified when downloaded)'}`
    );
    if (src.addToPath !== false) deps.addPath(path.join(cached, src.binDir));
    return {
      dir: cached,
      binary: path.join(cached, src.binDir, src.binary),
      fromCache: true,
      verified,
      shaInput: src.shaInput,
      ...(verified && marker?.checksumFrom ? { checksumFrom: marker.checksumFrom } : {})
    };
  }

  const dl: DownloadOptions = {
    ...deps.download,
    followRedirects: !src.mirror,
    onRetry: (err, attempt) =>
      deps.log.warning(
        `${src.tool}: attempt ${attempt} failed (${err instanceof Error ? err.message : String(err)}); retrying`
      )
  };
  let expected = src.sha256?.toLowerCase();
  let checksumFrom: ChecksumFrom | undefined = expected ? 'input' : undefined;
  if (!expected && src.shippedSha256) {
    expected = src.shippedSha256.toLowerCase();
    checksumFrom = 'shipped digest';
  }
  if (!expected && src.checksumUrl) {
    const checksumUrl = src.checksumUrl;
    const text = await downloadText(checksumUrl, dl).catch((e: unknown) => {
      if (dl.signal?.aborted) throw e; // cancelled: the runner reports CANCELLED
      throw downloadError(src, checksumUrl, e);
    });
    expected = text === undefined ? undefined : parseChecksumFile(text);
    if (expected) checksumFrom = 'published checksum file';
  }
  if (!expected) {
    const why = src.checksumUrl
      ? `no ${src.shaInput} input and no checksum at ${src.checksumUrl}`
      : `no ${src.shaInput} input, no digest shipped with this action for ${src.version} (linux/${src.arch}) and the release publishes none`;
    deps.log.warning(
      `${src.tool} ${src.version}: the download is NOT verified (${why}). Set ${src.shaInput} to the sha256 of ${src.url} to pin it.`
    );
  }

  const workDir = path.join(deps.tempDir, `${src.tool}-${src.version}-${src.arch}-${process.pid}-${Date.now()}`);
  await mkdir(workDir, { recursive: true });
  try {
    deps.log.info(`Downloading ${src.tool} ${src.version} (${src.arch}) from ${src.url}`);
    const got = await downloadFile(src.url, workDir, dl).catch((e: unknown) => {
      if (dl.signal?.aborted) throw e;
      throw downloadError(src, src.url, e);
    });
    if (expected && got.sha256 !== expected) {
      throw new PipelineError(
        'TOOL_CHECKSUM_MISMATCH',
        `${src.tool} ${src.version} (${src.arch}) from ${src.url} has sha256 ${got.sha256}, expected ${expected}`,
        `The file is corrupt or not the release you pinned: check ${src.tool}-sha256 and the mirror; nothing was cached.`
      );
    }
    const dir = await src.unpack(got.file, workDir);
    const marker: Marker = {
      url: src.url,
      sha256: got.sha256,
      verified: expected !== undefined,
      ...(checksumFrom ? { checksumFrom } : {})
    };
    await writeFile(path.join(dir, MARKER), JSON.stringify(marker));
    const cachedDir = await tc.cacheDir(dir, src.tool, src.version, src.arch);
    if (src.addToPath !== false) deps.addPath(path.join(cachedDir, src.binDir));
    deps.log.info(
      `${src.tool} ${src.version} installed in ${cachedDir} (${got.bytes} bytes, sha256 ${got.sha256}, ${expected ? `verified against the ${checksumFrom}` : 'NOT verified'})`
    );
    return {
      dir: cachedDir,
      binary: path.join(cachedDir, src.binDir, src.binary),
      fromCache: false,
      verified: expected !== undefined,
      shaInput: src.shaInput,
      ...(checksumFrom ? { checksumFrom } : {})
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
