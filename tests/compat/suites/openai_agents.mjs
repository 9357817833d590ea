// OpenAI Agents SDK (@openai/agents) on the Responses API, with an openai
// client configured by baseURL (tracing off: it would export to the real API).
import OpenAI from "openai";
import { Agent, run, tool, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, OpenAIConversationsSession,
  OpenAIResponsesCompactionSession, MemorySession } from "@openai/agents";
import { assert, assertEq, show, finalResponseOf, outputText, requestBody } from "../lib/harness.mjs";
import { Order, LookupOrderArgs, lookupOrderResult, mustMatch } from "../lib/schemas.mjs";

const MODEL = "gpt-4.1-mini";

function responsesPosts(ctx) {
  return ctx.exchanges().filter((e) => e.method === "POST" && /^\/v1\/responses\/?$/.test(e.path.split("?")[0]));
}

function orderAgent(calls) {
  return new Agent({
    name: "Order desk",
    instructions: "You answer questions about orders. Use lookupOrder for order status.",
    model: MODEL,
    tools: [tool({
      name: "lookupOrder",
      description: "Look up an order by its number and return its shipping status.",
      parameters: LookupOrderArgs,
      execute: async (args) => {
        calls.push(args);
        return lookupOrderResult(args.orderId);
      },
    })],
  });
}

function checkLoop(ctx, result, calls) {
  assert(calls.length >= 1, "lookupOrder was never executed");
  for (const c of calls) mustMatch(LookupOrderArgs, c, "lookupOrder arguments");
  const types = result.newItems.map((i) => i.type);
  assert(types.includes("tool_call_item") && types.includes("tool_call_output_item"), `run items ${show(types)}`);
  assertEq(types[types.length - 1], "message_output_item", "the last run item");
  assert(typeof result.finalOutput === "string" && result.finalOutput.trim(), `finalOutput ${show(result.finalOutput)}`);
  const reqs = responsesPosts(ctx);
  assert(reqs.length >= 2, `${reqs.length} POST /v1/responses`);
  const firstResp = finalResponseOf(reqs[0]);
  const call = firstResp && firstResp.output.find((o) => o.type === "function_call");
  assert(call && call.name === "lookupOrder", `first response ${show(firstResp && firstResp.output)}`);
  const fco = (requestBody(reqs[1]).input || []).find((i) => i.type === "function_call_output");
  assert(fco && fco.call_id === call.call_id, `second request has no function_call_output for ${call.call_id}`);
  assertEq(result.finalOutput, outputText(finalResponseOf(reqs[reqs.length - 1])), "finalOutput vs respmock's output_text");
}

