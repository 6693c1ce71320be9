/**
 * The kubelet's side of the API: container logs (with followers) and the local TCP ports that stand in for
 * container ports. Pod deletion (seen through the store) ends followers and forgets the pod.
 */
import type { PodRuntime } from './contract.js';
import type { Store } from './store.js';

export interface LogLine {
  at: Date;
  text: string;
}

interface ContainerLog {
  lines: LogLine[];
  followers: Set<(l: LogLine) => void>;
}

const podKey = (ns: string, pod: string) => `${ns}/${pod}`;

export class Runtime implements PodRuntime {
  private readonly logs = new Map<string, Map<string, ContainerLog>>();
  private readonly ports = new Map<string, Map<number, number>>();
  private readonly unsubscribe: () => void;

  constructor(store: Store) {
    this.unsubscribe = store.subscribeInternal((e) => {
      if (e.type === 'DELETED' && e.def.plural === 'pods')
        this.forget(e.object.metadata.namespace ?? '', e.object.metadata.name);
    });
  }

  private container(ns: string, pod: string, container: string): ContainerLog {
    let byPod = this.logs.get(podKey(ns, pod));
    if (!byPod) this.logs.set(podKey(ns, pod), (byPod = new Map()));
    let c = byPod.get(container);
    if (!c) byPod.set(container, (c = { lines: [], followers: new Set() }));
    return c;
  }

  appendLog(namespace: string, pod: string, container: string, text: string): void {
    const c = this.container(namespace, pod, container);
    const at = new Date();
    for (const part of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      const line = { at, text: part };
      c.lines.push(line);
      for (const f of [...c.followers]) f(line);
    }
  }

  registerPort(namespace: string, pod: string, containerPort: number, localPort: number): void {
    let m = this.ports.get(podKey(namespace, pod));
    if (!m) this.ports.set(podKey(namespace, pod), (m = new Map()));
    m.set(containerPort, localPort);
  }

  unregisterPod(namespace: string, pod: string): void {
    this.ports.delete(podKey(namespace, pod));
  }

  localPort(namespace: string, pod: string, containerPort: number): number | undefined {
    return this.ports.get(podKey(namespace, pod))?.get(containerPort);
  }

  lines(namespace: string, pod: string, container: string): LogLine[] {
    return [...(this.logs.get(podKey(namespace, pod))?.get(container)?.lines ?? [])];
  }

  /** Calls `fn` for each line appended from now on; returns the unsubscribe function. */
  follow(namespace: string, pod: string, container: string, fn: (l: LogLine) => void): () => void {
    const c = this.container(namespace, pod, container);
    c.followers.add(fn);
    return () => c.followers.delete(fn);
  }

  private forget(ns: string, pod: string): void {
    this.logs.delete(podKey(ns, pod));
    this.ports.delete(podKey(ns, pod));
  }

  close(): void {
    this.unsubscribe();
  }
}
