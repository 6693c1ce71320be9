/**
 * A GPU-aware stand-in for kube-scheduler: nodes with `nvidia.com/gpu` capacity, nodeSelector matching,
 * allocations per pod (released when the pod ends or goes away), and FailedScheduling messages worded as
 * kube-scheduler's FitError (reasons counted per node, sorted, plus the preemption sentence).
 */

export interface NodeSpec {
  name: string;
  gpus: number;
  labels?: Record<string, string>;
  ip?: string;
}

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'cn-beijing.192.168.0.11', gpus: 2 },
  { name: 'cn-beijing.192.168.0.12', gpus: 2 },
  { name: 'cn-beijing.192.168.0.13', gpus: 0 }
];

export type ScheduleResult = { ok: true; node: NodeSpec } | { ok: false; message: string };

const INSUFFICIENT_GPU = 'Insufficient nvidia.com/gpu';
const SELECTOR_MISMATCH = "node(s) didn't match Pod's node affinity/selector";
const NO_VICTIMS = 'No preemption victims found for incoming pod';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export class Scheduler {
  /** pod key → [node, gpus] */
  private allocations = new Map<string, { node: string; gpus: number }>();
  readonly nodes: NodeSpec[];

  constructor(nodes: NodeSpec[]) {
    this.nodes = nodes.map((n, i) => ({
      ...n,
      ip: n.ip ?? /(\d+\.\d+\.\d+\.\d+)$/.exec(n.name)?.[1] ?? `192.168.0.${11 + i}`,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...(n.gpus > 0
          ? {
              'aliyun.accelerator/nvidia_name': 'Tesla-V100-SXM2-16GB',
              'aliyun.accelerator/nvidia_count': String(n.gpus)
            }
          : {}),
        ...n.labels
      }
    }));
  }

  free(node: string): number {
    const spec = this.nodes.find((n) => n.name === node);
    if (!spec) return 0;
    let used = 0;
    for (const a of this.allocations.values()) if (a.node === node) used += a.gpus;
    return spec.gpus - used;
  }

  allocated(podKey: string): { node: string; gpus: number } | undefined {
    return this.allocations.get(podKey);
  }

  /** Place a pod, or say why not (FailedScheduling wording). Bin-packs: the fullest node that fits. */
  schedule(
    podKey: string,
    gpus: number,
    nodeSelector: Record<string, string> | undefined,
    pinned?: string
  ): ScheduleResult {
    const existing = this.allocations.get(podKey);
    if (existing) return { ok: true, node: this.nodes.find((n) => n.name === existing.node)! };
    const reasons = new Map<string, number>();
    const preemption = new Map<string, number>();
    const count = (m: Map<string, number>, r: string) => m.set(r, (m.get(r) ?? 0) + 1);
    const fits: NodeSpec[] = [];
    for (const n of this.nodes) {
      if (pinned && n.name !== pinned) {
        count(reasons, SELECTOR_MISMATCH);
        count(preemption, NOT_HELPFUL);
        continue;
      }
      if (nodeSelector && Object.entries(nodeSelector).some(([k, v]) => n.labels?.[k] !== v)) {
        count(reasons, SELECTOR_MISMATCH);
        count(preemption, NOT_HELPFUL);
        continue;
      }
      if (this.free(n.name) < gpus) {
        count(reasons, INSUFFICIENT_GPU);
        count(preemption, NO_VICTIMS);
        continue;
      }
      fits.push(n);
    }
    if (fits.length) {
      fits.sort((a, b) => this.free(a.name) - this.free(b.name));
      const node = fits[0];
      this.allocations.set(podKey, { node: node.name, gpus });
      return { ok: true, node };
    }
    return { ok: false, message: fitError(this.nodes.length, reasons, preemption) };
  }

  /** A message for pods no node will take whatever happens (scenario pending-forever). */
  neverMessage(): string {
    const n = this.nodes.length;
    return fitError(n, new Map([[SELECTOR_MISMATCH, n]]), new Map([[NOT_HELPFUL, n]]));
  }

  release(podKey: string): boolean {
    return this.allocations.delete(podKey);
  }
}

function fitError(total: number, reasons: Map<string, number>, preemption: Map<string, number>): string {
  const list = (m: Map<string, number>) =>
    [...m]
      .map(([r, c]) => `${c} ${r}`)
      .sort()
      .join(', ');
  return `0/${total} nodes are available: ${list(reasons)}. preemption: 0/${total} nodes are available: ${list(preemption)}.`;
}
