import { z } from 'zod';

/**
 * MeteringRecordSchema is one completed inference as metering.jsonl stores it. status `ok` carries
 * the upstream's usage; `usage_unknown` is a stream cut (or a body without usage) before usage
 * arrived: its token fields are null, never zero, and streamed_chunks says what did get through.
 */
export const MeteringRecordSchema = z
  .object({
    v: z.literal(1),
    request_id: z.string(),
    tenant: z.string(),
    model: z.string(),
    upstream: z.string(),
    endpoint: z.enum(['chat.completions', 'completions']),
    stream: z.boolean(),
    status: z.enum(['ok', 'usage_unknown']),
    prompt_tokens: z.number().int().nonnegative().nullable(),
    completion_tokens: z.number().int().nonnegative().nullable(),
    total_tokens: z.number().int().nonnegative().nullable(),
    streamed_chunks: z.number().int().nonnegative(),
    started_at: z.string(),
    ended_at: z.string(),
  })
  .strict();

/** MeteringRecord is one parsed metering line. */
export type MeteringRecord = z.output<typeof MeteringRecordSchema>;

/** Usage is the OpenAI `usage` object's token counts. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** readUsage takes well-formed token counts from an upstream `usage` value, or null. */
export function readUsage(value: unknown): Usage | null {
  const r = z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      completion_tokens: z.number().int().nonnegative(),
      total_tokens: z.number().int().nonnegative().optional(),
    })
    .safeParse(value);
  if (!r.success) return null;
  const { prompt_tokens, completion_tokens } = r.data;
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens: r.data.total_tokens ?? prompt_tokens + completion_tokens,
  };
}
