/**
 * Gives the memory of finished socket reads back while a long transfer runs. Node hands each socket read (up to
 * 64 KiB) to JavaScript as a buffer of its own (malloc'd outside the V8 heap), freed only when V8 collects that
 * buffer's wrapper; V8 lets such outside-the-heap memory pile up by tens of MiB before it collects, and the
 * allocator keeps the high-water mark as resident memory. Measured on the shipped CLI syncing 1 GiB with four
 * ranged GETs at once: 40–60 MiB of dead read buffers and a 36–48 MiB malloc heap at the peak (bench/shipped.ts).
 *
 * The wrappers die young, so a *minor* collection (a scavenge: it visits only the live young objects, well under a
 * millisecond here) frees them: one every `minorEvery` bytes read keeps the dead reads below that. Objects that
 * happened to be alive at a scavenge are promoted and pile up in the old generation instead, hence a full
 * collection every `fullEvery` bytes (a few milliseconds on the product's ~20 MiB heap).
 *
 * `--expose-gc` set after start only installs `gc` in contexts made later, hence the fresh context (the way
 * jest's leak detector reaches it). Where that is refused, nothing is collected early and only memory suffers.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Collector {
  /** A scavenge of the young generation. */
  minor(): void;
  /** A full (mark-compact) collection. */
  full(): void;
}

export interface ReclaimEvery {
  readonly minorEvery: number;
  readonly fullEvery: number;
}

/** Bytes read between two collections, for every hub body read (src/hf/http.ts). */
export const READS: ReclaimEvery = { minorEvery: 2 * 1024 * 1024, fullEvery: 64 * 1024 * 1024 };

function v8Collector(): Collector | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc !== 'function') return undefined;
    const run = gc as (opts: { type: 'minor' | 'major' }) => void;
    return { minor: () => run({ type: 'minor' }), full: () => run({ type: 'major' }) };
  } catch {
    return undefined;
  }
}

/**
 * A counter of bytes moved that runs a minor collection each time `minorEvery` more have passed, and a full one
 * (instead) each time `fullEvery` more have.
 */
export function reclaimer(
  every: ReclaimEvery,
  collect: Collector | undefined = v8Collector()
): (bytes: number) => void {
  let sinceMinor = 0;
  let sinceFull = 0;
  return (bytes) => {
    sinceMinor += bytes;
    sinceFull += bytes;
    if (sinceMinor < every.minorEvery || !collect) return;
    sinceMinor = 0;
    if (sinceFull < every.fullEvery) return collect.minor();
    sinceFull = 0;
    collect.full();
  };
}

let reads: ((bytes: number) => void) | undefined;

/**
 * The process's socket reads: every body chunk read from the hub passes here. Built on first use, so importing
 * this module sets no V8 flag.
 */
export function bytesRead(bytes: number): void {
  reads ??= reclaimer(READS);
  reads(bytes);
}
