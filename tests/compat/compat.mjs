// The compatibility tier: real clients against a running respmock.
// Usage: RESPMOCK_URL=http://127.0.0.1:PORT node compat.mjs [SUITE...]
// Suites: codex, ai_sdk, openai_agents, langchain, openai_helpers (default: all).
// Every client talks to respmock through a recording proxy on 127.0.0.1, so a
// failing step shows what its client sent and what came back. Prints one
// PASS/FAIL line per step, then "N passed, N failed"; exit 1 on any failure.
import { startProxy } from "./lib/proxy.mjs";
import { Runner } from "./lib/harness.mjs";

const SUITES = ["codex", "ai_sdk", "openai_agents", "langchain", "openai_helpers"];
const upstream = new URL(process.env.RESPMOCK_URL || "");
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : SUITES;
for (const s of wanted) {
  if (!SUITES.includes(s)) {
    console.error(`unknown suite ${s}; known: ${SUITES.join(", ")}`);
    process.exit(2);
  }
}

const proxy = await startProxy(Number(upstream.port));
const runner = new Runner(proxy);
for (const s of wanted) {
  const { default: suite } = await import(`./suites/${s}.mjs`);
  runner.deadline = Date.now() + Number(process.env.COMPAT_SUITE_BUDGET_MS || 100000);
  await suite(runner, proxy.url);
}
await proxy.close();
const ok = runner.summary();
process.exit(ok ? 0 : 1);
