// A transparent recording proxy on 127.0.0.1 in front of respmock: every
// exchange (method, path, chosen headers, request body, status, reply body) is
// kept so a failing check can show exactly what its client sent and got back.
// WebSocket upgrades are piped through untouched and recorded too.
import http from "node:http";
import net from "node:net";

const SHOWN_HEADERS = [
  "content-type", "accept", "openai-beta", "user-agent", "originator", "version",
  "session_id", "session-id", "conversation_id", "x-stainless-lang", "x-stainless-package-version",
  "x-stainless-helper-method", "x-codex-turn-metadata", "x-openai-subagent", "upgrade",
  "sec-websocket-protocol", "chatgpt-account-id",
];

export async function startProxy(upstreamPort) {
  const exchanges = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const ex = {
        method: req.method, path: req.url, headers: pickHeaders(req.headers),
        auth: req.headers.authorization ? "Bearer …" : null,
        body: body.toString("utf8"), status: null, reply: "", replyType: null,
      };
      exchanges.push(ex);
      const headers = { ...req.headers, host: `127.0.0.1:${upstreamPort}` };
      const up = http.request(
        { host: "127.0.0.1", port: upstreamPort, method: req.method, path: req.url, headers },
        (ur) => {
          ex.status = ur.statusCode;
          ex.replyType = ur.headers["content-type"] || null;
          res.writeHead(ur.statusCode, ur.rawHeaders);
          ur.on("data", (c) => {
            if (ex.reply.length < 400000) ex.reply += c.toString("utf8");
            res.write(c);
          });
          ur.on("end", () => res.end());
          ur.on("error", () => res.destroy());
        },
      );
      up.on("error", (e) => {
        ex.status = 599;
        ex.reply = `proxy: upstream error ${e.message}`;
        res.writeHead(502).end();
      });
      up.end(body);
    });
  });
  server.on("upgrade", (req, sock, head) => {
    const ex = {
      method: req.method, path: req.url, headers: pickHeaders(req.headers), websocket: true,
      body: "", status: null, reply: "",
    };
    exchanges.push(ex);
    const up = net.connect(upstreamPort, "127.0.0.1", () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(raw + "\r\n");
      if (head && head.length) up.write(head);
      let first = true;
      up.on("data", (c) => {
        if (first) {
          first = false;
          const text = c.toString("latin1");
          const m = /^HTTP\/1\.1 (\d+)/.exec(text);
          ex.status = m ? Number(m[1]) : null;
          ex.reply = text.slice(0, 2000);
        }
      });
      up.pipe(sock);
      sock.pipe(up);
    });
    up.on("error", () => sock.destroy());
    sock.on("error", () => up.destroy());
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  return {
    port,
    url: `http://127.0.0.1:${port}/v1`,
    exchanges,
    mark() { return exchanges.length; },
    since(mark) { return exchanges.slice(mark); },
    close() {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function pickHeaders(h) {
  if (process.env.COMPAT_ALL_HEADERS === "1") {
    const { authorization, ...rest } = h;
    return rest;
  }
  const out = {};
  for (const k of SHOWN_HEADERS) if (h[k] !== undefined) out[k] = h[k];
  return out;
}
