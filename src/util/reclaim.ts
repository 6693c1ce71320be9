/**
 * Gives the memory of finished socket reads back while a long transfer runs. Node hands each socket read (up to
 * 64 KiB) to JavaScript as a buffer of its own, freed only when V8 collects that buffer's wrapper, and V8 lets
 * such outside-the-heap memory pile up by tens of MiB before it collects: measured on the shipped CLI, 40–60 MiB
 * of dead read buffers at the peak of a 4 GiB sync, more on a busy machine (the bench's "peak RSS" rows). A full
 * collection after every `everyBytes` moved bounds that pile; on the product's ~12 MiB heap one takes a few
 * milliseconds, against seconds of transfer for the bytes between two.
 *
 * `--expose-gc` set after start only installs `gc` in contexts made later, hence the fresh context (the way
 * jest's leak detector reaches it). Where that is refused, nothing is collected early and only memory suffers.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export type Collect = () => void;

function v8Collect(): Collect | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

/** A counter of bytes moved that collects each time `everyBytes` more have passed. */
export function reclaimer(everyBytes: number, collect: Collect | undefined = v8Collect()): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes || !collect) return;
    since = 0;
    collect();
  };
}
