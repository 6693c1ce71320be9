/**
 * `GET .../pods/<pod>/log`: the kubelet's log endpoint as the API server proxies it. Errors match the
 * kubelet's wording (container waiting to start, not valid, name required); `follow` streams new lines until
 * the container terminates or the pod is deleted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from './contract.js';
import type { Runtime, LogLine } from './runtime.js';
import type { Store } from './store.js';
import { badRequest, notFound } from './status.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };

interface ContainerStatus {
  name: string;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
  lastState?: { terminated?: unknown };
}

function statusOf(pod: KubeObject, container: string): ContainerStatus | undefined {
  const all: ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? [])
  ];
  return all.find((c) => c.name === container);
}

function terminated(pod: KubeObject, container: string): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return true;
  return !!statusOf(pod, container)?.state?.terminated;
}

/** The kubelet's validateContainerLogStatus, for the states the sandbox produces. */
function checkStarted(pod: KubeObject, container: string): void {
  const name = pod.metadata.name;
  const cs = statusOf(pod, container);
  if (!cs) {
    if (terminated(pod, container)) return;
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  }
  const waiting = cs.state?.waiting;
  if (waiting && !cs.lastState?.terminated) {
    const reason = waiting.reason ?? 'ContainerCreating';
    if (reason === 'ErrImagePull')
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: image can't be pulled`);
    if (reason === 'ImagePullBackOff')
      throw badRequest(
        `container "${container}" in pod "${name}" is waiting to start: trying and failing to pull image`
      );
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.(\d+)Z$/, (_m, ms: string) => `.${ms.padEnd(9, '0')}Z`);
}

export function handleLog(
  req: IncomingMessage,
  res: ServerResponse,
  store: Store,
  runtime: Runtime,
  ns: string,
  name: string,
  q: URLSearchParams
): void {
  const pod = store.get(PODS, ns, name);
  if (!pod) throw notFound(PODS, name);
  const names: string[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map(
    (c: { name: string }) => c.name
  );
  const mainNames: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if (mainNames.length !== 1)
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${mainNames.join(' ')}]`);
    container = mainNames[0];
  }
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  if (q.get('previous') === 'true')
    throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  checkStarted(pod, container);

  const timestamps = q.get('timestamps') === 'true';
  const sinceSeconds = q.get('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  const since = sinceSeconds ? Date.now() - Number(sinceSeconds) * 1000 : sinceTime ? Date.parse(sinceTime) : undefined;
  const tail = q.get('tailLines');
  let budget = q.get('limitBytes') ? Number(q.get('limitBytes')) : Infinity;

  let lines = runtime.lines(ns, name, container).filter((l) => since === undefined || l.at.getTime() >= since);
  if (tail !== null && Number(tail) >= 0) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));

  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private'
  });
  const write = (l: LogLine): boolean => {
    let text = (timestamps ? `${stamp(l.at)} ` : '') + l.text;
    if (text.length > budget) text = text.slice(0, budget);
    budget -= text.length;
    if (text) res.write(text);
    return budget > 0;
  };
  let open = lines.every(write);
  if (!open || q.get('follow') !== 'true' || terminated(pod, container)) {
    res.end();
    return;
  }
  const stopLines = runtime.follow(ns, name, container, (l) => {
    open = write(l);
    if (!open) finish();
  });
  const stopPod = store.subscribeInternal((e) => {
    if (e.def.plural !== 'pods' || e.object.metadata.namespace !== ns || e.object.metadata.name !== name) return;
    if (e.type === 'DELETED' || terminated(e.object, container)) finish();
  });
  function finish(): void {
    stopLines();
    stopPod();
    if (!res.writableEnded) res.end();
  }
  req.on('close', finish);
  res.on('close', finish);
}
