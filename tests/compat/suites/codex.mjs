// Codex CLI (@openai/codex, its native binary from the npm package) in
// `codex exec` mode, with respmock as a custom model provider in a temporary
// CODEX_HOME/config.toml, sandboxed (workspace-write) to a temporary dir.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { assert, assertEq, show, finalResponseOf, outputText, requestBody } from "../lib/harness.mjs";

const require = createRequire(import.meta.url);
const MODEL = "gpt-5-mini";
// The tools through which Codex runs shell commands, by version and feature set.
const SHELL_TOOLS = new Set(["exec_command", "shell", "shell_command", "local_shell"]);

function codexBin() {
  const pkg = path.dirname(require.resolve("@openai/codex/package.json"));
  return path.join(pkg, "bin", "codex.js");
}

function configToml(baseUrl) {
  return [
    `model = "${MODEL}"`,
    `model_provider = "respmock"`,
    `approval_policy = "never"`,
    ``,
    `[model_providers.respmock]`,
    `name = "respmock"`,
    `base_url = "${baseUrl}"`,
    `env_key = "RESPMOCK_API_KEY"`,
    `wire_api = "responses"`,
    // A mock answers at once or not at all: fail fast instead of backing off.
    `request_max_retries = 1`,
    `stream_max_retries = 1`,
    `stream_idle_timeout_ms = 10000`,
    ``,
  ].join("\n");
}

// Codex's built-in "openai" provider pointed at respmock: it speaks WebSocket
// mode first (GET /v1/responses with Upgrade: websocket) and uses the API key
// that `codex login --with-api-key` would keep in CODEX_HOME/auth.json.
function builtinConfigToml(baseUrl) {
  return [
    `model = "${MODEL}"`,
    `approval_policy = "never"`,
    `openai_base_url = "${baseUrl}"`,
    ``,
  ].join("\n");
}

