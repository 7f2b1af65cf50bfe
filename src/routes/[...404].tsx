import { Title } from "~/components/page-title";
import { HttpStatusCode } from "@solidjs/start";

export default function NotFound() {
  return (
    <>
      <Title>Not found</Title>
      <HttpStatusCode code={404} />
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to the home page</a>
      </p>
    </>
  );
}
