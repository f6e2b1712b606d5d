// Reads a request body within limits. A gzip body (`Content-Encoding: gzip`, sent by the SDK's
// normal path) is inflated as it streams, and the size limit applies to the inflated bytes;
// a ratio limit stops a zip bomb long before the size limit would (a 1 KB bomb can inflate to
// gigabytes: we stop at maxRatio x the bytes received, never holding more than maxBytes).
import { createGunzip } from 'node:zlib'

export const MAX_BODY_BYTES = 1 << 20
export const MAX_GZIP_RATIO = 100

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {{ maxBytes?: number, maxRatio?: number }} [limits]
 * @returns {Promise<{ ok: true, body: Buffer } | { ok: false, status: number, error: string }>}
 */
export const readBody = (req, { maxBytes = MAX_BODY_BYTES, maxRatio = MAX_GZIP_RATIO } = {}) =>
  new Promise((resolve) => {
    const encoding = String(req.headers['content-encoding'] || 'identity')
      .trim()
      .toLowerCase()
    if (encoding != 'identity' && encoding != 'gzip') {
      drain(req)
      return resolve({ ok: false, status: 415, error: `content encoding ${encoding.slice(0, 40)}` })
    }
    // a declared length over the limit is refused before a byte is read (the body is drained)
    const declared = Number(req.headers['content-length'])
    if (declared > maxBytes) {
      drain(req)
      return resolve({ ok: false, status: 413, error: `body over ${maxBytes} bytes` })
    }
    const chunks = []
    let wireBytes = 0
    let size = 0
    let done = false
    const finish = (result) => {
      if (done) {
        return
      }
      done = true
      resolve(result)
    }
    const fail = (status, error) => {
      if (gunzip) {
        gunzip.destroy()
      }
      drain(req)
      finish({ ok: false, status, error })
    }
    const take = (chunk) => {
      if (done) {
        return
      }
      size += chunk.length
      if (size > maxBytes) {
        return fail(413, `body over ${maxBytes} bytes${gunzip ? ' after decompression' : ''}`)
      }
      if (gunzip && size > Math.max(wireBytes, 1024) * maxRatio) {
        return fail(413, `compression ratio over ${maxRatio}`)
      }
      chunks.push(chunk)
    }
    const gunzip = encoding == 'gzip' ? createGunzip() : null
    if (gunzip) {
      gunzip.on('data', take)
      gunzip.on('error', () => fail(400, 'bad gzip body'))
      gunzip.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }))
    }
    req.on('data', (c) => {
      if (done) {
        return
      }
      wireBytes += c.length
      if (wireBytes > maxBytes) {
        return fail(413, `body over ${maxBytes} bytes`)
      }
      if (gunzip) {
        gunzip.write(c)
      } else {
        take(c)
      }
    })
    req.on('end', () => {
      if (done) {
        return
      }
      if (gunzip) {
        gunzip.end()
      } else {
        finish({ ok: true, body: Buffer.concat(chunks) })
      }
    })
    req.on('error', () => finish({ ok: false, status: 400, error: 'request aborted' }))
  })

/** Reads and discards the rest of a body (a client must not be cut mid-upload). */
export const drain = (req) => {
  req.removeAllListeners('data')
  req.on('data', () => {})
  req.resume()
}
