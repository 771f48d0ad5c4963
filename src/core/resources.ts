import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';

/** CPU and memory requests and limits of one container. */
export interface ComputeResources {
  /** CPU request (what the scheduler reserves) and limit (where the container is throttled). */
  readonly cpu: { readonly request: Cpu; readonly limit: Cpu };
  /** Memory request and limit (the container is OOM-killed above the limit). */
  readonly memory: { readonly request: Size; readonly limit: Size };
}

/** CPU amount in millicores ("1500m" -> 1500, "2" -> 2000). */
export function cpuMillis(cpu: Cpu): number {
  const amount = cpu.amount.trim();
  if (amount.endsWith('m')) {
    return Number(amount.slice(0, -1));
  }
  return Number(amount) * 1000;
}

/** Memory amount in MiB. */
export function memoryMebibytes(size: Size): number {
  return size.toMebibytes();
}
