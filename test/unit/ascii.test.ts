// The bundle and the snippet are plain ASCII (issue 16): one non-ASCII character makes
// Chromium keep the whole script source as UTF-16 (twice the memory), and every peer bundle
// is ASCII. Strings that need other characters are escaped by the build (terser ascii_only).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const dist = (f: string) => readFileSync(resolve(__dirname, '../../dist', f))

describe('built files are ASCII only', () => {
  for (const file of ['lumina.min.js', 'snippet.min.js', 'snippet.html']) {
    it(`${file} has no byte above 0x7F`, () => {
      const bytes = dist(file)
      const at = bytes.findIndex((b) => b > 0x7f)
      expect(
        at,
        at < 0 ? '' : `byte 0x${bytes[at].toString(16)} at ${at}: …${bytes.subarray(Math.max(0, at - 40), at + 10).toString('latin1')}…`,
      ).toBe(-1)
    })
  }
})
