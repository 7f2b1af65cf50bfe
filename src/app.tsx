import { Router } from "@solidjs/router";
import { FileRoutes } from "@solidjs/start/router";
import { ErrorBoundary, Suspense } from "solid-js";
import { ErrorPage } from "~/components/error-page";
import { TitleRoot } from "~/components/page-title";
import SiteLayout from "~/site-layout";
import "./app.css";

export default function App() {
  return (
    <Router
      root={(props) => (
        <TitleRoot>
          <SiteLayout>
            <ErrorBoundary fallback={(error) => <ErrorPage error={error} />}>
              <Suspense>{props.children}</Suspense>
            </ErrorBoundary>
          </SiteLayout>
        </TitleRoot>
      )}
    >
      <FileRoutes />
    </Router>
  );
}
