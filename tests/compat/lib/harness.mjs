// The step runner of the compatibility tier: each step is one named check with
// its own time limit; it prints "PASS name" or "FAIL name: reason", and on a
// failure the HTTP exchanges the step's client had with respmock (through the
// recording proxy), trimmed to the fields that decide compatibility.
import fs from "node:fs";

export class AssertionError extends Error {}

export function assert(cond, msg) {
  if (!cond) throw new AssertionError(msg);
}

export function assertEq(got, want, what) {
  if (got !== want) throw new AssertionError(`${what}: got ${show(got)}, want ${show(want)}`);
}

export function show(v, max = 300) {
  let s;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new AssertionError(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class Runner {
  constructor(proxy) {
    this.proxy = proxy;
    this.passed = 0;
    this.failed = 0;
    this.verbose = process.env.COMPAT_TRACE === "1";
    // COMPAT_DUMP=FILE writes every step's full exchanges there as JSON.
    this.dumpFile = process.env.COMPAT_DUMP || null;
    this.dump = [];
    // A suite's steps share one time budget, so a mock that hangs costs a
    // bounded time, not a step limit per step.
    this.deadline = Date.now() + Number(process.env.COMPAT_SUITE_BUDGET_MS || 100000);
  }

  // fn receives a context: { signal, exchanges() } — exchanges() is what the
  // client sent so far in this step.
  async step(name, fn, { timeoutMs = 15000 } = {}) {
    const left = this.deadline - Date.now();
    if (left < 1000) {
      this.failed++;
      console.log(`FAIL ${name}: not run, the suite's time budget is spent`);
      return false;
    }
    timeoutMs = Math.min(timeoutMs, left);
    const mark = this.proxy.mark();
    const ac = new AbortController();
    const ctx = { signal: ac.signal, exchanges: () => this.proxy.since(mark) };
    const started = Date.now();
    let error = null;
    try {
      await withTimeout(Promise.resolve().then(() => fn(ctx)), timeoutMs, "step");
    } catch (e) {
      error = e;
    } finally {
      ac.abort();
    }
    const ms = Date.now() - started;
    if (this.dumpFile) this.dump.push({ step: name, ok: !error, error: error ? reason(error) : null, exchanges: ctx.exchanges() });
    if (!error) {
      this.passed++;
      console.log(`PASS ${name} (${ms} ms)`);
      if (this.verbose) console.log(formatExchanges(ctx.exchanges()));
      return true;
    }
    this.failed++;
    console.log(`FAIL ${name} (${ms} ms): ${reason(error)}`);
    console.log(formatExchanges(ctx.exchanges()));
    return false;
  }

  summary() {
    if (this.dumpFile) fs.writeFileSync(this.dumpFile, JSON.stringify(this.dump, null, 1));
    console.log(`${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0;
  }
}

function reason(e) {
  if (e instanceof AssertionError) return e.message;
  const parts = [];
  let cur = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const name = cur.constructor && cur.constructor.name ? cur.constructor.name : "Error";
    let msg = cur.message !== undefined ? cur.message : String(cur);
    if (cur.status) msg = `HTTP ${cur.status}: ${msg}`;
    parts.push(`${name}: ${msg}`);
    if (cur.responseBody) parts.push(`response body: ${show(cur.responseBody, 400)}`);
    cur = cur.cause;
  }
  let text = parts.join(" <- ");
  if (process.env.COMPAT_STACKS === "1" && e && e.stack) text += `\n${e.stack}`;
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}

// ---- exchange formatting -------------------------------------------------

const BODY_FIELDS = [
  "model", "stream", "store", "tool_choice", "parallel_tool_calls", "previous_response_id",
  "conversation", "include", "reasoning", "text", "response_format", "stream_options",
  "max_output_tokens", "max_tokens", "max_completion_tokens", "temperature", "top_p", "instructions",
  "prompt_cache_key", "truncation", "metadata", "user", "service_tier",
];

export function summarizeRequest(body) {
  let b;
  try {
    b = JSON.parse(body);
  } catch {
    return body ? `body (not JSON): ${cut(body, 200)}` : "";
  }
  if (!b || typeof b !== "object") return cut(b);
  const out = {};
  for (const k of BODY_FIELDS) {
    if (b[k] === undefined) continue;
    if (k === "instructions") out[k] = `${String(b[k]).length} chars`;
    else if (k === "text" || k === "response_format") out[k] = trimSchema(b[k]);
    else out[k] = b[k];
  }
  if (Array.isArray(b.tools)) out.tools = b.tools.map(toolSummary);
  if (b.input !== undefined) out.input = inputSummary(b.input);
  if (Array.isArray(b.messages)) out.messages = b.messages.map(messageSummary);
  if (Array.isArray(b.items)) out.items = b.items.map(itemSummary);
  const known = new Set([...BODY_FIELDS, "tools", "input", "messages", "items"]);
  const other = Object.keys(b).filter((k) => !known.has(k));
  if (other.length) out.other_fields = Object.fromEntries(other.map((k) => [k, trimValue(b[k])]));
  return JSON.stringify(out);
}

// A string cut to n characters (raw, not re-quoted), for use inside JSON summaries.
function cut(v, n = 300) {
  const t = typeof v === "string" ? v : JSON.stringify(v);
  if (t === undefined) return t;
  return t.length > n ? `${t.slice(0, n)}…(${t.length} chars)` : t;
}

function trimValue(v) {
  const s = JSON.stringify(v);
  return s && s.length > 160 ? `${s.slice(0, 160)}…` : v;
}

function trimSchema(t) {
  const s = JSON.stringify(t);
  if (s.length <= 600) return t;
  return `${s.slice(0, 600)}…`;
}

function toolSummary(t) {
  if (!t || typeof t !== "object") return t;
  if (t.type === "function" && t.function) {
    return { type: "function", name: t.function.name, strict: t.function.strict,
      parameters: paramSummary(t.function.parameters) };
  }
  if (t.type === "function") return { type: t.type, name: t.name, strict: t.strict, parameters: paramSummary(t.parameters) };
  if (t.type === "namespace") return { type: t.type, name: t.name, tools: (t.tools || []).map((x) => x.name) };
  const { description, ...rest } = t;
  return trimValue(rest);
}

function paramSummary(p) {
  if (!p || typeof p !== "object") return p;
  return { required: p.required, properties: p.properties ? Object.keys(p.properties) : undefined,
    additionalProperties: p.additionalProperties };
}

function inputSummary(input) {
  if (typeof input === "string") return cut(input, 120);
  if (!Array.isArray(input)) return cut(input, 120);
  return input.map(itemSummary);
}

function itemSummary(it) {
  if (!it || typeof it !== "object") return it;
  const type = it.type || (it.role ? "message(easy)" : "?");
  const s = { type };
  if (it.role) s.role = it.role;
  if (it.id) s.id = it.id;
  if (it.call_id) s.call_id = it.call_id;
  if (it.name) s.name = it.name;
  if (it.arguments) s.arguments = cut(it.arguments, 160);
  if (it.output !== undefined) s.output = cut(it.output, 160);
  if (it.encrypted_content) s.encrypted_content = "…";
  if (it.content !== undefined) {
    if (typeof it.content === "string") s.content = cut(it.content, 120);
    else if (Array.isArray(it.content)) s.content = it.content.map((p) => p.type + (p.text ? `:${cut(p.text, 80)}` : ""));
    else s.content = it.content;
  }
  const extra = Object.keys(it).filter((k) => !["type", "role", "id", "call_id", "name", "arguments", "output", "content", "encrypted_content"].includes(k));
  if (extra.length) s.keys = extra;
  return s;
}

function messageSummary(m) {
  const s = { role: m.role };
  if (typeof m.content === "string") s.content = cut(m.content, 100);
  else if (Array.isArray(m.content)) s.content = m.content.map((p) => p.type);
  else if (m.content === null) s.content = null;
  if (m.tool_calls) s.tool_calls = m.tool_calls.map((c) => ({ id: c.id, name: c.function && c.function.name, arguments: cut(c.function && c.function.arguments, 120) }));
  if (m.tool_call_id) s.tool_call_id = m.tool_call_id;
  return s;
}

export function summarizeReply(ex) {
  const r = ex.reply || "";
  if (ex.websocket) return cut(r.split("\r\n")[0], 200);
  if (ex.status >= 400) return cut(r, 500);
  if ((ex.replyType || "").includes("text/event-stream")) return summarizeSse(r);
  try {
    const o = JSON.parse(r);
    return summarizeObject(o);
  } catch {
    return cut(r, 300);
  }
}

function summarizeObject(o) {
  if (!o || typeof o !== "object") return cut(o);
  if (o.object === "response") {
    return `response ${o.status} output=${cut((o.output || []).map(outputItemSummary), 700)}`;
  }
  if (o.object === "chat.completion") {
    const c = (o.choices || [])[0] || {};
    const m = c.message || {};
    return `chat.completion finish=${c.finish_reason} content=${cut(m.content, 300)} tool_calls=${cut((m.tool_calls || []).map((t) => ({ name: t.function.name, arguments: t.function.arguments })), 300)}`;
  }
  return cut(o, 400);
}

function outputItemSummary(it) {
  if (it.type === "message") return { type: "message", content: (it.content || []).map((p) => ({ type: p.type, text: cut(p.text ?? p.refusal, 200) })) };
  if (it.type === "function_call") return { type: it.type, name: it.name, arguments: cut(it.arguments, 200) };
  if (it.type === "reasoning") return { type: it.type, summary: (it.summary || []).length, encrypted_content: !!it.encrypted_content };
  return { type: it.type };
}

function summarizeSse(text) {
  const events = [];
  let final = null;
  let chatContent = "";
  let chatTools = [];
  let finish = null;
  for (const block of text.split("\n\n")) {
    const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("");
    if (!data) continue;
    if (data === "[DONE]") { events.push("[DONE]"); continue; }
    let o;
    try { o = JSON.parse(data); } catch { continue; }
    if (o.object === "chat.completion.chunk") {
      for (const c of o.choices || []) {
        if (c.delta && c.delta.content) chatContent += c.delta.content;
        if (c.delta && c.delta.tool_calls) for (const t of c.delta.tool_calls) {
          chatTools[t.index] = chatTools[t.index] || { name: "", arguments: "" };
          if (t.function && t.function.name) chatTools[t.index].name += t.function.name;
          if (t.function && t.function.arguments) chatTools[t.index].arguments += t.function.arguments;
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
      continue;
    }
    if (o.type) events.push(o.type);
    if (o.type === "response.completed" || o.type === "response.incomplete" || o.type === "response.failed") final = o.response;
    if (o.type === "error") final = { error: o };
  }
  if (finish !== null || chatContent || chatTools.length) {
    return `chat SSE finish=${finish} content=${cut(chatContent, 300)} tool_calls=${cut(chatTools, 300)}`;
  }
  const counts = [];
  for (const e of events) {
    const last = counts[counts.length - 1];
    if (last && last[0] === e) last[1]++; else counts.push([e, 1]);
  }
  const seq = counts.map(([e, n]) => (n > 1 ? `${e}×${n}` : e)).join(", ");
  let fin = "";
  if (final && final.error) fin = ` error=${cut(final.error, 300)}`;
  else if (final) fin = ` final ${final.status} output=${cut((final.output || []).map(outputItemSummary), 700)}`;
  return `SSE [${cut(seq, 500)}]${fin}`;
}

export function formatExchanges(list) {
  if (!list.length) return "    (no HTTP request reached respmock)";
  return list.map((ex, i) => {
    const head = `    #${i + 1} ${ex.websocket ? "WEBSOCKET " : ""}${ex.method} ${ex.path} -> ${ex.status}`;
    const hdrs = Object.fromEntries(Object.entries(ex.headers || {}).map(([k, v]) => [k, String(v).length > 100 ? `${String(v).slice(0, 100)}…` : v]));
    const hdr = Object.keys(hdrs).length ? `\n       headers: ${JSON.stringify(hdrs)}` : "";
    const req = ex.body ? `\n       request: ${summarizeRequest(ex.body)}` : "";
    return `${head}${hdr}${req}\n       reply: ${summarizeReply(ex)}`;
  }).join("\n");
}

// ---- helpers for reading what the mock answered --------------------------

// The final Response object of a /v1/responses exchange (JSON or SSE).
export function finalResponseOf(ex) {
  const r = ex.reply || "";
  if ((ex.replyType || "").includes("text/event-stream")) {
    let final = null;
    for (const block of r.split("\n\n")) {
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("");
      if (!data || data === "[DONE]") continue;
      try {
        const o = JSON.parse(data);
        if (o.type === "response.completed" || o.type === "response.incomplete" || o.type === "response.failed") final = o.response;
      } catch { /* not JSON */ }
    }
    return final;
  }
  try {
    const o = JSON.parse(r);
    return o && o.object === "response" ? o : null;
  } catch {
    return null;
  }
}

export function outputText(resp) {
  if (!resp) return null;
  return (resp.output || []).filter((o) => o.type === "message")
    .flatMap((o) => o.content || []).filter((p) => p.type === "output_text").map((p) => p.text).join("");
}

export function requestBody(ex) {
  try {
    return JSON.parse(ex.body);
  } catch {
    return null;
  }
}
