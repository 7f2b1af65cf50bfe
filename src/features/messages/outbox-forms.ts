/** Forms the outbox submitted: the send form shows only its own (no-JavaScript) errors. */
export const outboxForms = new WeakSet<FormData>();
export const isOutboxForm = (input: unknown[]) => input[0] instanceof FormData && outboxForms.has(input[0]);
