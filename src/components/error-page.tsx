import { useLocation } from "@solidjs/router";
import { HttpHeader, HttpStatusCode } from "@solidjs/start";
import { Match, Switch } from "solid-js";
import { Title } from "~/components/page-title";
import { errorStatus, RETRY_AFTER_SECONDS } from "~/lib/http-status";

/**
 * What the root error boundary shows, inside the site layout: a 403 for a refused role, a 503
 * while the database is unreachable (with Retry-After), a 500 for anything else. The status is
 * set on the server render; after client-side navigation the same page appears without a reload.
 */
export function ErrorPage(props: { error: unknown }) {
  const location = useLocation();
  const here = () => location.pathname + location.search;
  const status = () => errorStatus(props.error);
  const message = () => (props.error instanceof Error && props.error.message ? props.error.message : "Please try again.");
  return (
    <section class="error-page" role="alert" data-status={status()}>
      <HttpStatusCode code={status()} />
      <Switch>
        <Match when={status() === 403}>
          <Title error>Not allowed</Title>
          <h1>You can't open this page</h1>
          <p>{message()}</p>
          <p>
            <a href="/">Back to the home page</a>
          </p>
        </Match>
        <Match when={status() === 503}>
          <Title error>Temporarily unavailable</Title>
          <HttpHeader name="retry-after" value={String(RETRY_AFTER_SECONDS)} />
          <h1>Temporarily unavailable</h1>
          <p>{message()}</p>
          <p>
            <a href={here()}>Try again</a> · <a href="/">Home</a>
          </p>
        </Match>
        <Match when={status() === 500}>
          <Title error>Something went wrong</Title>
          <h1>Something went wrong</h1>
          <p>{message()}</p>
          <p>
            <a href={here()}>Try again</a> · <a href="/">Home</a>
          </p>
        </Match>
      </Switch>
    </section>
  );
}