// Run `codex exec ARGS PROMPT` in a fresh CODEX_HOME and work dir; resolves
// with { code, stdout, stderr, lastMessage } (never rejects on exit status).
// With 'builtin' Codex uses its built-in provider (WebSocket mode).
function runCodex(baseUrl, args, prompt, { timeoutMs = 35000, signal, builtin = false } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "respmock-codex-home-"));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "respmock-codex-work-"));
  const last = path.join(home, "last-message.txt");
  fs.writeFileSync(path.join(home, "config.toml"), builtin ? builtinConfigToml(baseUrl) : configToml(baseUrl));
  if (builtin) {
    fs.writeFileSync(path.join(home, "auth.json"),
      JSON.stringify({ auth_mode: "apikey", OPENAI_API_KEY: "sk-respmock-compat" }), { mode: 0o600 });
  }
  const env = { ...process.env, CODEX_HOME: home, RESPMOCK_API_KEY: "sk-respmock-compat", NO_COLOR: "1" };
  for (const k of Object.keys(env)) if (k.startsWith("OPENAI_") || k.startsWith("CODEX_") && k !== "CODEX_HOME") delete env[k];
  const argv = [codexBin(), "exec", "--skip-git-repo-check", "--sandbox", "workspace-write",
    "--color", "never", "-C", work, "-o", last, ...args, prompt];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { env, cwd: work, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    // Codex runs in its own process group: end the whole group (its shell
    // commands too) when it overstays or the step is abandoned.
    const kill = (why) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stderr += `\n[compat] codex exec ${why}: killed`;
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ }
    };
    const timer = setTimeout(() => kill(`still running after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => kill("abandoned by its step");
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", onAbort);
      let lastMessage = null;
      try { lastMessage = fs.readFileSync(last, "utf8"); } catch { /* not written */ }
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
      resolve({ code, signal: sig, stdout, stderr, lastMessage, work });
    });
  });
}

// Codex's stderr, its ERROR lines first, without its start-up banner noise.
function tail(s, n = 1200) {
  const lines = String(s || "").split("\n");
  const errors = lines.filter((l) => /^ERROR/.test(l));
  const text = (errors.length ? errors : lines.filter((l) => !/^WARNING: proceeding/.test(l))).join("\n").trim();
  return text.length > n ? `…${text.slice(-n)}` : text;
}

function responsesExchanges(ctx) {
  const all = ctx.exchanges();
  const ws = all.filter((e) => e.websocket);
  const http = all.filter((e) => !e.websocket && e.method === "POST" && /^\/v1\/responses\/?(\?|$)/.test(e.path));
  return { all, ws, http };
}

// The final assistant text of a finished exchange list: the last response
// must be a 200 whose output ends the turn with a message.
function finalAnswer(http) {
  assert(http.length > 0, "Codex sent no POST /v1/responses");
  const lastEx = http[http.length - 1];
  assertEq(lastEx.status, 200, "status of Codex's last POST /v1/responses");
  const resp = finalResponseOf(lastEx);
  assert(resp, `last POST /v1/responses did not end with response.completed: ${show(lastEx.reply, 300)}`);
  assertEq(resp.status, "completed", "status of the last response");
  const text = outputText(resp);
  assert(text && text.trim(), `the last response has no output_text message: ${show(resp.output, 400)}`);
  assert(!(resp.output || []).some((o) => o.type === "function_call"), "the last response still calls a tool");
  return text;
}

export default async function codex(runner, baseUrl) {
  await runner.step("codex.exec_text_turn", async (ctx) => {
    const r = await runCodex(baseUrl, [], "Reply with one short friendly sentence. Do not run any commands.",
      { signal: ctx.signal });
    const { ws, http } = responsesExchanges(ctx);
    assertEq(r.code, 0, `codex exec exit status (stderr: ${tail(r.stderr)})`);
    assert(!/^ERROR:/m.test(r.stderr), `codex printed an error: ${tail(r.stderr)}`);
    // A custom provider speaks HTTP + SSE (supports_websockets is off); any
    // WebSocket attempt would show in the exchanges printed on a failure.
    void ws;
    const first = requestBody(http[0]);
    assert(first && first.stream === true, "Codex streams (stream:true)");
    assertEq(first.model, MODEL, "model Codex sent");
    const want = finalAnswer(http);
    // What `codex exec` prints on stdout is the final agent message alone.
    assertEq(r.stdout.trim(), want.trim(), "the final message codex exec printed");
    assertEq((r.lastMessage || "").trim(), want.trim(), "the message written by --output-last-message");
  }, { timeoutMs: 40000 });

  // The built-in provider: the whole turn over one WebSocket, no 426, no
  // HTTP fallback; respmock's journal shows the creates as WEBSOCKET.
  await runner.step("codex.exec_websocket_turn", async (ctx) => {
    const admin = process.env.RESPMOCK_URL;
    const since = Date.now();
    const r = await runCodex(baseUrl, [], "Reply with one short friendly sentence. Do not run any commands.",
      { signal: ctx.signal, builtin: true });
    const { ws, http } = responsesExchanges(ctx);
    assertEq(r.code, 0, `codex exec exit status (stderr: ${tail(r.stderr)})`);
    assert(!/Falling back from WebSockets/.test(r.stderr), `Codex fell back to HTTP: ${tail(r.stderr)}`);
    assert(ws.length > 0, "Codex opened no WebSocket");
    for (const e of ws) {
      assertEq(e.status, 101, `status of Codex's upgrade ${e.path}`);
      assert(/responses_websockets=/.test(e.headers["openai-beta"] || ""), `openai-beta of the upgrade: ${show(e.headers)}`);
    }
    assertEq(http.length, 0, "POST /v1/responses Codex sent (an HTTP fallback)");
    assert(!ctx.exchanges().some((e) => e.status === 426), "a 426 was answered");
    const seen = await (await fetch(`${admin}/__admin/requests?method=WEBSOCKET&since=${since}`)).json();
    assert(seen.count > 0, `respmock's journal has no WEBSOCKET create: ${show(seen, 300)}`);
    const bodies = seen.data.map((e) => JSON.parse(e.body));
    assert(bodies.every((b) => b.type === "response.create" && b.model === MODEL),
      `the creates Codex sent: ${show(bodies.map((b) => ({ type: b.type, model: b.model })))}`);
    assert(seen.data.some((e) => e.status === 200), `no create was answered: ${show(seen.data.map((e) => e.status))}`);
    assert((r.lastMessage || "").trim().length > 0, "no final message written by --output-last-message");
    assertEq(r.stdout.trim(), (r.lastMessage || "").trim(), "the final message codex exec printed");
  }, { timeoutMs: 40000 });

  await runner.step("codex.exec_shell_tool_loop", async (ctx) => {
    const r = await runCodex(baseUrl, ["--json"],
      "Run the shell command `echo respmock-compat` and tell me what it printed.", { signal: ctx.signal });
    const { http } = responsesExchanges(ctx);
    const events = [];
    for (const line of r.stdout.split("\n")) {
      if (!line.trim()) continue;
      try { events.push(JSON.parse(line)); } catch { /* not an event */ }
    }
    const errors = events.filter((e) => e.type === "error" || e.type === "turn.failed");
    assertEq(r.code, 0, `codex exec --json exit status (error events: ${show(errors, 800)}; stderr: ${tail(r.stderr)})`);
    assert(events.length > 0, `no JSONL events on stdout: ${tail(r.stdout)}`);
    assertEq(errors.length, 0, `error events ${show(errors, 500)}`);

    // 1. Codex offered its shell tool; respmock called it.
    const first = requestBody(http[0]);
    const offered = (first.tools || []).filter((t) => t.type === "function" && SHELL_TOOLS.has(t.name));
    assert(offered.length > 0, `Codex offered no shell tool: ${show((first.tools || []).map((t) => t.name || t.type))}`);
    let call = null;
    let callIndex = -1;
    for (let i = 0; i < http.length && !call; i++) {
      const resp = finalResponseOf(http[i]);
      const fc = resp && (resp.output || []).find((o) => o.type === "function_call" && SHELL_TOOLS.has(o.name));
      if (fc) { call = fc; callIndex = i; }
    }
    assert(call, `no response called a shell tool (${offered.map((t) => t.name).join(", ")}); responses: ${show(http.map((e) => (finalResponseOf(e) || {}).output), 600)}`);
    const tool = offered.find((t) => t.name === call.name);
    assert(tool, `the call names ${call.name}, which this request did not offer`);
    let args;
    try { args = JSON.parse(call.arguments); } catch { throw new Error(`arguments are not JSON: ${show(call.arguments)}`); }
    for (const req of (tool.parameters && tool.parameters.required) || []) {
      assert(args[req] !== undefined, `arguments lack required ${req}: ${show(args)}`);
    }

    // 2. Codex ran it in the sandbox and reported the execution.
    const execs = events.filter((e) => e.type === "item.completed" && e.item && e.item.type === "command_execution");
    assert(execs.length > 0, `Codex ran no command (events: ${show(events.map((e) => e.type + (e.item ? ":" + e.item.type : "")), 500)})`);
    const exec = execs[0].item;
    const cmd = args.cmd ?? args.command;
    const cmdText = Array.isArray(cmd) ? cmd.join(" ") : String(cmd);
    assert(String(exec.command).includes(cmdText.split(" ")[0]), `command_execution ${show(exec.command)} is not the called ${show(cmdText)}`);
    assert(typeof exec.exit_code === "number", `command_execution has no exit code: ${show(exec)}`);

    // 3. The output went back to respmock as a function_call_output for that call.
    assert(callIndex + 1 < http.length, "Codex sent no request after the tool call");
    const next = requestBody(http[callIndex + 1]);
    const fco = (next.input || []).find((i) => i.type === "function_call_output" && i.call_id === call.call_id);
    assert(fco, `the next request has no function_call_output for ${call.call_id}: ${show((next.input || []).slice(-3), 600)}`);
    const outText = typeof fco.output === "string" ? fco.output : JSON.stringify(fco.output);
    assert(outText.includes(`code ${exec.exit_code}`), `function_call_output does not carry the exit code ${exec.exit_code}: ${show(outText)}`);
    if ((exec.aggregated_output || "").trim() && !/tokens truncated/.test(outText)) {
      const lastLine = exec.aggregated_output.trim().split("\n").pop();
      assert(outText.includes(lastLine), `function_call_output lacks the command's output ${show(lastLine)}: ${show(outText)}`);
    }

    // 4. Then a final answer, which is what Codex reports.
    const want = finalAnswer(http);
    const messages = events.filter((e) => e.type === "item.completed" && e.item && e.item.type === "agent_message");
    assert(messages.length > 0, "no agent_message event");
    assertEq(messages[messages.length - 1].item.text.trim(), want.trim(), "the final agent_message");
    assertEq((r.lastMessage || "").trim(), want.trim(), "the message written by --output-last-message");
    assert(events.some((e) => e.type === "turn.completed"), "no turn.completed event");
  }, { timeoutMs: 40000 });
}
