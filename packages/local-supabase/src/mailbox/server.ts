import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { MailStore, StoredMail } from "./store.ts";

/** Mailpit's list-entry shape (the fields its clients read). */
function summary(mail: StoredMail) {
  return {
    ID: mail.id,
    MessageID: mail.messageId,
    Read: mail.read,
    From: mail.from,
    To: mail.to,
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    Subject: mail.subject,
    Created: mail.created.toISOString(),
    Tags: [],
    Size: Buffer.byteLength(mail.text) + Buffer.byteLength(mail.html),
    Attachments: 0,
    Snippet: mail.text.replace(/\s+/g, " ").trim().slice(0, 250),
  };
}

function message(mail: StoredMail) {
  return {
    ID: mail.id,
    MessageID: mail.messageId,
    Read: true,
    From: mail.from,
    To: mail.to,
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    ReturnPath: mail.from.Address,
    Subject: mail.subject,
    Date: mail.created.toISOString(),
    Tags: [],
    Text: mail.text,
    HTML: mail.html,
    Size: Buffer.byteLength(mail.text) + Buffer.byteLength(mail.html),
    Inline: [],
    Attachments: [],
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(mails: StoredMail[]): string {
  const rows = mails
    .map(
      (mail) => `<article>
  <header><strong>${escapeHtml(mail.subject)}</strong> to ${escapeHtml(mail.to.map((to) => to.Address).join(", "))}
  <small>${mail.created.toISOString()}</small></header>
  <iframe sandbox="allow-popups allow-top-navigation-by-user-activation" srcdoc="${escapeHtml(mail.html)}"></iframe>
</article>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ccc;border-radius:.5rem;margin:1rem 0;padding:.75rem}
iframe{width:100%;min-height:14rem;border:0}small{color:#666;margin-left:.5rem}</style></head>
<body><h1>Local mailbox</h1><p>Mails the embedded auth server sent, newest first (kept in memory).
<button onclick="fetch('/api/v1/messages',{method:'DELETE'}).then(()=>location.reload())">Delete all</button></p>
${rows || "<p>No mails yet.</p>"}
</body></html>`;
}

function send(response: ServerResponse, status: number, body: unknown, type = "application/json; charset=utf-8") {
  response.writeHead(status, { "content-type": type, "access-control-allow-origin": "*" });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** The part of Mailpit's HTTP API that Supabase tooling and tests use, plus a plain HTML page. */
export function createMailboxServer(store: MailStore): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://mailbox.local");
    const method = request.method ?? "GET";
    request.resume();
    if (method === "OPTIONS") {
      response.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, DELETE, OPTIONS",
        "access-control-allow-headers": "content-type",
      });
      response.end();
      return;
    }
    if (url.pathname === "/" && method === "GET") return send(response, 200, page(store.list()), "text/html; charset=utf-8");
    if (url.pathname === "/api/v1/messages" && method === "GET") {
      const all = store.list();
      const start = Math.max(0, Number(url.searchParams.get("start")) || 0);
      const limit = Math.max(1, Number(url.searchParams.get("limit")) || 50);
      const messages = all.slice(start, start + limit).map(summary);
      return send(response, 200, {
        total: all.length,
        unread: all.filter((mail) => !mail.read).length,
        count: messages.length,
        messages_count: all.length,
        start,
        tags: [],
        messages,
      });
    }
    if (url.pathname === "/api/v1/messages" && method === "DELETE") {
      store.clear();
      return send(response, 200, "ok", "text/plain; charset=utf-8");
    }
    const one = /^\/api\/v1\/message\/([^/]+)$/.exec(url.pathname);
    if (one && method === "GET") {
      const id = decodeURIComponent(one[1] as string);
      // Mailpit accepts `latest` for the newest message.
      const mail = id === "latest" ? store.list()[0] : store.get(id);
      if (!mail) return send(response, 404, "message not found", "text/plain; charset=utf-8");
      mail.read = true;
      return send(response, 200, message(mail));
    }
    return send(response, 404, "not found", "text/plain; charset=utf-8");
  });
}
