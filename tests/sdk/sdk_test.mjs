// End-to-end: the official OpenAI Node SDK against a running respmock.
// Usage: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 node sdk_test.mjs
// Each check prints "ok - name" or "not ok - name: why"; exit 1 on any failure.
import OpenAI from "openai";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ResponsesWS } from "openai/resources/responses/ws";

const client = new OpenAI({ apiKey: "sk-respmock-sdk-test", maxRetries: 2, timeout: 20000 });
const model = "gpt-4.1-mini";
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

// JSON text without the SDK's client-side additions ("parsed", ...).
function canonical(v) {
  return JSON.stringify(v, (k, x) => (k === "parsed" || k === "parsed_arguments" ? undefined : x));
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather",
  parameters: {
    type: "object",
    properties: { location: { type: "string" } },
    required: ["location"],
    additionalProperties: false,
  },
};

await check("responses.create returns output_text", async () => {
  const r = await client.responses.create({ model, input: "Say hello" });
  assert(r.object === "response", "object");
  assert(r.id.startsWith("resp_"), "id");
  assert(r.output_text.length > 0, "output_text empty");
  assert(r._request_id && r._request_id.startsWith("req_"), "request id");
});

await check("responses.stream helper: events and finalResponse()", async () => {
  const plain = await client.responses.create({ model, input: "Say hello" });
  const stream = client.responses.stream({ model, input: "Say hello" });
  let deltas = "";
  let seq = -1;
  stream.on("response.output_text.delta", (e) => (deltas += e.delta));
  stream.on("event", (e) => {
    assert(e.sequence_number === seq + 1, `sequence ${e.sequence_number} after ${seq}`);
    seq = e.sequence_number;
  });
  const final = await stream.finalResponse();
  assert(final.status === "completed", "status");
  assert(final.output_text === plain.output_text, "final text differs from non-streaming");
  assert(deltas === plain.output_text, "deltas differ");
});

await check("raw stream: create({stream:true}) iterates to response.completed", async () => {
  const s = await client.responses.create({ model, input: "hi", stream: true });
  const types = [];
  for await (const ev of s) types.push(ev.type);
  assert(types[0] === "response.created", "first event");
  assert(types[types.length - 1] === "response.completed", "last event");
});

await check("function tool loop with previous_response_id", async () => {
  const first = await client.responses.create({ model, input: "Weather in Boston?", tools: [weatherTool] });
  const call = first.output.find((o) => o.type === "function_call");
  assert(call, "no function_call");
  assert(typeof call.arguments === "string", "arguments must be a string");
  assert(JSON.parse(call.arguments).location, "arguments");
  const second = await client.responses.create({
    model,
    previous_response_id: first.id,
    input: [{ type: "function_call_output", call_id: call.call_id, output: '{"temp_c":21}' }],
  });
  assert(second.previous_response_id === first.id, "previous_response_id echo");
  assert(second.output_text.includes("Boston"), "second turn text");
});

await check("function call streaming through the helper", async () => {
  const stream = client.responses.stream({ model, input: "Weather?", tools: [weatherTool] });
  let args = "";
  stream.on("response.function_call_arguments.delta", (e) => (args += e.delta));
  const final = await stream.finalResponse();
  const call = final.output.find((o) => o.type === "function_call");
  assert(call && call.arguments === args, "streamed arguments differ");
});

for (const [label, input, extra] of [
  ["refusal", "Please refuse this", {}],
  ["reasoning then message", "think about it", {}],
  ["recorded transcript", "hi", { model: "respmock-recorded" }],
  ["background", "hi", { background: true }],
]) {
  await check(`responses.stream helper: ${label}`, async () => {
    const stream = client.responses.stream({ model, input, ...extra });
    const final = await stream.finalResponse();
    assert(final.status === "completed", `status ${final.status}`);
    assert(final.output.length > 0, "no output");
    if (!extra.model) {
      const got = await client.responses.retrieve(final.id);
      assert(canonical(got.output) === canonical(final.output), "stored output differs");
    }
  });
}

