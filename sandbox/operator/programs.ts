/**
 * What a simulated container runs. The entrypoint is `command` + `args`: `sh -c "<script>"` is interpreted
 * (see shell.ts) with a few builtins, `python[3] …/huggingface_bloom_convert.py …` runs the converter
 * simulation, `tritonserver …` starts the Triton simulator through `startTriton`, a container without a
 * command idles until stopped. Anything else is not in the image: `sh: 1: x: not found` (127).
 */
import { posix } from 'node:path';
import { runBloomConverter, type ConverterFs } from '../converter/bloom.js';
import { parseShell, ShellSyntaxError } from './shell.js';
import type { StartTriton } from './types.js';
import type { Degradation } from '../triton/index.js';
import type { OssLocation } from './volumes.js';

export interface Exit {
  exitCode: number;
  reason: 'Completed' | 'Error' | 'OOMKilled' | 'StartError' | 'ContainerCannotRun';
  message?: string;
}

/** Thrown from `log` once the process has been killed; programs let it propagate. */
export class Killed extends Error {}

export interface ProcessEnv {
  namespace: string;
  pod: string;
  container: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  env: Record<string, string>;
  gpus: number;
  log(line: string): void;
  signal: AbortSignal;
  sleep(scenarioSeconds: number): Promise<void>;
  fs: ConverterFs;
  resolvePodPath(p: string): OssLocation | undefined;
  startTriton?: StartTriton;
  /** Triton's degradation under load (the `degrade-under-load` scenario), when one matches. */
  degrade?: Degradation;
  /** Container port → local port, for port-forward and probes. */
  exposePorts(ports: Record<number, number>): void;
}

const CONVERTER = 'huggingface_bloom_convert.py';

/** Runs the container's entrypoint to its exit (or until killed: then it rejects with Killed). */
export async function runContainerProcess(p: ProcessEnv): Promise<Exit> {
  const argv: string[] = [...(p.container.command ?? []), ...(p.container.args ?? [])].map(String);
  if (argv.length === 0) {
    if (p.container.name === 'tritonserver') return runTriton(p, []);
    await untilKilled(p.signal);
    throw new Killed();
  }
  const bin = posix.basename(argv[0]);
  if ((bin === 'sh' || bin === 'bash') && argv[1] === '-c') {
    return runScript(p, argv[2] ?? '');
  }
  if (!isKnownBinary(bin)) {
    return {
      exitCode: 128,
      reason: 'StartError',
      message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown`
    };
  }
  const code = await runCommand(p, argv, { cwd: p.container.workingDir ?? '/' });
  return exitOf(code);
}

function exitOf(code: number): Exit {
  return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' };
}

function isKnownBinary(bin: string): boolean {
  return (
    ['python', 'python3', 'tritonserver', 'sleep', 'echo', 'true', 'false', 'sh', 'bash', 'mkdir', 'ls'].includes(
      bin
    ) || /^python3\.\d+$/.test(bin)
  );
}

function untilKilled(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function runScript(p: ProcessEnv, script: string): Promise<Exit> {
  let commands;
  try {
    commands = parseShell(script, p.env);
  } catch (err) {
    if (err instanceof ShellSyntaxError) {
      p.log(`sh: 1: ${err.message}`);
      return exitOf(2);
    }
    throw err;
  }
  const state = { cwd: p.container.workingDir ?? '/', exit: false };
  let status = 0;
  let skip = false;
  for (const c of commands) {
    if (!skip) {
      status = await runCommand(p, c.argv, state);
      if (state.exit) break;
    }
    skip = (c.then === '&&' && status !== 0) || (c.then === '||' && status === 0);
  }
  return exitOf(status);
}

async function runCommand(p: ProcessEnv, argv: string[], state: { cwd: string; exit?: boolean }): Promise<number> {
  const [cmd, ...rest] = argv;
  const bin = posix.basename(cmd);
  switch (bin) {
    case 'true':
    case ':':
    case 'mkdir':
      return 0;
    case 'false':
      return 1;
    case 'echo':
      p.log(rest.join(' '));
      return 0;
    case 'pwd':
      p.log(state.cwd);
      return 0;
    case 'cd':
      state.cwd = posix.resolve(state.cwd, rest[0] ?? '/');
      return 0;
    case 'exit':
      state.exit = true;
      return Number.parseInt(rest[0] ?? '0', 10) || 0;
    case 'sleep': {
      const s = Number.parseFloat(rest[0] ?? '');
      if (!Number.isFinite(s)) {
        p.log(`sleep: invalid time interval '${rest[0] ?? ''}'`);
        return 1;
      }
      await p.sleep(s);
      if (p.signal.aborted) throw new Killed();
      return 0;
    }
    case 'tritonserver':
      return (await runTriton(p, rest)).exitCode;
  }
  if (bin === 'python' || bin === 'python3' || /^python3\.\d+$/.test(bin)) return runPython(p, bin, rest, state.cwd);
  p.log(`sh: 1: ${cmd}: not found`);
  return 127;
}

async function runPython(p: ProcessEnv, bin: string, args: string[], cwd: string): Promise<number> {
  let i = 0;
  while (i < args.length && /^-[BuOsSEIq]+$/.test(args[i])) i++;
  if (args[i] === '-m') {
    p.log(`/usr/bin/${bin}: No module named ${args[i + 1] ?? ''}`);
    return 1;
  }
  const script = args[i];
  if (script === undefined) return 0; // an interactive interpreter with no tty reads EOF and exits
  if (posix.basename(script) !== CONVERTER) {
    p.log(`${bin}: can't open file '${posix.resolve(cwd, script)}': [Errno 2] No such file or directory`);
    return 2;
  }
  return runBloomConverter({ argv: args.slice(i), fs: p.fs, log: (l) => p.log(l), cwd });
}

async function runTriton(p: ProcessEnv, args: string[]): Promise<Exit> {
  if (!p.startTriton) {
    p.log('error: creating server: Internal - the sandbox has no Triton simulator (startTriton not given)');
    return exitOf(1);
  }
  let server: Awaited<ReturnType<StartTriton>>;
  try {
    server = await p.startTriton({
      namespace: p.namespace,
      pod: p.pod,
      args,
      gpus: p.gpus,
      resolvePodPath: (x) => p.resolvePodPath(x),
      ...(p.degrade ? { degrade: p.degrade } : {}),
      log: (text) => {
        try {
          if (!p.signal.aborted) for (const l of text.replace(/\r?\n$/, '').split('\n')) p.log(l);
        } catch {
          // killed (a scenario or pod deletion): the abort below ends the server
        }
      }
    });
  } catch (err) {
    p.log(`error: creating server: ${(err as Error).message}`);
    return exitOf(1);
  }
  if (p.signal.aborted) {
    await server.stop();
    throw new Killed();
  }
  p.exposePorts(server.ports);
  const exited = server.exited ?? new Promise<never>(() => undefined);
  const result = await Promise.race([exited.then((code) => ({ code })), untilKilled(p.signal).then(() => undefined)]);
  await server.stop().catch(() => undefined);
  if (!result) throw new Killed();
  return exitOf(result.code);
}
