import { z } from 'zod';
import { isoDay, uuid } from './fields.ts';
import { COST_THRESHOLDS } from './vocabulary.ts';

/** `notify.letter-despatch.v1`: the print provider confirms a letter was despatched. */
export const letterDespatchEvent = z.object({
  event_id: uuid,
  notification_id: uuid,
  despatched_on: isoDay,
  cost_threshold: z.enum(COST_THRESHOLDS),
});
export type LetterDespatchEvent = z.output<typeof letterDespatchEvent>;
