/** What tokens cost: tokens × the price table (USD per million tokens), longest model prefix first. */
import type { RunStats, TokenUsage } from "../domain/run.js";
import { log } from "../log.js";
import type { Price, PriceTable } from "./options.js";

/** The price for a model: the longest key it starts with, else `default`, else null. */
export function priceOf(table: PriceTable, model: string): Price | null {
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    if (key === "default") continue;
    if (model.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return (best === null ? table.default : table[best]) ?? null;
}

const warned = new Set<string>();

/** USD for `tokens` of `model`; 0 when no model is known (a command reports no tokens). */
export function costOf(table: PriceTable, model: string | null | undefined, tokens: TokenUsage): number {
  if (!model || (tokens.input === 0 && tokens.output === 0)) return 0;
  const price = priceOf(table, model);
  if (price === null) return 0;
  if (!warned.has(model) && !Object.keys(table).some((k) => k !== "default" && model.startsWith(k))) {
    warned.add(model);
    log.warn(
      { model, price },
      "no price for this model in the price table: using the default price; add it under prices in the config file",
    );
  }
  return (tokens.input * price.input + tokens.output * price.output) / 1_000_000;
}

export function addTokens(a: TokenUsage, b: TokenUsage | undefined): TokenUsage {
  return b ? { input: a.input + b.input, output: a.output + b.output } : a;
}

/** Count tokens and their cost into a run's stats; returns the cost in USD. */
export function spend(
  stats: Pick<RunStats, "tokens" | "cost_usd">,
  prices: PriceTable,
  tokens: TokenUsage | undefined,
  model: string | undefined,
): number {
  if (!tokens) return 0;
  stats.tokens = addTokens(stats.tokens, tokens);
  const cost = costOf(prices, model, tokens);
  stats.cost_usd = Math.round((stats.cost_usd + cost) * 1e6) / 1e6;
  return cost;
}
