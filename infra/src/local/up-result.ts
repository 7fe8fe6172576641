import type { ServiceName } from "./services/types.ts";

/** How one service came up. */
export interface ServiceUpResult {
  name: ServiceName;
  action: "started" | "already-running";
  pid: number;
  url: string;
  /** True when its download/build ran (cold). */
  installed: boolean;
  ms: number;
  version?: string;
  provisioned?: string;
}

/** What `up` did; `cold` is true when anything had to be downloaded, built or apt-installed. */
export interface UpResult {
  cold: boolean;
  totalMs: number;
  apt: { ms: number; installed: string[] };
  services: ServiceUpResult[];
}
