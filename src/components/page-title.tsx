import { createContext, createRenderEffect, type ParentProps, useContext } from "solid-js";
import { isServer, useAssets } from "solid-js/web";

const TitleContext = createContext<(title: string, error?: boolean) => void>();

/**
 * Around the whole app, once: on the server it writes the innermost page's title into <head>.
 * A page can render more than once on the server (a Suspense boundary renders its children again
 * when their data arrives), so pages only record their title and a single <title> is written.
 */
export function TitleRoot(props: ParentProps) {
  const titles: string[] = [];
  // An error page replaces a page that may already have recorded its own title.
  const errorTitles: string[] = [];
  if (isServer)
    useAssets(() => {
      const title = errorTitles.at(-1) ?? titles.at(-1);
      return title === undefined ? undefined : <title>{title}</title>;
    });
  const setTitle = isServer
    ? (title: string, error?: boolean) => void (error ? errorTitles : titles).push(title)
    : (title: string) => void (document.title = title);
  return <TitleContext.Provider value={setTitle}>{props.children}</TitleContext.Provider>;
}

/**
 * The document title. Every page sets one (there is no default to fall back to), so last-one-wins
 * is all the app needs; @solidjs/meta's general head manager cost every page ~0.7 KB gzip.
 */
export function Title(props: { children: string; error?: boolean }) {
  const setTitle = useContext(TitleContext);
  createRenderEffect(() => setTitle?.(props.children, props.error));
  return null;
}
