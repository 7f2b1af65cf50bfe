import { useSubmissions } from "@solidjs/router";
import { sendMessage } from "./messages.api";

/** Messages being sent right now, shown at once; hidden again when the real row has arrived. */
export function usePendingMessages(has: (id: string) => boolean, to?: () => string | undefined) {
  const submissions = useSubmissions(sendMessage);
  return () =>
    submissions
      .filter((submission) => submission.pending || (submission.result && !submission.error))
      .map((submission) => {
        const form = submission.input[0] as FormData;
        return {
          id: String(form.get("id") ?? ""),
          body: String(form.get("body") ?? ""),
          to: form.get("to") ? String(form.get("to")) : undefined,
        };
      })
      .filter((message) => message.id && !has(message.id) && message.to === to?.());
}