// Built-in tool items (fixtures/80-builtin-tools.json): each streamed through the
// helper, whose accumulator checks every tool event against its item, to a final
// response equal to the stored one; what each item's own events carried.
const builtins = [
  ["web search + url_citation", "respmock-web-search", ["web_search_call", "message"], {}],
  ["file search with results", "respmock-file-search", ["file_search_call", "message"],
    { include: ["file_search_call.results"] }],
  ["code interpreter with outputs", "respmock-code-interpreter", ["code_interpreter_call", "message"],
    { include: ["code_interpreter_call.outputs"] }],
  ["image generation", "respmock-image-generation", ["image_generation_call", "message"], {}],
  ["mcp list + call", "respmock-mcp", ["mcp_list_tools", "mcp_call", "message"], {}],
  ["mcp approval request", "respmock-mcp-approval", ["mcp_list_tools", "mcp_approval_request"], {}],
  ["custom tool call (apply_patch)", "respmock-apply-patch", ["custom_tool_call"], {}],
  ["shell call", "respmock-shell", ["shell_call"], {}],
  ["local shell call", "respmock-local-shell", ["local_shell_call"], {}],
  ["reasoning_text", "respmock-reasoning-text", ["reasoning", "message"], {}],
];
for (const [label, m, types, extra] of builtins) {
  await check(`built-in items through the stream helper: ${label}`, async () => {
    const stream = client.responses.stream({ model: m, input: "go", ...extra });
    const seen = {};
    const joined = {};
    stream.on("event", (e) => {
      seen[e.type] = (seen[e.type] || 0) + 1;
      if (typeof e.delta === "string") joined[e.type] = (joined[e.type] || "") + e.delta;
    });
    const final = await stream.finalResponse();
    assert(final.status === "completed", `status ${final.status}`);
    assert(canonical(final.output.map((o) => o.type)) === canonical(types),
      `output types ${final.output.map((o) => o.type)}`);
    const got = await client.responses.retrieve(final.id);
    assert(canonical(got.output) === canonical(final.output), "stored output differs");
    const item = final.output[0];
    switch (item.type) {
      case "web_search_call": {
        assert(seen["response.web_search_call.searching"] === 1, "searching event");
        const part = final.output[1].content[0];
        assert(part.annotations[0].type === "url_citation", "no url_citation");
        assert(seen["response.output_text.annotation.added"] === 1, "annotation.added");
        const a = part.annotations[0];
        assert(part.text.slice(a.start_index, a.end_index).length > 0, "citation range");
        break;
      }
      case "file_search_call":
        assert(item.results && item.results[0].file_id === "file-respmock0001", "results included");
        assert(seen["response.file_search_call.completed"] === 1, "completed event");
        break;
      case "code_interpreter_call":
        assert(joined["response.code_interpreter_call_code.delta"] === item.code, "code deltas");
        assert(item.outputs && item.outputs[0].type === "logs", "outputs included");
        break;
      case "image_generation_call":
        assert(seen["response.image_generation_call.partial_image"] === 2, "partial images");
        assert(typeof item.result === "string" && item.result.length > 0, "result");
        break;
      case "mcp_list_tools":
        assert(item.tools.length === 1, "tools listed");
        if (final.output[1].type === "mcp_call")
          assert(joined["response.mcp_call_arguments.delta"] === final.output[1].arguments, "mcp arguments");
        break;
      case "custom_tool_call":
        assert(joined["response.custom_tool_call_input.delta"] === item.input, "input deltas");
        assert(item.input.startsWith("*** Begin Patch"), "apply_patch input");
        assert(item.call_id.startsWith("call_"), "call_id");
        break;
      case "shell_call":
        assert(canonical(item.action.commands) === canonical(["echo respmock", "ls"]), "commands");
        assert(seen["response.shell_call_command.done"] === 2, "command events");
        break;
      case "local_shell_call":
        assert(item.action.type === "exec" && item.action.command[0] === "echo", "action");
        break;
      case "reasoning":
        assert(item.content[0].type === "reasoning_text", "reasoning_text part");
        assert(joined["response.reasoning_text.delta"] === item.content[0].text, "reasoning text deltas");
        break;
    }
  });
}

