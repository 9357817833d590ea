// The zod schemas the tier asks clients to fill, shared by the suites. They
// use what structured outputs allow (nested objects, arrays, enums, integers,
// nullables) so a mock must honour more than a flat object of strings.
import { z } from "zod";

export const Order = z.object({
  orderId: z.string(),
  status: z.enum(["pending", "shipped", "delivered"]),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  total: z.number(),
  giftNote: z.string().nullable(),
});

export const Person = z.object({
  name: z.string(),
  age: z.number().int(),
  email: z.string(),
  tags: z.array(z.string()),
  address: z.object({ city: z.string(), country: z.string() }),
});

export const LookupOrderArgs = z.object({
  orderId: z.string().describe("The order number, e.g. A-1001"),
});

// The answer the test's own lookupOrder tool returns.
export function lookupOrderResult(orderId) {
  return { orderId, status: "shipped", carrier: "respmock-post" };
}

export function mustMatch(schema, value, what) {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`${what} does not validate: ${issues}; value ${JSON.stringify(value)?.slice(0, 300)}`);
  }
  return r.data;
}
