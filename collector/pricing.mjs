// Cost per turn at ingest, from @pydantic/genai-prices (its bundled price table, pinned in
// package.json, works offline). A cost the SDK sent wins (`cost_source: "sdk"`); a turn whose
// model the table does not know gets `cost_usd: null` (unpriced, never 0), as does a turn
// without token usage.
import { calcPrice } from '@pydantic/genai-prices'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// the installed table's version (its package.json is not exported: found beside its entry)
const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices')
const PRICES_VERSION = JSON.parse(readFileSync(join(dirname(entry), '../package.json'), 'utf8')).version
export const COST_SOURCE = `genai-prices@${PRICES_VERSION}`
const MEMO_MAX = 10_000

/** (model, provider, tokens) -> price; calcPrice takes ~0.1 ms, turns repeat the same few. */
const memo = new Map()

/**
 * @param {string} model
 * @param {string | undefined} provider
 * @param {{ input_tokens?: number, output_tokens?: number }} usage
 * @returns {number | null}
 */
export const priceOf = (model, provider, usage) => {
  const key = `${model}\u0000${provider || ''}\u0000${usage.input_tokens || 0}\u0000${usage.output_tokens || 0}`
  if (memo.has(key)) {
    return memo.get(key)
  }
  let price = null
  try {
    const opts = provider ? { providerId: provider.toLowerCase() } : undefined
    let result = calcPrice({ input_tokens: usage.input_tokens || 0, output_tokens: usage.output_tokens || 0 }, model, opts)
    // the SDK's `provider` is free text ("OpenAI", "azure-openai"...): fall back to the model alone
    if (!result && opts) {
      result = calcPrice({ input_tokens: usage.input_tokens || 0, output_tokens: usage.output_tokens || 0 }, model)
    }
    if (result && Number.isFinite(result.total_price)) {
      price = Math.round(result.total_price * 1e10) / 1e10
    }
  } catch {} // a price table error leaves the turn unpriced
  if (memo.size >= MEMO_MAX) {
    memo.clear()
  }
  memo.set(key, price)
  return price
}

/**
 * The cost fields a stored turn gets.
 * @param {Record<string, any>} turn a valid turn line
 * @returns {{ cost_usd: number | null, cost_source: string | null }}
 */
export const costOf = (turn) => {
  if (typeof turn.cost_usd == 'number') {
    return { cost_usd: turn.cost_usd, cost_source: 'sdk' }
  }
  const usage = turn.usage
  const hasTokens = usage && (usage.input_tokens != null || usage.output_tokens != null)
  if (!turn.model || !hasTokens) {
    return { cost_usd: null, cost_source: null }
  }
  const price = priceOf(turn.model, turn.provider, usage)
  return { cost_usd: price, cost_source: price == null ? null : COST_SOURCE }
}