await check("logprobs and top_logprobs through the stream helper", async () => {
  const stream = client.responses.stream({
    model, input: "Say hello", include: ["message.output_text.logprobs"], top_logprobs: 2,
  });
  const final = await stream.finalResponse();
  const part = final.output.find((o) => o.type === "message").content[0];
  assert(part.logprobs.length > 0, "no logprobs");
  assert(part.logprobs.map((l) => l.token).join("") === part.text, "tokens join to the text");
  assert(part.logprobs.every((l) => l.top_logprobs.length === 2 && l.logprob < 0), "top_logprobs");
});

await check("request-aware default: a web_search tool yields a search and a cited answer", async () => {
  const stream = client.responses.stream({ model, input: "what is new in C23?", tools: [{ type: "web_search" }] });
  const final = await stream.finalResponse();
  assert(final.output[0].type === "web_search_call", `first item ${final.output[0].type}`);
  assert(final.output[0].action.query === "what is new in C23?", "query");
  assert(final.output[1].content[0].annotations[0].type === "url_citation", "cited");
  assert(final.output_text.length > 0, "output_text");
});

await check("responses.compact() and the compaction item as input", async () => {
  assert(typeof client.responses.compact === "function", "openai-node has responses.compact");
  const c = await client.responses.compact({
    model: "gpt-5.1-codex-max",
    input: [
      { role: "user", content: "Remember the word pineapple." },
      { type: "message", role: "assistant", status: "completed", id: "msg_001",
        content: [{ type: "output_text", text: "Noted.", annotations: [], logprobs: [] }] },
    ],
  });
  assert(c.object === "response.compaction", `object ${c.object}`);
  const cmp = c.output[c.output.length - 1];
  assert(cmp.type === "compaction" && cmp.encrypted_content.startsWith("gAAAAAB"), "compaction item");
  assert(c.usage.total_tokens === c.usage.input_tokens + c.usage.output_tokens, "usage");
  const next = await client.responses.create({
    model, input: [...c.output, { role: "user", content: "Which word?" }],
  });
  assert(next.status === "completed" && next.output_text.length > 0, "create after compaction");
  const trig = client.responses.stream({
    model, input: [{ role: "user", content: "hi" }, { type: "compaction_trigger" }],
  });
  let compacting = 0;
  trig.on("response.compaction.compacting", () => compacting++);
  const final = await trig.finalResponse();
  assert(final.output[0].type === "compaction" && compacting === 1, "compaction_trigger");
});

await check("stream error event raises APIError in the SDK", async () => {
  const s = await client.responses.create({ model: "respmock-stream-error", input: "hi", stream: true });
  try {
    for await (const ev of s) void ev;
    throw new Error("no error raised");
  } catch (e) {
    assert(e instanceof OpenAI.APIError, `got ${e && e.constructor && e.constructor.name}: ${e}`);
  }
});

await check("429 raises RateLimitError without stalling on retries", async () => {
  const t0 = Date.now();
  try {
    await client.responses.create({ model: "respmock-error-429", input: "hi" });
    throw new Error("no error raised");
  } catch (e) {
    assert(e instanceof OpenAI.RateLimitError, `got ${e && e.constructor && e.constructor.name}`);
    assert(e.status === 429, "status");
    assert(e.code === "rate_limit_exceeded", "code");
  }
  assert(Date.now() - t0 < 5000, "took too long: retries were not suppressed");
});

await check("400 raises BadRequestError with param", async () => {
  try {
    await client.responses.create({ model, input: "hi", temperature: 5 });
    throw new Error("no error raised");
  } catch (e) {
    assert(e instanceof OpenAI.BadRequestError, `got ${e && e.constructor && e.constructor.name}`);
    assert(e.param === "temperature", `param ${e.param}`);
  }
});

