import { Router } from "@solidjs/router";
import { FileRoutes } from "@solidjs/start/router";
import { ErrorBoundary, Suspense } from "solid-js";
import { Title, TitleRoot } from "~/components/page-title";
import SiteLayout from "~/components/site-layout";
import "./app.css";

export default function App() {
  return (
    <Router
      root={(props) => (
        <TitleRoot>
          <SiteLayout>
            <ErrorBoundary
              fallback={(error) => (
                <div role="alert">
                  <Title>Something went wrong</Title>
                  <h1>Something went wrong</h1>
                  <p>{error instanceof Error && error.message ? error.message : "Please try again."}</p>
                </div>
              )}
            >
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
