/**
 * The two server patterns of the original README, as a user writes them: an Express app with
 * the `luminaMiddleware` ("Express.js Integration") and a route handler on the Fetch
 * `Request`/`Response` API the way a Next.js app route is ("Next.js Integration"), served by a
 * small node:http adapter the way Next.js serves one. Each request is one user's: the test's
 * auth stand-in reads the user from an `x-user` header.
 */
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SessionCtx } from '../../src/node/index'

/** What the apps use of the SDK (the `Lumina` the user imports). */
type Sdk = {
  session: { start(options?: { headers?: unknown }): Promise<SessionCtx> }
  identify(userId: string, properties?: Record<string, unknown>): Promise<void>
  getDistinctId(): string
}

/** A model call that takes a little while, so concurrent requests interleave. */
export const callLLM = async (message: string) => {
  await new Promise((r) => setTimeout(r, 1 + Math.random() * 20))
  return {
    choices: [{ message: { content: `echo: ${message}` } }],
    usage: { prompt_tokens: message.length, completion_tokens: message.length + 6 },
  }
}

/** Whether the app passes the request's headers to `session.start` (continuing the browser's trace). */
export interface AppOptions {
  continueTrace: boolean
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: { id: string; email: string; name: string }
    luminaSession?: SessionCtx
  }
}

export const listen = async (server: Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** The README's Express middleware and route, as written there (plus the headers when continuing). */
export const expressApp = (Lumina: Sdk, { continueTrace }: AppOptions) => {
  const app = express()
  app.use(express.json())
  // the app's own authentication (a stand-in): sets req.user
  app.use((req, _res, next) => {
    const id = req.get('x-user')
    if (id) {
      req.user = { id, email: `${id}@example.com`, name: id }
    }
    next()
  })

  async function luminaMiddleware(req: ExpressRequest, _res: ExpressResponse, next: NextFunction) {
    // Attach session to request
    req.luminaSession = await Lumina.session.start(continueTrace ? { headers: req.headers } : undefined)

    // Identify user if authenticated
    if (req.user) {
      await Lumina.identify(req.user.id, {
        email: req.user.email,
        name: req.user.name,
      })
    }

    next()
  }

  app.post('/api/chat', luminaMiddleware, async (req, res) => {
    const turn = req.luminaSession!.turn()

    try {
      const response = await turn.wrapLLM(async () => await callLLM(req.body.message), { model: 'gpt-4o', prompt_id: 'chat' })
      // the ambient distinct id, as the route sees it (it must be this request's too)
      turn.annotate({ request: req.body.request, ambient: Lumina.getDistinctId() })

      turn.setMessages([
        { role: 'user', content: req.body.message },
        { role: 'assistant', content: response.choices[0].message.content },
      ])

      res.json({ response: response.choices[0].message.content, turnId: turn.turnId, sessionId: req.luminaSession!.sessionId })
    } finally {
      await turn.finish()
    }
  })
  return app
}

export const startExpressApp = (Lumina: Sdk, options: AppOptions) => listen(createServer(expressApp(Lumina, options)))

/** The README's Next.js app route, on the Fetch API (`NextRequest`/`NextResponse` extend `Request`/`Response`). */
export const chatRoute = (Lumina: Sdk, { continueTrace }: AppOptions) =>
  async function POST(req: Request): Promise<Response> {
    const { message, request } = await req.json()

    // Get or create session
    const session = await Lumina.session.start(continueTrace ? { headers: req.headers } : undefined)
    const user = req.headers.get('x-user')
    if (user) {
      await Lumina.identify(user)
    }
    const turn = session.turn()

    try {
      const response = await turn.wrapLLM(async () => await callLLM(message), { model: 'gpt-4o', prompt_id: 'api_chat' })
      turn.annotate({ request, ambient: Lumina.getDistinctId() })

      const assistantMessage = response.choices[0].message.content || ''

      turn.setMessages([
        { role: 'user', content: message },
        { role: 'assistant', content: assistantMessage },
      ])

      await turn.finish()

      return Response.json({ message: assistantMessage, sessionId: session.sessionId, turnId: turn.turnId })
    } catch (error) {
      await turn.finish()
      return Response.json({ error: (error as Error).message }, { status: 500 })
    }
  }

/** Serves a Fetch route handler the way Next.js does on Node: IncomingMessage → Request, Response → ServerResponse. */
export const startFetchApp = (handler: (req: Request) => Promise<Response>) =>
  listen(
    createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) {
        chunks.push(chunk as Buffer)
      }
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) {
          headers.set(name, String(value))
        }
      }
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      })
      const response = await handler(request)
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    }),
  )
