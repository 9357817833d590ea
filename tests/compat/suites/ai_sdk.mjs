// Vercel AI SDK (ai + @ai-sdk/openai): the Responses model openai(model) and
// the Chat Completions model openai.chat(model), configured by baseURL only.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText, generateObject, streamObject, tool, isStepCount, Output } from "ai";
import { assert, assertEq, show, finalResponseOf, outputText, requestBody } from "../lib/harness.mjs";
import { Order, Person, LookupOrderArgs, lookupOrderResult, mustMatch } from "../lib/schemas.mjs";

const MODEL = "gpt-4.1-mini";
// The SDK's own warnings (deprecations of generateObject/streamObject) are not results.
globalThis.AI_SDK_LOG_WARNINGS = false;

function lookupOrderTool(calls) {
  return tool({
    description: "Look up an order by its number and return its shipping status.",
    inputSchema: LookupOrderArgs,
    execute: async (args) => {
      calls.push(args);
      return lookupOrderResult(args.orderId);
    },
  });
}

function posts(ctx, path) {
  return ctx.exchanges().filter((e) => e.method === "POST" && e.path.split("?")[0].replace(/\/$/, "") === path);
}

// The tool loop's common checks: a call to lookupOrder with valid input, the
// result sent back, then a text step that ends the loop.
function checkToolLoop(result, calls, what) {
  const stepInfo = () => show(result.steps.map((s) => ({ finishReason: s.finishReason,
    toolCalls: s.toolCalls.map((c) => c.toolName), text: s.text })), 500);
  assert(calls.length >= 1, `${what}: lookupOrder was never executed (steps: ${stepInfo()})`);
  for (const c of calls) mustMatch(LookupOrderArgs, c, "lookupOrder input");
  const first = result.steps[0];
  assertEq(first.finishReason, "tool-calls", `${what}: finishReason of step 1`);
  assertEq(first.toolCalls[0] && first.toolCalls[0].toolName, "lookupOrder", `${what}: tool called in step 1`);
  assert(result.steps.length >= 2, `${what}: only ${result.steps.length} step(s)`);
  const last = result.steps[result.steps.length - 1];
  assertEq(last.finishReason, "stop", `${what}: finishReason of the last step (the loop must end with text)`);
  assertEq(last.toolCalls.length, 0, `${what}: tool calls in the last step`);
  assert(result.text && result.text.trim(), `${what}: no final text`);
}

