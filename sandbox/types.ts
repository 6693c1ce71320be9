/**
 * Shapes shared by the sandbox pieces (never imported by src/: the sandbox and the product share no code).
 */

/** The JSON line `npm run sandbox` prints; tools outside the test suite read these keys. */
export interface SandboxInfo {
  hub: { endpoint: string; token: string };
  oss: { endpoint: string; bucket: string; region: string; accessKeyId: string; accessKeySecret: string };
  releases: { endpoint: string };
  admin: { endpoint: string };
  /**
   * The endpoints the cluster's pods use (the cluster-internal side): the same hub and bucket on other ports, so the
   * network model (`POST /network`) can give pods a different link than the runner's. Present with the hub / OSS.
   */
  cluster?: {
    hub?: { endpoint: string };
    /** OSS's internal endpoint (`oss-<region>-internal.aliyuncs.com` in the real world). */
    oss?: { endpoint: string };
  };
  kube?: {
    /** A cluster-admin kubeconfig (system:masters), as before RBAC came in: tools outside the suite rely on it. */
    kubeconfig: string;
    namespace: string;
    /** The pipeline's kubeconfig: the ServiceAccount of deploy/rbac.yaml, authorized by exactly its rules. */
    pipelineKubeconfig?: string;
    /** That kubeconfig's user as RBAC names it (`system:serviceaccount:<ns>:<name>`). */
    user?: string;
    /** The same as `kubeconfig` (cluster-admin), by a name that says so. */
    adminKubeconfig?: string;
    readOnlyKubeconfig?: string;
  };
}

export type ServiceName = 'hub' | 'cdn' | 'oss' | 'releases' | 'kube';

/** What an injected fault does to a matching request. */
export type FaultAction =
  /** Answer with this status and the service's own error body (code is the service's error code). */
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfterSeconds?: number }
  /** Send the response head and `afterBytes` bytes of the body, then destroy the socket. */
  | { kind: 'reset'; afterBytes: number }
  /** Wait before handling the request normally. */
  | { kind: 'delay'; ms: number }
  /** Serve the body with these bytes flipped (corruption in transit). */
  | { kind: 'corrupt'; atByte: number }
  /** Read `afterBytes` bytes of the request body, then destroy the socket (a connection lost mid-upload; OSS only). */
  | { kind: 'cut-request'; afterBytes: number };

export interface FaultSpec {
  service: ServiceName;
  /** HTTP method to match (any when absent). */
  method?: string;
  /** A regular expression matched against the request path with its query string. */
  path?: string;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  action: FaultAction;
}

export interface RecordedRequest {
  service: ServiceName;
  method: string;
  /** Path with query string. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  status?: number;
  at: number;
}
