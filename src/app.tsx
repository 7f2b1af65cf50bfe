import { MetaProvider, Title } from "@solidjs/meta";
import { Router } from "@solidjs/router";
import { FileRoutes } from "@solidjs/start/router";
import { Suspense } from "solid-js";
import SiteLayout from "~/components/site-layout";
import "./app.css";

export default function App() {
  return (
    <Router
      root={(props) => (
        <MetaProvider>
          <Title>SolidStart + Supabase</Title>
          <SiteLayout>
            <Suspense>{props.children}</Suspense>
          </SiteLayout>
        </MetaProvider>
      )}
    >
      <FileRoutes />
    </Router>
  );
}
