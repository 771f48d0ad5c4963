import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { PropsValidator } from './errors';

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

/** Validates requests and limits: positive requests, limits at least the requests. `property` is the props path (`resources`). */
export function validateComputeResources(v: PropsValidator, property: string, r: ComputeResources): ComputeResources {
  const cpuReq = cpuMillis(r.cpu.request);
  const cpuLim = cpuMillis(r.cpu.limit);
  // cdk8s refuses a fraction of a MiB (Size.kibibytes(100)): name the property.
  const memReq = v.convert(`${property}.memory.request`, r.memory.request, () => memoryMebibytes(r.memory.request));
  const memLim = v.convert(`${property}.memory.limit`, r.memory.limit, () => memoryMebibytes(r.memory.limit));
  v.check(Number.isFinite(cpuReq) && cpuReq > 0, `${property}.cpu.request`, r.cpu.request.amount, 'must be a CPU amount > 0');
  v.check(Number.isFinite(cpuLim) && cpuLim >= cpuReq, `${property}.cpu.limit`, r.cpu.limit.amount, `must be >= '${property}.cpu.request' (${r.cpu.request.amount})`);
  v.check(memReq > 0, `${property}.memory.request`, `${memReq}Mi`, 'must be > 0');
  v.check(memLim >= memReq, `${property}.memory.limit`, `${memLim}Mi`, `must be >= '${property}.memory.request' (${memReq}Mi)`);
  return r;
}
