export declare const CLICKHOUSE_BINARY: string
export declare const clickhouseAvailable: boolean
export declare const clickhouseRequired: boolean
export declare const clickhouseSkipReason: string
export interface LocalClickHouse {
  url: string
  port: number
  dir: string
  start(): Promise<void>
  kill(): Promise<void>
  stop(): Promise<void>
}
export declare const startClickHouse: (options?: { dir?: string }) => Promise<LocalClickHouse>
