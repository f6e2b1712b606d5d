// The insights query's inputs, read once from the URL: a time range, model, prompt id and user
// filters, and the bucket size of the charts (chosen from the range, the same for both engines).

/** Bucket sizes for the "over time" charts: the smallest that gives at most MAX_BUCKETS points. */
const BUCKETS_MS = [60e3, 5 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3]
const MAX_BUCKETS = 120
export const RECENT_LIMIT = 50
export const USERS_LIMIT = 100
/** How far before the range the scan starts, for server turns that ended before their browser turn. */
export const CHILD_SLACK_MS = 3600e3

/** Reads `123` (epoch ms) or an ISO date; anything else is undefined. */
const timeOf = (value) => {
  if (value == null || value === '') {
    return undefined
  }
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * @param {URLSearchParams} params `from`, `to` (epoch ms or ISO), `model`, `prompt_id`, `user`
 * @returns {{ fromMs?: number, toMs?: number, model?: string, promptId?: string, user?: string }}
 */
export const filtersOf = (params) => {
  const filters = {}
  const fromMs = timeOf(params.get('from'))
  const toMs = timeOf(params.get('to'))
  if (fromMs != null) {
    filters.fromMs = fromMs
  }
  if (toMs != null) {
    filters.toMs = toMs
  }
  if (params.get('model')) {
    filters.model = params.get('model')
  }
  if (params.get('prompt_id')) {
    filters.promptId = params.get('prompt_id')
  }
  if (params.get('user')) {
    filters.user = params.get('user')
  }
  return filters
}

/** The bucket size for a range. */
export const bucketFor = (fromMs, toMs) => {
  const span = Math.max(1, toMs - fromMs)
  for (const size of BUCKETS_MS) {
    if (span / size <= MAX_BUCKETS) {
      return size
    }
  }
  return BUCKETS_MS[BUCKETS_MS.length - 1]
}

/** The chart axis: every bucket start from the one holding `fromMs` to the one holding `toMs`. */
export const bucketStarts = (fromMs, toMs, size) => {
  const starts = []
  for (let t = Math.floor(fromMs / size) * size; t <= toMs; t += size) {
    starts.push(t)
  }
  return starts
}

/**
 * The percentile both engines compute: ClickHouse's quantileExact (sort, take the element at
 * floor(level * n)), so the embedded store and ClickHouse give the same number.
 * @param {Float64Array | number[]} sorted ascending, no nulls
 */
export const percentile = (sorted, level) => {
  if (!sorted.length) {
    return null
  }
  const index = level < 1 ? Math.floor(level * sorted.length) : sorted.length - 1
  return sorted[index]
}
