import * as v from "valibot";

/** `KEY=` in a .env file means "not set", not "set to the empty string". */
const required = (name: string) =>
  v.pipe(
    v.optional(v.string(), ""),
    v.transform((value) => value.trim()),
    v.nonEmpty(`${name} is required`),
  );

const httpUrl = (name: string) =>
  v.pipe(
    required(name),
    v.url(`${name} must be an absolute URL, e.g. http://127.0.0.1:54321`),
    v.check((value) => /^https?:$/.test(new URL(value).protocol), `${name} must use http or https`),
    v.transform((value) => value.replace(/\/+$/, "")),
  );

export const postgresUrl = (name: string) =>
  v.pipe(
    required(name),
    v.check((value) => {
      try {
        return /^postgres(ql)?:$/.test(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `${name} must be a postgres:// URL`),
  );

/** What the browser may know. Anything here ends up in client code or in served HTML. */
export const PublicEnv = v.object({
  VITE_SUPABASE_URL: httpUrl("VITE_SUPABASE_URL"),
  VITE_SUPABASE_PUBLISHABLE_KEY: required("VITE_SUPABASE_PUBLISHABLE_KEY"),
});

export type PublicEnv = v.InferOutput<typeof PublicEnv>;

export class EnvError extends Error {
  override name = "EnvError";
}

/** Parses `source` and names every bad variable in one message, so one restart fixes them all. */
export function parseEnv<TSchema extends v.ObjectSchema<v.ObjectEntries, undefined>>(
  schema: TSchema,
  source: Record<string, string | undefined>,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, source, { abortPipeEarly: true });
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const name = String(issue.path?.[0]?.key ?? "environment");
    return issue.message.includes(name) ? `  ${issue.message}` : `  ${name}: ${issue.message}`;
  });
  throw new EnvError(`Invalid environment (see .env.example):\n${problems.join("\n")}`);
}