export default async function agents(runner, baseUrl) {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: "sk-respmock-compat", maxRetries: 0, timeout: 20000 });
  setDefaultOpenAIClient(client);
  setOpenAIAPI("responses");
  setTracingDisabled(true);

  await runner.step("openai_agents.run_function_tool", async (ctx) => {
    const calls = [];
    const r = await run(orderAgent(calls), "Where is my order A-1001?", { maxTurns: 5, signal: ctx.signal });
    checkLoop(ctx, r, calls);
  });

  await runner.step("openai_agents.run_streaming", async (ctx) => {
    const calls = [];
    const s = await run(orderAgent(calls), "Where is my order A-1001?", { stream: true, maxTurns: 5, signal: ctx.signal });
    let text = "";
    let rawEvents = 0;
    for await (const ev of s) {
      if (ev.type === "raw_model_stream_event") {
        rawEvents++;
        if (ev.data && ev.data.type === "output_text_delta") text += ev.data.delta;
      }
    }
    await s.completed;
    assert(!s.error, `stream error ${show(String(s.error))}`);
    assert(rawEvents > 0, "no raw model stream events");
    for (const r of responsesPosts(ctx)) assertEq(requestBody(r).stream, true, "stream flag of each request");
    checkLoop(ctx, s, calls);
    assertEq(text, s.finalOutput, "streamed text deltas vs finalOutput");
  });

  await runner.step("openai_agents.output_type", async (ctx) => {
    const agent = new Agent({ name: "Order maker", instructions: "Make up an example order.", model: MODEL, outputType: Order });
    const r = await run(agent, "Give me an example order.", { maxTurns: 3, signal: ctx.signal });
    mustMatch(Order, r.finalOutput, "finalOutput");
    const fmt = (requestBody(responsesPosts(ctx)[0]).text || {}).format;
    assert(fmt && fmt.type === "json_schema", `text.format sent ${show(fmt)}`);
  });

  await runner.step("openai_agents.previous_response_id", async (ctx) => {
    const agent = new Agent({ name: "Chat", instructions: "Be brief.", model: MODEL });
    const r1 = await run(agent, "My order number is A-1001. Please remember it.", { signal: ctx.signal });
    assert(typeof r1.lastResponseId === "string" && r1.lastResponseId.startsWith("resp_"), `lastResponseId ${show(r1.lastResponseId)}`);
    const r2 = await run(agent, "What is my order number?", { previousResponseId: r1.lastResponseId, signal: ctx.signal });
    const reqs = responsesPosts(ctx);
    assertEq(reqs.length, 2, "POST /v1/responses count");
    assertEq(requestBody(reqs[1]).previous_response_id, r1.lastResponseId, "previous_response_id of turn 2");
    const resp2 = finalResponseOf(reqs[1]);
    assertEq(resp2 && resp2.previous_response_id, r1.lastResponseId, "previous_response_id echoed by respmock");
    assert(typeof r2.finalOutput === "string" && r2.finalOutput.trim(), `turn 2 finalOutput ${show(r2.finalOutput)}`);
    assertEq(r2.finalOutput, outputText(resp2), "turn 2 finalOutput vs respmock's output_text");
    assert(r2.lastResponseId !== r1.lastResponseId, "turn 2 has its own response id");
  });

  // The SDK's compaction session on POST /v1/responses/compact: after each turn it
  // compacts the history (here: always), and the next turn sends the compacted items
  // (a compaction item) as its input.
  await runner.step("openai_agents.compaction_session", async (ctx) => {
    const agent = new Agent({ name: "Chat", instructions: "Be brief.", model: MODEL });
    const session = new OpenAIResponsesCompactionSession({
      client, model: MODEL, compactionMode: "input", underlyingSession: new MemorySession(),
      shouldTriggerCompaction: () => true,
    });
    const r1 = await run(agent, "Hi, my name is Ada.", { session, signal: ctx.signal });
    const r2 = await run(agent, "What is my name?", { session, signal: ctx.signal });
    assert(typeof r1.finalOutput === "string" && r1.finalOutput.trim(), "turn 1 finalOutput");
    assert(typeof r2.finalOutput === "string" && r2.finalOutput.trim(), "turn 2 finalOutput");
    const compacts = ctx.exchanges().filter((e) => e.method === "POST" && e.path.split("?")[0] === "/v1/responses/compact");
    assert(compacts.length >= 1, "no POST /v1/responses/compact");
    assertEq(compacts[0].status, 200, "compact status");
    const items = await session.getItems();
    assert(items.some((i) => i.type === "compaction" && typeof i.encrypted_content === "string"),
      `no compaction item in the session: ${show(items.map((i) => i.type || i.role))}`);
    const turn2 = responsesPosts(ctx)[1];
    const input = requestBody(turn2).input || [];
    assert(input.some((i) => i.type === "compaction"), `turn 2 input has no compaction item: ${show(input.map((i) => i.type || i.role))}`);
  });

  await runner.step("openai_agents.conversations_session", async (ctx) => {
    const agent = new Agent({ name: "Chat", instructions: "Be brief.", model: MODEL });
    const session = new OpenAIConversationsSession({ client });
    const r1 = await run(agent, "Hi, my name is Ada.", { session, signal: ctx.signal });
    const r2 = await run(agent, "What is my name?", { session, signal: ctx.signal });
    const id = await session.getSessionId();
    assert(typeof id === "string" && id.startsWith("conv_"), `session id ${show(id)}`);
    assert(typeof r1.finalOutput === "string" && r1.finalOutput.trim(), "turn 1 finalOutput");
    assert(typeof r2.finalOutput === "string" && r2.finalOutput.trim(), "turn 2 finalOutput");
    const items = await session.getItems();
    const texts = (role) => items.filter((i) => i.type === "message" && i.role === role)
      .map((i) => (typeof i.content === "string" ? i.content : (i.content || []).map((c) => c.text || "").join("")));
    const users = texts("user");
    assert(users.some((t) => t.includes("my name is Ada")) && users.some((t) => t.includes("What is my name?")),
      `user items in the conversation ${show(users)}`);
    const assistants = texts("assistant");
    assert(assistants.includes(r1.finalOutput) && assistants.includes(r2.finalOutput),
      `assistant items in the conversation ${show(assistants)} lack the answers ${show([r1.finalOutput, r2.finalOutput])}`);
    const convPosts = ctx.exchanges().filter((e) => e.method === "POST" && e.path.split("?")[0] === "/v1/conversations");
    assertEq(convPosts.length, 1, "POST /v1/conversations count");
  });
}