await check("retrieve and delete a stored response", async () => {
  const r = await client.responses.create({ model, input: "keep me" });
  const got = await client.responses.retrieve(r.id);
  assert(got.id === r.id, "retrieve");
  await client.responses.delete(r.id);
  try {
    await client.responses.retrieve(r.id);
    throw new Error("still there");
  } catch (e) {
    assert(e instanceof OpenAI.NotFoundError, `got ${e && e.constructor && e.constructor.name}`);
  }
});

await check("input_items pagination", async () => {
  const r = await client.responses.create({
    model,
    input: [
      { role: "user", content: "one" },
      { role: "user", content: "two" },
      { role: "user", content: "three" },
    ],
  });
  const ids = [];
  for await (const item of client.responses.inputItems.list(r.id, { limit: 1 })) ids.push(item.id);
  assert(ids.length === 3, `got ${ids.length} items`);
});

await check("chat.completions (JSON and stream)", async () => {
  const c = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
  assert(c.choices[0].message.content.length > 0, "content");
  const s = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hi" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage = null;
  for await (const chunk of s) {
    if (chunk.choices[0]) text += chunk.choices[0].delta.content || "";
    if (chunk.usage) usage = chunk.usage;
  }
  assert(text === c.choices[0].message.content, "streamed chat text differs");
  assert(usage && usage.total_tokens > 0, "usage chunk");
});

// Parameter currency: every field of ResponseCreateParams in the installed
// SDK's own type definitions is a known parameter (an SDK upgrade that adds a
// field fails here, not in a user's CI). Each is sent as null: a field may
// reject null as a type error, but never as unknown_parameter.
function createParamFields() {
  const require = createRequire(import.meta.url);
  const dir = require.resolve("openai").replace(/index\.(m?js)$/, "");
  const dts = readFileSync(`${dir}resources/responses/responses.d.ts`, "utf8");
  const start = dts.indexOf("export interface ResponseCreateParamsBase {");
  assert(start >= 0, "ResponseCreateParamsBase not found in the SDK's types");
  let depth = 0;
  let end = start;
  for (; end < dts.length; end++) {
    if (dts[end] === "{") depth++;
    else if (dts[end] === "}" && --depth === 0) break;
  }
  return [...dts.slice(start, end).matchAll(/\n {4}(\w+)\??:/g)].map((m) => m[1]);
}

await check("every ResponseCreateParams field of the installed SDK is known", async () => {
  const fields = createParamFields();
  assert(fields.length >= 30, `only ${fields.length} fields parsed`);
  const rejected = [];
  for (const field of fields) {
    if (field === "model" || field === "input" || field === "stream") continue;
    const res = await fetch(`${client.baseURL}/responses`, {
      method: "POST",
      headers: { authorization: "Bearer sk-respmock-sdk-test", "content-type": "application/json" },
      body: JSON.stringify({ model, input: "hi", [field]: null }),
    });
    const body = await res.json();
    if (body.error && body.error.code === "unknown_parameter") rejected.push(field);
  }
  assert(rejected.length === 0, `rejected as unknown: ${rejected.join(", ")}`);
});

