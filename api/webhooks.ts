import { z } from 'zod';
import { IdParamSchema } from './query.js';

/** DEFAULT_WEBHOOK_EVENTS is what a subscription hears when it names no events: the failures. */
export const DEFAULT_WEBHOOK_EVENTS = ['vm.failed', 'vm.lost', 'node.down'] as const;

/** WebhookCreateSchema is POST /v1/webhooks: where to deliver, which events, in which format. */
export const WebhookCreateSchema = z.strictObject({
  url: z
    .string()
    .max(2048)
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL'),
  /** event types, or prefixes ending in a dot (`vm.`), this subscription hears */
  events: z
    .array(z.string().regex(/^[a-z]+\.([a-z_]+)?$/, 'must be an event type or a prefix such as vm.'))
    .min(1)
    .max(32)
    .default([...DEFAULT_WEBHOOK_EVENTS]),
  format: z.enum(['cloudevents', 'alertmanager']).default('cloudevents'),
  /** secret signs every delivery (HMAC-SHA256); the coordinator makes one when none is given */
  secret: z.string().min(16).max(256).optional(),
});

/** WebhookCreateBody is what a client sends to POST /v1/webhooks. */
export type WebhookCreateBody = z.input<typeof WebhookCreateSchema>;

/** WebhookIdParamSchema is the `{id}` of /v1/webhooks/{id}. */
export const WebhookIdParamSchema = z.strictObject({ id: IdParamSchema });

/** WebhookStats are one subscription's delivery figures. */
export interface WebhookStats {
  delivered: number;
  failed_attempts: number;
  dead: number;
  pending: number;
  last_error: string | null;
}

/** WebhookView is a subscription as the API shows it: never its secret. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  format: 'cloudevents' | 'alertmanager';
  created_at: string;
  stats: WebhookStats;
}

/** WebhookCreated answers POST /v1/webhooks: the view plus the secret, shown this once. */
export type WebhookCreated = WebhookView & { secret: string };

/** DeadLetter is a delivery given up after its last attempt (or pushed out of a full outbox). */
export interface DeadLetter {
  id: string;
  webhook_id: string;
  event_seq: number;
  event_type: string;
  attempts: number;
  last_error: string;
  created_at: string;
  failed_at: string;
}
