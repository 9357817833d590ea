// LangChain (@langchain/openai ChatOpenAI) in Responses mode
// (useResponsesApi: true) and in Chat Completions mode, configured by
// configuration.baseURL only.
import { ChatOpenAI } from "@langchain/openai";
import { HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { assert, assertEq, show, finalResponseOf, outputText, requestBody } from "../lib/harness.mjs";
import { Order, LookupOrderArgs, lookupOrderResult, mustMatch } from "../lib/schemas.mjs";

const MODEL = "gpt-4.1-mini";

function posts(ctx, path) {
  return ctx.exchanges().filter((e) => e.method === "POST" && e.path.split("?")[0].replace(/\/$/, "") === path);
}

function chatContentOf(ex) {
  try {
    const o = JSON.parse(ex.reply);
    return o.choices[0].message.content;
  } catch {
    return undefined;
  }
}

export default async function langchain(runner, baseUrl) {
  for (const mode of ["responses", "chat"]) {
    const responses = mode === "responses";
    const path = responses ? "/v1/responses" : "/v1/chat/completions";
    const llm = new ChatOpenAI({
      model: MODEL, apiKey: "sk-respmock-compat", configuration: { baseURL: baseUrl },
      useResponsesApi: responses, maxRetries: 0, timeout: 20000,
    });

    await runner.step(`langchain.${mode}.invoke`, async (ctx) => {
      const ai = await llm.invoke("Say hello in one sentence.", { signal: ctx.signal });
      const reqs = posts(ctx, path);
      assertEq(reqs.length, 1, `POST ${path} count`);
      assert(ai.text && ai.text.trim(), `empty text: ${show(ai.content)}`);
      const want = responses ? outputText(finalResponseOf(reqs[0])) : chatContentOf(reqs[0]);
      assertEq(ai.text, want, "text vs what respmock answered");
      assert(ai.usage_metadata && typeof ai.usage_metadata.input_tokens === "number", `usage_metadata ${show(ai.usage_metadata)}`);
    });

    await runner.step(`langchain.${mode}.stream`, async (ctx) => {
      let text = "";
      let chunks = 0;
      let full;
      for await (const chunk of await llm.stream("Say hello in one sentence.", { signal: ctx.signal })) {
        chunks++;
        text += chunk.text;
        full = full ? full.concat(chunk) : chunk;
      }
      const reqs = posts(ctx, path);
      assertEq(reqs.length, 1, `POST ${path} count`);
      assertEq(requestBody(reqs[0]).stream, true, "stream flag");
      assert(chunks > 1, `only ${chunks} chunk(s)`);
      assert(text.trim(), "empty streamed text");
      assertEq(full.text, text, "concatenated chunk vs streamed text");
    });

    await runner.step(`langchain.${mode}.bindTools_loop`, async (ctx) => {
      const calls = [];
      const lookupOrder = tool(async (args) => {
        calls.push(args);
        return JSON.stringify(lookupOrderResult(args.orderId));
      }, { name: "lookupOrder", description: "Look up an order by its number and return its shipping status.", schema: LookupOrderArgs });
      const withTools = llm.bindTools([lookupOrder]);
      const messages = [new HumanMessage("Where is my order A-1001?")];
      let ai;
      let rounds = 0;
      for (; rounds < 5; rounds++) {
        ai = await withTools.invoke(messages, { signal: ctx.signal });
        messages.push(ai);
        if (!ai.tool_calls || ai.tool_calls.length === 0) break;
        for (const tc of ai.tool_calls) {
          assertEq(tc.name, "lookupOrder", "tool call name");
          messages.push(await lookupOrder.invoke(tc));
        }
      }
      assert(calls.length >= 1, "lookupOrder was never called");
      for (const c of calls) mustMatch(LookupOrderArgs, c, "lookupOrder arguments");
      assert(rounds < 5, "the tool loop did not end within 5 model calls");
      assert(ai.text && ai.text.trim(), `no final text: ${show(ai.content)}`);
      const reqs = posts(ctx, path);
      const second = requestBody(reqs[1]);
      const callId = messages[1].tool_calls[0].id;
      if (responses) {
        const fco = (second.input || []).find((i) => i.type === "function_call_output");
        assert(fco && fco.call_id === callId, `request 2 has no function_call_output for ${callId}: ${show(second.input)}`);
      } else {
        const tm = (second.messages || []).find((m) => m.role === "tool");
        assert(tm && tm.tool_call_id === callId, `request 2 has no role:"tool" message for ${callId}: ${show(second.messages)}`);
      }
    });

    await runner.step(`langchain.${mode}.withStructuredOutput`, async (ctx) => {
      const structured = llm.withStructuredOutput(Order, { name: "order" });
      const out = await structured.invoke("Make up an example order.", { signal: ctx.signal });
      mustMatch(Order, out, "structured output");
      assertEq(posts(ctx, path).length, 1, `POST ${path} count`);
    });
  }
}
