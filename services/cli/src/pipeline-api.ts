import { clientToken } from './admin-token.ts';

export interface ApiTarget {
  base: string;
  clientId: string;
  secret: string;
}

/**
 * The running pipeline's API as the operator: /admin/* refuses the report reader's credential,
 * so the operator commands (rollup, replay, status) sign with OPERATOR_CLIENT_ID / _SECRET.
 */
export function operatorTarget(env: { PORT: number; OPERATOR_CLIENT_ID: string; OPERATOR_CLIENT_SECRET: string }, api?: string): ApiTarget {
  return { base: apiBase(env, api), clientId: env.OPERATOR_CLIENT_ID, secret: env.OPERATOR_CLIENT_SECRET };
}

/** --api, else NOTIFY_STATS_API, else this machine's API on PORT. */
export function apiBase(env: { PORT: number }, api?: string): string {
  return (api || process.env.NOTIFY_STATS_API || `http://127.0.0.1:${env.PORT}`).replace(/\/+$/, '');
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
      headers: { authorization: `Bearer ${await clientToken(target.clientId, target.secret)}` },
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
