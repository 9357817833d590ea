// The openai SDK's higher-level helpers (openai 7.x), configured by baseURL.
import OpenAI from "openai";
import { zodTextFormat, zodResponseFormat } from "openai/helpers/zod";
import { assert, assertEq, show, finalResponseOf, outputText, requestBody } from "../lib/harness.mjs";
import { Order, Person, LookupOrderArgs, lookupOrderResult, mustMatch } from "../lib/schemas.mjs";

const MODEL = "gpt-4.1-mini";

const personJsonSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer" },
    email: { type: "string" },
    tags: { type: "array", items: { type: "string" } },
    address: {
      type: "object",
      properties: { city: { type: "string" }, country: { type: "string" } },
      required: ["city", "country"],
      additionalProperties: false,
    },
  },
  required: ["name", "age", "email", "tags", "address"],
  additionalProperties: false,
};

function posts(ctx, path) {
  return ctx.exchanges().filter((e) => e.method === "POST" && e.path.split("?")[0].replace(/\/$/, "") === path);
}

export default async function helpers(runner, baseUrl) {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: "sk-respmock-compat", maxRetries: 0, timeout: 20000 });

  await runner.step("openai_helpers.responses.parse_zodTextFormat", async (ctx) => {
    const r = await client.responses.parse({
      model: MODEL, input: "Make up an example order.", text: { format: zodTextFormat(Order, "order") },
    }, { signal: ctx.signal });
    mustMatch(Order, r.output_parsed, "output_parsed");
    const fmt = requestBody(posts(ctx, "/v1/responses")[0]).text.format;
    assertEq(fmt.type, "json_schema", "text.format.type sent");
  });

  await runner.step("openai_helpers.chat.completions.parse_zodResponseFormat", async (ctx) => {
    const r = await client.chat.completions.parse({
      model: MODEL, messages: [{ role: "user", content: "Make up an example order." }],
      response_format: zodResponseFormat(Order, "order"),
    }, { signal: ctx.signal });
    const m = r.choices[0].message;
    assert(!m.refusal, `refusal ${show(m.refusal)}`);
    mustMatch(Order, m.parsed, "message.parsed");
    assertEq(r.choices[0].finish_reason, "stop", "finish_reason");
  });

  await runner.step("openai_helpers.chat.completions.runTools", async (ctx) => {
    const calls = [];
    const run = client.chat.completions.runTools({
      model: MODEL,
      messages: [{ role: "user", content: "Where is my order A-1001?" }],
      tools: [{
        type: "function",
        function: {
          name: "lookupOrder",
          description: "Look up an order by its number and return its shipping status.",
          parameters: {
            type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"], additionalProperties: false,
          },
          parse: JSON.parse,
          function: async (args) => {
            calls.push(args);
            return lookupOrderResult(args.orderId);
          },
        },
      }],
    }, { signal: ctx.signal, maxChatCompletions: 5 });
    const content = await run.finalContent();
    assert(calls.length >= 1, "lookupOrder was never called");
    for (const c of calls) mustMatch(LookupOrderArgs, c, "lookupOrder arguments");
    assert(content && content.trim(), `finalContent ${show(content)}`);
    const reqs = posts(ctx, "/v1/chat/completions");
    assert(reqs.length >= 2 && reqs.length <= 5, `${reqs.length} chat completions (the loop must end with text)`);
    const last = await run.finalChatCompletion();
    assertEq(last.choices[0].finish_reason, "stop", "finish_reason of the last completion");
    const toolMsg = (requestBody(reqs[1]).messages || []).find((m) => m.role === "tool");
    assert(toolMsg, "request 2 has no role:\"tool\" message");
  });

  await runner.step("openai_helpers.responses.stream_json_schema", async (ctx) => {
    const stream = client.responses.stream({
      model: MODEL, input: "Make up a person.",
      text: { format: { type: "json_schema", name: "person", schema: personJsonSchema, strict: true } },
    }, { signal: ctx.signal });
    let deltas = "";
    stream.on("response.output_text.delta", (e) => (deltas += e.delta));
    const final = await stream.finalResponse();
    assertEq(final.status, "completed", "status");
    assertEq(final.output_text, deltas, "deltas vs output_text");
    let obj;
    try { obj = JSON.parse(final.output_text); } catch { throw new Error(`output_text is not JSON: ${show(final.output_text)}`); }
    mustMatch(Person, obj, "output_text");
    assertEq(final.output_text, outputText(finalResponseOf(posts(ctx, "/v1/responses")[0])), "vs respmock's output_text");
  });
}