export default async function aiSdk(runner, baseUrl) {
  const openai = createOpenAI({ baseURL: baseUrl, apiKey: "sk-respmock-compat" });

  await runner.step("ai_sdk.generateText", async (ctx) => {
    const r = await generateText({ model: openai(MODEL), prompt: "Say hello in one sentence.", maxRetries: 0, abortSignal: ctx.signal });
    const [ex] = posts(ctx, "/v1/responses");
    assert(ex, "no POST /v1/responses");
    assertEq(r.finishReason, "stop", "finishReason");
    assert(r.text.trim(), "empty text");
    assertEq(r.text, outputText(finalResponseOf(ex)), "text vs respmock's output_text");
    assert(typeof r.usage.inputTokens === "number" && typeof r.usage.outputTokens === "number", `usage ${show(r.usage)}`);
  });

  await runner.step("ai_sdk.streamText", async (ctx) => {
    const r = streamText({ model: openai(MODEL), prompt: "Say hello in one sentence.", maxRetries: 0, abortSignal: ctx.signal,
      onError: () => {} });
    let streamed = "";
    for await (const d of r.textStream) streamed += d;
    const text = await r.text;
    const [ex] = posts(ctx, "/v1/responses");
    assert(ex && requestBody(ex).stream === true, "no streaming POST /v1/responses");
    assertEq(await r.finishReason, "stop", "finishReason");
    assert(text.trim(), "empty text");
    assertEq(streamed, text, "textStream vs text");
    assertEq(text, outputText(finalResponseOf(ex)), "text vs respmock's output_text");
  });

  await runner.step("ai_sdk.generateText_tool_loop", async (ctx) => {
    const calls = [];
    const r = await generateText({
      model: openai(MODEL), prompt: "Where is my order A-1001?", maxRetries: 0, abortSignal: ctx.signal,
      tools: { lookupOrder: lookupOrderTool(calls) }, stopWhen: isStepCount(5),
    });
    checkToolLoop(r, calls, "Responses tool loop");
    const reqs = posts(ctx, "/v1/responses");
    const sent = requestBody(reqs[0]).tools || [];
    assert(sent.some((t) => t.type === "function" && t.name === "lookupOrder"), `tools sent ${show(sent)}`);
    const call = r.steps[0].toolCalls[0];
    const back = requestBody(reqs[1]);
    const fco = (back.input || []).find((i) => i.type === "function_call_output");
    assert(fco && fco.call_id === call.toolCallId, `step 2 sends no function_call_output for ${call.toolCallId}: ${show(back.input)}`);
    assertEq(r.text, outputText(finalResponseOf(reqs[reqs.length - 1])), "final text vs respmock's output_text");
  });

  await runner.step("ai_sdk.streamText_tool_loop", async (ctx) => {
    const calls = [];
    const r = streamText({
      model: openai(MODEL), prompt: "Where is my order A-1001?", maxRetries: 0, abortSignal: ctx.signal,
      tools: { lookupOrder: lookupOrderTool(calls) }, stopWhen: isStepCount(5), onError: () => {},
    });
    let streamed = "";
    for await (const d of r.textStream) streamed += d;
    const steps = await r.steps;
    checkToolLoop({ steps, text: await r.text }, calls, "streamed Responses tool loop");
    assertEq(streamed, await r.text, "textStream vs text");
  });

  // The provider's own web search tool: respmock's request-aware default answers a
  // web_search tool with a web_search_call and a url_citation, which the SDK turns
  // into a source, streamed or not.
  for (const streamed of [false, true]) {
    await runner.step(streamed ? "ai_sdk.streamText_web_search_sources" : "ai_sdk.generateText_web_search_sources", async (ctx) => {
      const args = { model: openai(MODEL), prompt: "What is respmock?", maxRetries: 0, abortSignal: ctx.signal,
        tools: { web_search: openai.tools.webSearch({}) } };
      let text, sources;
      if (streamed) {
        const r = streamText({ ...args, onError: () => {} });
        let got = "";
        for await (const d of r.textStream) got += d;
        text = await r.text;
        sources = await r.sources;
        assertEq(got, text, "textStream vs text");
      } else {
        const r = await generateText(args);
        text = r.text;
        sources = r.sources;
      }
      const [ex] = posts(ctx, "/v1/responses");
      const sent = requestBody(ex).tools || [];
      assert(sent.some((t) => t.type === "web_search"), `tools sent ${show(sent)}`);
      assertEq(text, outputText(finalResponseOf(ex)), "text vs respmock's output_text");
      assert(sources.some((x) => x.sourceType === "url" && x.url === "https://example.com/respmock"),
        `no url source from the citation: ${show(sources)}`);
    });
  }

  await runner.step("ai_sdk.generateObject", async (ctx) => {
    const r = await generateObject({ model: openai(MODEL), schema: Order, schemaName: "order",
      prompt: "Make up an example order.", maxRetries: 0, abortSignal: ctx.signal });
    mustMatch(Order, r.object, "generateObject object");
    assertEq(r.finishReason, "stop", "finishReason");
    const body = requestBody(posts(ctx, "/v1/responses")[0]);
    const fmt = body.text && body.text.format;
    assert(fmt && fmt.type === "json_schema", `text.format sent: ${show(body.text)}`);
  });

  await runner.step("ai_sdk.streamObject", async (ctx) => {
    const r = streamObject({ model: openai(MODEL), schema: Person, schemaName: "person",
      prompt: "Make up a person.", maxRetries: 0, abortSignal: ctx.signal, onError: () => {} });
    let partials = 0;
    for await (const p of r.partialObjectStream) { void p; partials++; }
    const obj = await r.object;
    mustMatch(Person, obj, "streamObject object");
    assert(partials >= 1, "no partial objects streamed");
  });

  await runner.step("ai_sdk.generateText_output_object", async (ctx) => {
    const r = await generateText({ model: openai(MODEL), output: Output.object({ schema: Person, name: "person" }),
      prompt: "Make up a person.", maxRetries: 0, abortSignal: ctx.signal });
    mustMatch(Person, r.output, "Output.object output");
  });

  await runner.step("ai_sdk.chat_tool_loop", async (ctx) => {
    const calls = [];
    const r = await generateText({
      model: openai.chat(MODEL), prompt: "Where is my order A-1001?", maxRetries: 0, abortSignal: ctx.signal,
      tools: { lookupOrder: lookupOrderTool(calls) }, stopWhen: isStepCount(5),
    });
    const reqs = posts(ctx, "/v1/chat/completions");
    assert(reqs.length >= 1, "no POST /v1/chat/completions");
    checkToolLoop(r, calls, "Chat Completions tool loop");
    const call = r.steps[0].toolCalls[0];
    const msgs = requestBody(reqs[1]).messages || [];
    const toolMsg = msgs.find((m) => m.role === "tool");
    assert(toolMsg && toolMsg.tool_call_id === call.toolCallId, `step 2 sends no role:"tool" message for ${call.toolCallId}: ${show(msgs)}`);
    assertEq(reqs.length, r.steps.length, "one Chat Completions request per step");
  });

  await runner.step("ai_sdk.chat_streamText", async (ctx) => {
    const r = streamText({ model: openai.chat(MODEL), prompt: "Say hello in one sentence.", maxRetries: 0, abortSignal: ctx.signal, onError: () => {} });
    let streamed = "";
    for await (const d of r.textStream) streamed += d;
    assert(posts(ctx, "/v1/chat/completions").length === 1, "no POST /v1/chat/completions");
    assertEq(await r.finishReason, "stop", "finishReason");
    assert(streamed.trim(), "empty text");
  });
}
