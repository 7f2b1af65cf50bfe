import { Title } from "~/components/page-title";
import { HttpStatusCode } from "@solidjs/start";

export default function NotFound() {
  return (
    <section class="error-page">
      <Title>Not found</Title>
      <HttpStatusCode code={404} />
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <a class="button button--primary" href="/">
          Back to the home page
        </a>
      </p>
    </section>
  );
}
