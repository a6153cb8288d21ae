import { z } from 'zod';
import { BooleanQuerySchema, IdParamSchema } from './query.js';

/**
 * EventsQuerySchema is GET /v1/events's query. `since` (or the Last-Event-ID header) resumes after
 * that seq; `kind` is a comma list of event types or prefixes (`vm.failed,node.`); `node` and `vm`
 * narrow to one node or VM id (admin); `follow=false` sends the backlog and ends the stream.
 */
export const EventsQuerySchema = z.strictObject({
  since: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).optional(),
  kind: z
    .string()
    .regex(/^[a-z._,]{1,200}$/, 'must be a comma list of event types or prefixes')
    .optional(),
  node: IdParamSchema.optional(),
  vm: IdParamSchema.optional(),
  follow: BooleanQuerySchema.default(true),
});

/** EventsQuery is a parsed GET /v1/events query. */
export type EventsQuery = z.infer<typeof EventsQuerySchema>;
