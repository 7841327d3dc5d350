import { adminToken } from './admin-token.ts';

export interface ApiTarget {
  base: string;
  clientId: string;
  secret: string;
}

export class PipelineUnreachable extends Error {}

/**
 * Calls the running pipeline's admin API. The embedded engine and the consumer belong to the
 * pipeline's process, so commands that must act on them ask that process instead.
 */
export async function callPipeline(target: ApiTarget, method: 'GET' | 'POST', path: string): Promise<Response> {
  try {
    return await fetch(`${target.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${await adminToken(target.clientId, target.secret)}` },
    });
  } catch {
    throw new PipelineUnreachable(`no pipeline answers at ${target.base}`);
  }
}

export async function pipelineJson<T>(target: ApiTarget, method: 'GET' | 'POST', path: string): Promise<T> {
  const res = await callPipeline(target, method, path);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