// Testing error handling offline: a sequence answers 429, 429, then 200;
// the SDK's own retries see both 429s (retry-after-ms keeps it fast) and
// succeed on the third call; the journal shows what was sent.
await check("SDK retries through a 429, 429, 200 sequence; the journal verifies it", async () => {
  const admin = client.baseURL.replace(/\/v1$/, "");
  const scenario = `retry-${process.pid}`;
  const put = await fetch(`${admin}/__admin/fixtures`, {
    method: "POST",
    body: JSON.stringify({
      name: "flaky",
      match: { model: "flaky-model" },
      sequence: [
        { error: { status: 429, type: "requests", code: "rate_limit_exceeded", message: "Slow down.", retry_after_ms: 20 } },
        { error: { status: 429, type: "requests", code: "rate_limit_exceeded", message: "Slow down.", retry_after_ms: 20 } },
        { response: { output: [{ type: "message", text: "Third time lucky." }] } },
      ],
    }),
  });
  assert(put.status === 201, `adding the fixture: HTTP ${put.status}`);
  const retrying = new OpenAI({ apiKey: "sk-respmock-sdk-test", maxRetries: 2, timeout: 20000,
    defaultHeaders: { "x-respmock-scenario": scenario } });
  const started = Date.now();
  const r = await retrying.responses.create({ model: "flaky-model", input: "hi" });
  assert(r.output_text === "Third time lucky.", `got ${r.output_text}`);
  assert(Date.now() - started < 5000, "the retries waited far longer than retry-after-ms");
  const seen = await (await fetch(`${admin}/__admin/requests?scenario=${scenario}`)).json();
  assert(seen.count === 3, `the journal saw ${seen.count} requests, not 3`);
  assert(JSON.stringify(seen.data.map((e) => e.status)) === "[429,429,200]", "statuses");
  assert(seen.data.every((e) => e.headers.authorization === "[redacted]"), "keys are redacted");
  const verify = await fetch(`${admin}/__admin/requests/verify`, {
    method: "POST", body: JSON.stringify({ match: { model: "flaky-model", scenario }, count: 3 }),
  });
  assert(verify.status === 200, `verify: HTTP ${verify.status}`);
  // Without retries the same scenario is used up: a fresh one starts at the first 429.
  const once = new OpenAI({ apiKey: "sk-respmock-sdk-test", maxRetries: 0,
    defaultHeaders: { "x-respmock-scenario": `${scenario}-b` } });
  let status = 0;
  try { await once.responses.create({ model: "flaky-model", input: "hi" }); } catch (e) { status = e.status; }
  assert(status === 429, `a new scenario starts again at the 429 (got ${status})`);
  await fetch(`${admin}/__admin/fixtures/flaky`, { method: "DELETE" });
});

// WebSocket mode (openai 7.59's ResponsesWS, over the ws package): turns on
// one connection, a store:false chain, a warm-up, and an error event.
await check("ResponsesWS: creates on one connection, store:false chain, error event", async () => {
  const ws = new ResponsesWS(client);
  const waiting = [];
  const seen = [];
  const errors = [];
  const next = (type) => new Promise((resolve) => waiting.push({ type, resolve }));
  ws.on("event", (e) => {
    seen.push(e);
    const i = waiting.findIndex((w) => w.type === e.type);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(e);
  });
  ws.on("error", (e) => errors.push(e));
  try {
    let done = next("response.completed");
    ws.send({ type: "response.create", model, input: "Say hello", store: false, generate: false });
    const warm = (await done).response;
    assert(warm.output.length === 0, "the warm-up has no output");
    done = next("response.completed");
    ws.send({ type: "response.create", model, input: "Say hello", store: false,
      previous_response_id: warm.id });
    const first = (await done).response;
    assert(first.previous_response_id === warm.id, "chained on the warm-up");
    assert(first.output.length > 0 && first.output[0].type === "message", "an answer");
    const turn = seen.filter((e) => e.response?.id === first.id || e.item_id || e.item);
    assert(seen.some((e) => e.type === "response.output_text.delta"), "text deltas");
    done = next("response.completed");
    ws.send({ type: "response.create", model, input: "again", store: false,
      previous_response_id: first.id });
    const second = (await done).response;
    assert(second.previous_response_id === first.id, "store:false chain on this connection");
    const failed = new Promise((resolve) => ws.on("error", resolve));
    ws.send({ type: "response.create", model, input: "x", previous_response_id: "resp_nope" });
    const err = await failed;
    assert(err.error?.error?.code === "previous_response_not_found",
      `error event: ${JSON.stringify(err.error)}`);
    assert(turn.length > 0, "events seen");
  } finally {
    ws.close({ code: 1000, reason: "done" });
  }
});

await check("models.list", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert(ids.includes(model), "model listed");
});

console.log(failed ? `${failed} failed` : "all passed");
process.exit(failed ? 1 : 0);
