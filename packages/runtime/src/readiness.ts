/**
 * A named readiness check: true when ready; false, or a string saying why, when not. A check that
 * throws counts as not ready.
 */
export type ReadinessCheck = () => Promise<boolean | string> | boolean | string;

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, boolean>;
  reasons?: Record<string, string>;
}

/** Runs every check; ready only when all pass (the body of every /readyz in the project). */
export async function evaluateReadiness(checks: Record<string, ReadinessCheck>): Promise<ReadinessReport> {
  const results: Record<string, boolean> = {};
  const reasons: Record<string, string> = {};
  for (const [name, check] of Object.entries(checks)) {
    const result = await Promise.resolve()
      .then(check)
      // Not the error's message: /readyz may be public, and a client error can carry a URL with its password.
      .catch(() => 'the check failed with an error');
    results[name] = result === true;
    if (typeof result === 'string') reasons[name] = result;
  }
  const ok = Object.values(results).every(Boolean);
  return { status: ok ? 'ok' : 'unavailable', checks: results, ...(Object.keys(reasons).length ? { reasons } : {}) };
}
