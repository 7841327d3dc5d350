import { z } from 'zod';
import type { Result } from '../../service-stats/result.ts';

/**
 * A service-stats query schema whose parsed output is what the domain's `resolve` makes of it,
 * so the check runs once and the handler gets typed values. This is the one place a failed
 * Result meets HTTP: it becomes the query's validation issue, which the app's error handler
 * (errors.ts) and the cost summary's envelope (peer-error.ts) both answer as a 400 with its message.
 */
export function resolvedQuery<T>(shape: z.ZodRawShape, resolve: (q: Record<string, unknown>) => Result<T>) {
  return z.object(shape).transform((q, ctx): T => {
    const r = resolve(q);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });
}
