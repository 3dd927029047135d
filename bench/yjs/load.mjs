// The Yjs load generator for Schakel's benchmark: the same scenario as bench/load.py,
// spoken in the y-websocket protocol by real Yjs clients (yjs + y-websocket's
// WebsocketProvider on the `ws` package).
//
// Each tablet is a Y.Doc on its board's room and drags its own actor: it sets the Y.Map
// entry `a-<client>` of the map `pos` to [t, n] (t: send time in ms on this process's
// monotonic clock, n: the tablet's op number). The plenary holds one Y.Doc and one
// provider per board (y-websocket has one room per connection). Receivers observe the
// map, take the latency from t and check that n arrives in order.
//
// Usage: node load.mjs '<params json>'   (params as in bench/load.py's LoadParams)
// Prints one JSON line with the same fields as the Python generator.

import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const p = JSON.parse(process.argv[2])
const CLK_TCK = p.clk_tck || 100
const url = `ws://${p.host || '127.0.0.1'}:${p.port}`

let framesIn = 0
let bytesIn = 0
// The provider's WebSocket: `ws`, without compression, counting the frames it receives.
class CountingWS extends WebSocket {
  constructor (address, protocols) {
    super(address, protocols, { perMessageDeflate: false })
    this.on('message', (data) => { framesIn++; bytesIn += data.byteLength ?? data.length })
  }
}

const now = () => performance.now()
const serverCpu = () => {
  if (!p.server_pid) return 0
  const stat = readFileSync(`/proc/${p.server_pid}/stat`, 'latin1')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLK_TCK
}
const machineCpu = () => {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK_TCK
}
const genCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }

const stats = { peer: [], plenary: [], delivered: 0, deliveredTotal: 0, sent: 0, disorder: 0 }
let w0 = Infinity
let w1 = Infinity
let stopped = false
const tablets = new Map() // client id -> tablet
const providers = []

const observe = (ymap, me, lats, onSeen) => {
  const last = new Map()
  ymap.observe((event) => {
    const t = now()
    for (const key of event.keysChanged) {
      const sender = key.slice(2)
      if (sender === me) continue
      const v = ymap.get(key)
      const [sent, n] = v
      if (n !== (last.get(sender) || 0) + 1) stats.disorder++
      last.set(sender, n)
      if (sent >= w0 && sent < w1) lats.push(t - sent)
      stats.deliveredTotal++
      if (t >= w0 && t < w1) stats.delivered++
      if (onSeen) onSeen(sender, n)
    }
  })
  return last
}

const connect = (room, doc) => {
  const provider = new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: CountingWS,
    disableBc: true,
    resyncInterval: -1
  })
  providers.push(provider)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no sync on ${room}`)), 30000)
    provider.on('sync', (synced) => { if (synced) { clearTimeout(timer); resolve(provider) } })
  })
}

// ------------------------------------------------------------------------ setup

const plenaryLast = []
const onPlenary = (sender, n) => {
  const t = tablets.get(sender)
  t.seen = n
  if (p.rate <= 0) pump(t)
}
const ready = []
for (let b = 1; b <= p.boards; b++) {
  const room = `b${b}`
  const pdoc = new Y.Doc()
  plenaryLast.push(observe(pdoc.getMap('pos'), 'plenary', stats.plenary, onPlenary))
  ready.push(connect(room, pdoc))
  for (let k = 1; k <= p.clients; k++) {
    const id = `t${b}.${k}`
    const doc = new Y.Doc()
    const ymap = doc.getMap('pos')
    const t = { id, board: room, doc, ymap, key: `a-${id}`, n: 0, seen: 0, last: null }
    t.last = observe(ymap, id, stats.peer, null)
    tablets.set(id, t)
    ready.push(connect(room, doc))
  }
}
await Promise.all(ready)

// ------------------------------------------------------------------------- load

const sendOp = (t) => {
  const ts = now()
  t.n++
  t.ymap.set(t.key, [ts, t.n])
  if (ts >= w0 && ts < w1) stats.sent++
}

const pump = (t) => {
  if (stopped) return
  while (t.n - t.seen < p.window) sendOp(t)
}

const marks = {}
const mark = (name) => {
  marks[name] = { server: serverCpu(), gen: genCpu(), machine: machineCpu(), frames: framesIn, bytes: bytesIn, t: now() }
}

const start = now() + 50
w0 = start + p.warmup * 1000
w1 = w0 + p.duration * 1000
setTimeout(() => mark('w0'), w0 - now())
const done = new Promise((resolve) => {
  setTimeout(() => { mark('w1'); stopped = true; resolve() }, w1 - now())
})
let seed = p.seed || 1
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
for (const t of tablets.values()) {
  if (p.rate > 0) {
    const period = 1000 / p.rate
    let next = start + rand() * period
    const tick = () => {
      if (stopped) return
      sendOp(t)
      next += period
      if (next < now()) next = now()
      setTimeout(tick, next - now())
    }
    setTimeout(tick, next - now())
  } else {
    setTimeout(() => pump(t), start - now())
  }
}
await done

const missingCount = () => {
  let missing = 0
  const byBoard = new Map()
  for (const t of tablets.values()) {
    if (!byBoard.has(t.board)) byBoard.set(t.board, [])
    byBoard.get(t.board).push(t)
  }
  let b = 0
  for (const group of byBoard.values()) {
    for (const t of group) {
      for (const s of group) if (s !== t) missing += s.n - (t.last.get(s.id) || 0)
      missing += t.n - (plenaryLast[b].get(t.id) || 0)
    }
    b++
  }
  return missing
}
const deadline = now() + p.drain * 1000
let missing = missingCount()
while (missing > 0 && now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50))
  missing = missingCount()
}

const pct = (values) => {
  if (!values.length) return { p50: null, p95: null, p99: null, max: null }
  const s = Float64Array.from(values).sort()
  const at = (q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 1000) / 1000
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: Math.round(s[s.length - 1] * 1000) / 1000 }
}
const a = marks.w0
const z = marks.w1
const secs = (z.t - a.t) / 1000
const serverCpuS = z.server - a.server
let sentTotal = 0
for (const t of tablets.values()) sentTotal += t.n
const result = {
  params: p,
  sent_total: sentTotal,
  delivered_total: stats.deliveredTotal,
  sent_per_s: stats.sent / secs,
  delivered_per_s: stats.delivered / secs,
  frames_per_s: (z.frames - a.frames) / secs,
  mbytes_per_s: (z.bytes - a.bytes) / secs / 1e6,
  server_cpu_s: serverCpuS,
  server_cpu_per_1000: serverCpuS / Math.max(1, stats.delivered) * 1000,
  gen_cpu_s: z.gen - a.gen,
  other_cpu_s: (z.machine - a.machine) - serverCpuS - (z.gen - a.gen),
  window_s: secs,
  latency_peer_ms: pct(stats.peer),
  latency_plenary_ms: pct(stats.plenary),
  latency_ack_ms: pct([]),
  missing,
  disorder: stats.disorder,
  errors: [],
  error_count: 0,
  complete: missing === 0 && stats.disorder === 0
}
for (const provider of providers) provider.destroy()
process.stdout.write(JSON.stringify(result) + '\n')
process.exit(0)
