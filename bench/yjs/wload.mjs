// The load generator of the W workloads (bench/workloads.py, `make bench`), in Node so
// that it stays out of the servers' way: one process, pinned to its own core, speaking
//
//   - schakel: the Schakel protocol of shared/PROTOCOL.md, version 1 (an `update` holds
//     the receiver's own ops too; one message per frame) or version 2 (no echo,
//     `update.from`, several msgpack values back to back in one hub frame, `ack.seq`);
//     `proto: 0` asks the hub: a `hello` with v 2 first, v 1 when that is refused;
//   - relay: the bare relays (bench/relay.py, bench/relay_starlette.py): rooms by path,
//     every frame forwarded as it is;
//   - yjs: real Yjs clients (Y.Doc + y-websocket's WebsocketProvider, awareness for
//     presence) against the y-websocket server.
//
// Every op is `[actor, "actor", "pos", [t, n], n, client]` (Yjs: the map entry of the
// tablet set to [t, n]): t is the send time on this process's monotonic clock, n the
// tablet's op number, so that every receiver (the board's other tablets, the plenary)
// takes the op→peer latency from t and checks that n arrives once and in order.
//
// Workloads (`mode`):
//   w1  boards × clients tablets + one plenary following every board; per tablet
//       `ops_rate` ops/s and `presence_rate` presence updates/s times the step's
//       multiplier; per step: warm-up, measured window, stop and drain, lost ops counted.
//       Stops after the first step over `p99_limit_ms` or with ops lost.
//   w2  no plenary; `step_clients` tablets on boards of `clients`, each `ops_rate` ops/s,
//       added step by step; RSS of the server per step.
//   w3  the W1 load on every board but the first, which holds `objects` objects; phase
//       A without, phase B with late joiners back to back (each: hello, subscribe since 0,
//       until the last `sync` frame). The joiners run in a second Node process (mode
//       `joiner`, on the generator's core): decoding a 5,000-object sync takes a
//       generator's loop tens of milliseconds, which it would otherwise add to the
//       latency it measures for every other board.
//
// Several Schakel hubs (`urls`: two hubs on one Redis): the tablets go to them in turn
// (`spread: 'tablet'`, the default: a board's four on different hubs), or the boards do
// (`spread: 'board'`: a board's four on one hub); the plenary is on the first.
//
// Usage: node wload.mjs '<params json>'. Prints one JSON line per step (`{"step": ...}`)
// and a last line `{"done": ...}`.

import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { encode, decode, decodeMulti } from '@msgpack/msgpack'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const p = JSON.parse(process.argv[2])
const CLK_TCK = p.clk_tck || 100
const now = () => performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const log = (...a) => process.stderr.write(a.join(' ') + '\n')

// ------------------------------------------------------------------ /proc gauges

const procStat = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLK_TCK
}
const cpuOf = (pids) => pids.reduce((s, pid) => s + procStat(pid), 0)
const rssKb = (pids) => pids.reduce((s, pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
  return s + (m ? Number(m[1]) : 0)
}, 0)
const machineCpu = () => {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK_TCK
}
const genCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const serverPids = p.server_pids || []
const storePids = p.store_pids || []

const pct = (values) => {
  if (!values.length) return { p50: null, p95: null, p99: null, max: null }
  const s = Float64Array.from(values).sort()
  const at = (q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 100) / 100
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: Math.round(s[s.length - 1] * 100) / 100 }
}

// ------------------------------------------------------------------ the run's state

const S = {
  w0: Infinity, // measured window (ms on now())
  w1: Infinity,
  lat: [], // op→peer latencies of ops sent in the window (tablets and plenary)
  latPlenary: [],
  ack: [],
  delivered: 0, // op deliveries inside the window
  presenceSent: 0, // presence updates sent in the window
  presenceExpected: 0, // ... times the receivers each should reach
  presenceReceived: 0, // presence updates received in the window
  sent: 0,
  disorder: 0,
  gaps: 0, // Schakel: updates that do not continue the board's seqs
  errors: [],
  framesIn: 0,
  bytesIn: 0,
  skip: null // board whose ops are not counted (w3: the large board)
}
const inWindow = (t) => t >= S.w0 && t < S.w1

// A receiver: a tablet or the plenary. `last` maps sender → last op number seen.
const receiverOf = (me, plenary) => ({ me, plenary, last: new Map(), seqs: new Map(), waiting: new Map() })

const onOps = (r, ops, t) => {
  const lats = r.plenary ? S.latPlenary : S.lat
  for (const op of ops) {
    const sender = op[5]
    if (sender === r.me) continue // v1 echoes the sender's own ops
    const v = op[3]
    if (!Array.isArray(v) || typeof v[1] !== 'number') continue // not a timed op (w3 seed)
    const [sent, n] = v
    const prev = r.last.get(sender) || 0
    if (n !== prev + 1) S.disorder++
    r.last.set(sender, n)
    if (inWindow(sent)) {
      lats.push(t - sent)
      if (r.plenary) S.lat.push(t - sent)
    }
    if (inWindow(t)) S.delivered++
  }
}

const settle = (r, key, m) => {
  const w = r.waiting.get(key)
  if (w) { r.waiting.delete(key); w(m) }
}
const expect = (r, key, ms = 60000) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`${r.me}: no ${key} in ${ms} ms`)), ms)
  r.waiting.set(key, (m) => { clearTimeout(timer); resolve(m) })
})

// ------------------------------------------------------------------ Schakel and relay

let proto = p.proto || 0

const onSchakelMessage = (r, m, t) => {
  switch (m.t) {
    case 'update': {
      // the board's seqs must continue without a gap: v2 says where an update begins
      // (`from`; the receiver's own ops left out), v1 holds every op of its range
      const first = proto === 2 ? m.from : m.seq - m.ops.length + 1
      const last = r.seqs.get(m.board)
      if (last !== undefined && first !== last + 1) S.gaps++
      r.seqs.set(m.board, m.seq)
      onOps(r, m.ops, t)
      break
    }
    case 'ops': onOps(r, m.ops, t); break // the relays forward the client message
    case 'ack': {
      if (r.sentAt) {
        for (const [ref, at] of r.sentAt) {
          if (ref > m.ref) break
          r.sentAt.delete(ref)
          if (inWindow(at)) S.ack.push(t - at)
        }
      }
      if (proto === 2) r.seqs.set(m.board, Math.max(r.seqs.get(m.board) || 0, m.seq))
      if (r.onAck) r.onAck(m)
      break
    }
    case 'presence': if (inWindow(t)) S.presenceReceived++; break
    case 'error':
      if (r.waiting.has('welcome') && m.code) { settle(r, 'welcome', m); break }
      if (S.errors.length < 20) S.errors.push(`${r.me}: ${m.code}: ${m.reason}`)
      break
    case 'sync':
      if (!m.more) { r.seqs.set(m.board, m.seq); settle(r, 'sync:' + m.board, m) }
      break
    default: settle(r, m.t, m)
  }
}

// A relay's frame is one client message as it was sent; a presence update (three in four
// of them) begins with its map header and "t": "presence". It is counted without being
// decoded: at x4 the relay sends the generator four times the hub's frames, and decoding
// them all took most of the generator's core (docs/benchmarks.md).
const PRESENCE_HEAD = Buffer.from([0xa1, 0x74, 0xa8, ...Buffer.from('presence')])
const relayPresence = (data) =>
  p.target === 'relay' && data.length > 11 && (data[0] & 0xf0) === 0x80 &&
  data.compare(PRESENCE_HEAD, 0, PRESENCE_HEAD.length, 1, 1 + PRESENCE_HEAD.length) === 0

const open = (url, r) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
  ws.binaryType = 'nodebuffer'
  r.ws = ws
  ws.on('message', (data) => {
    const t = now()
    S.framesIn++
    S.bytesIn += data.length
    if (r.onFrame) r.onFrame(data, t)
    if (relayPresence(data)) {
      if (inWindow(t)) S.presenceReceived++
      return
    }
    for (const m of decodeMulti(data)) onSchakelMessage(r, m, t)
  })
  ws.on('open', () => resolve(ws))
  ws.on('error', (e) => reject(e))
  ws.on('close', (code) => { r.closed = code })
})

const send = (r, m) => { if (r.ws.readyState === 1) r.ws.send(encode(m)) }

const hello = async (r, token) => {
  const v = proto || 2
  const w = expect(r, 'welcome', 30000)
  send(r, { t: 'hello', v, token, client: r.me, name: r.me.slice(0, 40) })
  const m = await w
  if (m.t === 'welcome') return m.v
  if (proto === 0 && v === 2) return 0 // refused: the caller asks again with v 1
  throw new Error(`hello refused: ${m.code}: ${m.reason}`)
}

const post = async (base, path, body, token) => {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) })
    if (res.ok) return res.json()
    const text = await res.text()
    if (attempt < 5 && res.status >= 500) { await sleep(200); continue }
    throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`)
  }
}

const PROGRAMME = [{ title: 'bench', parts: [{ title: 'groups', minutes: 60, mode: 'group' }] }]

// One workshop of `boards` groups, `n` participants joined; returns the viewer token,
// the facilitator token and [token, board] per participant.
// Joins fill the groups in the hub's own way; a participant whose board is not its
// group's (`perBoard` each, in join order) is moved there by the facilitator.
const workshop = async (base, boards, n, perBoard) => {
  const ws = await post(base, '/api/workshops', { title: 'bench', groups: boards, programme: PROGRAMME })
  const all = ws.workshop.boards
  const joined = new Array(n)
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      const j = await post(base, '/api/join', { code: ws.join_code, nickname: `t${i}` })
      const group = Math.floor(i / perBoard) + 1
      if (j.board !== all[group - 1]) {
        const path = `/api/workshops/${ws.workshop.id}/participants/${j.participant.id}`
        await post(base, path, { group }, ws.facilitator_token)
      }
      joined[i] = [j.token, all[group - 1]]
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return { viewer: ws.viewer_token, facilitator: ws.facilitator_token, boards: ws.workshop.boards, joined }
}

// Connects r (hello, subscribe to `boards`) to hub `url`; settles `proto` on the way.
const schakelReady = async (url, r, token, boards) => {
  await open(`${url}/ws`, r)
  let v = await hello(r, token)
  if (v === 0) { // the hub refused v 2: a v 1 hub (reconnect, v 1)
    r.ws.terminate()
    proto = 1
    await open(`${url}/ws`, r)
    v = await hello(r, token)
  }
  if (proto === 0) proto = v
  const syncs = boards.map((b) => expect(r, 'sync:' + b, 60000))
  boards.forEach((b, i) => send(r, { t: 'subscribe', board: b, since: 0, ref: i + 1 }))
  await Promise.all(syncs)
}

const limit = async (items, n, fn) => {
  let next = 0
  const worker = async () => { while (next < items.length) { const i = next++; await fn(items[i], i) } }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
}

// ------------------------------------------------------------------ Yjs

const yjsReady = (url, room, doc, counting) => {
  class CountingWS extends WebSocket {
    constructor (address, protocols) {
      super(address, protocols, { perMessageDeflate: false })
      this.on('message', (data) => { S.framesIn++; S.bytesIn += data.byteLength ?? data.length })
    }
  }
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: CountingWS, disableBc: true, resyncInterval: -1 })
  if (counting) {
    provider.awareness.on('update', ({ added, updated }, origin) => {
      if (origin === 'local') return
      const t = now()
      if (!inWindow(t)) return
      for (const id of [...added, ...updated]) if (id !== doc.clientID) S.presenceReceived++
    })
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no sync on ${room}`)), 60000)
    provider.on('sync', (synced) => { if (synced) { clearTimeout(timer); resolve(provider) } })
  })
}

// ------------------------------------------------------------------ tablets

let built = 0
// Builds the tablets and the plenary of the target; each tablet gets sendOp / sendPresence.
const build = async (boardsN, perBoard, withPlenary) => {
  const tablets = []
  let plenary = null
  const urls = p.urls
  if (p.target === 'schakel') {
    const per = Math.floor(200 / perBoard) // a workshop holds 200 participants
    let left = boardsN
    const shops = []
    while (left > 0) {
      const b = Math.min(left, per, 64)
      shops.push(await workshop(p.http[0], b, b * perBoard, perBoard))
      left -= b
    }
    let k = 0
    const serial = built++ // client ids stay unique over several builds (w2)
    const boardSerial = new Map() // board -> its place among all boards built
    for (const shop of shops) {
      for (const board of shop.boards) boardSerial.set(board, boardSerial.size)
    }
    for (const shop of shops) {
      const count = new Map()
      for (const [token, board] of shop.joined) {
        const c = (count.get(board) || 0) + 1
        count.set(board, c)
        const me = `t${serial}.${shop.boards.indexOf(board) + 1}-${k}.${c}`
        const r = receiverOf(me, false)
        // over several hubs: tablets in turn (a board's four on different hubs), or
        // boards in turn (a board's four on one hub; p.spread 'board')
        const i = p.spread === 'board' ? boardSerial.get(board) : k
        Object.assign(r, { board, token, url: urls[i % urls.length], n: 0, sentAt: new Map(), actor: 'a-' + me })
        tablets.push(r)
        k++
      }
    }
    if (withPlenary) {
      plenary = receiverOf('plenary', true)
      await schakelReady(urls[0], plenary, shops[0].viewer, shops[0].boards)
      plenary.shop = shops[0]
    }
    const first = proto === 0 ? tablets.slice(0, 1) : [] // asks the hub's version once
    for (const t of first) await schakelReady(t.url, t, t.token, [t.board])
    await limit(tablets.slice(first.length), 32, (t) => schakelReady(t.url, t, t.token, [t.board]))
    for (const t of tablets) {
      t.sendOp = () => {
        const ts = now()
        t.n++
        const op = [t.actor, 'actor', 'pos', [ts, t.n], t.n, t.me]
        t.sentAt.set(t.n, ts)
        send(t, { t: 'ops', board: t.board, ref: t.n, ops: [op] })
        return ts
      }
      t.sendPresence = (x) => send(t, { t: 'presence', board: t.board, data: { cursor: [x, x] } })
    }
    return { tablets, plenary, shops }
  }
  if (p.target === 'relay') {
    for (let b = 1; b <= boardsN; b++) {
      for (let c = 1; c <= perBoard; c++) {
        const me = `t${b}.${c}`
        const r = receiverOf(me, false)
        Object.assign(r, { board: `b${b}`, url: urls[0], n: 0, actor: 'a-' + me })
        tablets.push(r)
      }
    }
    if (withPlenary) {
      plenary = receiverOf('plenary', true)
      await open(`${urls[0]}/plenary`, plenary)
    }
    await limit(tablets, 32, (t) => open(`${t.url}/b/${t.board}`, t))
    await sleep(300) // the relay adds a connection to its room after the 101
    for (const t of tablets) {
      t.sendOp = () => {
        const ts = now()
        t.n++
        send(t, { t: 'ops', board: t.board, ops: [[t.actor, 'actor', 'pos', [ts, t.n], t.n, t.me]] })
        return ts
      }
      t.sendPresence = (x) => send(t, { t: 'presence', board: t.board, client: t.me, data: { cursor: [x, x] } })
    }
    return { tablets, plenary }
  }
  // yjs
  const ready = []
  const observe = (r, ymap) => ymap.observe((event) => {
    const t = now()
    const ops = []
    for (const key of event.keysChanged) {
      const v = ymap.get(key)
      ops.push([key, 'actor', 'pos', v, 0, key.slice(2)])
    }
    onOps(r, ops, t)
  })
  if (withPlenary) {
    plenary = receiverOf('plenary', true)
    plenary.docs = []
  }
  for (let b = 1; b <= boardsN; b++) {
    const room = `b${b}`
    if (plenary) {
      const doc = new Y.Doc()
      observe(plenary, doc.getMap('pos'))
      ready.push(yjsReady(urls[0], room, doc, true))
    }
    for (let c = 1; c <= perBoard; c++) {
      const me = `t${b}.${c}`
      const r = receiverOf(me, false)
      const doc = new Y.Doc()
      const ymap = doc.getMap('pos')
      observe(r, ymap)
      Object.assign(r, { board: room, n: 0, doc, ymap, key: 'a-' + me })
      tablets.push(r)
      ready.push(yjsReady(urls[0], room, doc, true).then((provider) => { r.provider = provider }))
    }
  }
  await Promise.all(ready)
  for (const t of tablets) {
    t.sendOp = () => {
      const ts = now()
      t.n++
      t.ymap.set(t.key, [ts, t.n])
      return ts
    }
    t.sendPresence = (x) => t.provider.awareness.setLocalStateField('cursor', [x, x])
  }
  return { tablets, plenary }
}

// Presence receivers per sender: the board's other tablets and the plenary.
const presenceFanout = (tablets, plenary) => {
  const size = new Map()
  for (const t of tablets) size.set(t.board, (size.get(t.board) || 0) + 1)
  const fan = new Map()
  for (const t of tablets) fan.set(t, size.get(t.board) - 1 + (plenary ? 1 : 0))
  return fan
}

// Deliveries still missing: every op of a tablet at every other tablet of its board and
// at the plenary.
const missing = (tablets, plenary) => {
  const byBoard = new Map()
  for (const t of tablets) {
    if (!byBoard.has(t.board)) byBoard.set(t.board, [])
    byBoard.get(t.board).push(t)
  }
  let m = 0
  for (const group of byBoard.values()) {
    for (const t of group) {
      for (const s of group) if (s !== t) m += s.n - (t.last.get(s.me) || 0)
      if (plenary) m += t.n - (plenary.last.get(t.me) || 0)
    }
  }
  return m
}

// Drives `tablets` at `opsRate` and `presenceRate` per tablet for warm-up + window, then
// drains; returns the step's figures.
const step = async (label, tablets, plenary, opsRate, presenceRate, opts = {}) => {
  S.lat = []; S.latPlenary = []; S.ack = []
  S.delivered = 0; S.presenceSent = 0; S.presenceExpected = 0; S.presenceReceived = 0; S.sent = 0
  S.disorder = 0; S.gaps = 0; S.errors = []
  const fan = presenceFanout(tablets, plenary)
  const start = now() + 20
  S.w0 = start + p.warmup_s * 1000
  S.w1 = S.w0 + p.window_s * 1000
  let stopped = false
  const marks = {}
  const mark = (name) => {
    marks[name] = {
      server: cpuOf(serverPids),
      store: cpuOf(storePids),
      gen: genCpu(),
      machine: machineCpu(),
      frames: S.framesIn,
      t: now()
    }
  }
  // One timer per 5 ms slot drives every tablet whose next send is due, so the generator
  // does not run one timer per tablet per op.
  const schedule = (period, fire) => {
    if (!(period > 0)) return
    for (const t of tablets) {
      const next = start + Math.random() * period
      fire.next.set(t, next)
    }
    fire.period = period
  }
  const opsT = { next: new Map(), period: 0 }
  const presT = { next: new Map(), period: 0 }
  schedule(opsRate > 0 ? 1000 / opsRate : 0, opsT)
  schedule(presenceRate > 0 ? 1000 / presenceRate : 0, presT)
  let x = 0
  const tick = () => {
    if (stopped) return
    const t = now()
    // every send that is due, but a late timer catches up 50 ms at most (no bursts)
    if (opsT.period) {
      for (const [tab, due] of opsT.next) {
        if (due > t) continue
        let next = Math.max(due, t - 50)
        for (; next <= t; next += opsT.period) {
          const ts = tab.sendOp()
          if (inWindow(ts)) S.sent++
        }
        opsT.next.set(tab, next)
      }
    }
    if (presT.period) {
      for (const [tab, due] of presT.next) {
        if (due > t) continue
        let next = Math.max(due, t - 50)
        for (; next <= t; next += presT.period) {
          tab.sendPresence(x++ % 1000)
          if (inWindow(t)) { S.presenceSent++; S.presenceExpected += fan.get(tab) }
        }
        presT.next.set(tab, next)
      }
    }
    setTimeout(tick, tablets.length > 1000 ? 10 : 2)
  }
  await sleep(start - now())
  tick()
  if (opts.during) opts.during()
  await sleep(S.w0 - now())
  mark('w0')
  await sleep(S.w1 - now())
  mark('w1')
  stopped = true
  if (opts.after) await opts.after()
  const deadline = now() + p.drain_s * 1000
  let miss = missing(tablets, plenary)
  while (miss > 0 && now() < deadline) {
    await sleep(50)
    miss = missing(tablets, plenary)
  }
  const a = marks.w0
  const z = marks.w1
  const secs = (z.t - a.t) / 1000
  const server = z.server - a.server
  const lat = pct(S.lat)
  const r = {
    step: label,
    ops_per_s_offered: tablets.length * opsRate,
    sent_per_s: S.sent / secs,
    delivered_per_s: S.delivered / secs,
    frames_in_per_s: (z.frames - a.frames) / secs,
    latency_ms: lat,
    latency_plenary_ms: pct(S.latPlenary),
    latency_ack_ms: pct(S.ack),
    lost: miss,
    disorder: S.disorder,
    seq_gaps: S.gaps,
    errors: S.errors.slice(0, 5),
    server_cpu_pct: 100 * server / secs,
    store_cpu_pct: 100 * (z.store - a.store) / secs,
    server_us_per_delivered: S.delivered ? 1e6 * server / S.delivered : null,
    store_us_per_delivered: S.delivered ? 1e6 * (z.store - a.store) / S.delivered : null,
    gen_cpu_pct: 100 * (z.gen - a.gen) / secs,
    other_cpu_pct: 100 * ((z.machine - a.machine) - server - (z.store - a.store) - (z.gen - a.gen)) / secs,
    presence_sent_per_s: S.presenceSent / secs,
    presence_expected: S.presenceExpected,
    presence_received: S.presenceReceived,
    presence_coalesced: S.presenceExpected ? Math.max(0, 1 - S.presenceReceived / S.presenceExpected) : null,
    window_s: secs,
    proto
  }
  r.held = lat.p99 !== null && lat.p99 <= p.p99_limit_ms && miss === 0 && S.disorder === 0 && S.gaps === 0 && S.errors.length === 0
  return r
}

// ------------------------------------------------------------------ workloads

const w1 = async () => {
  const { tablets, plenary } = await build(p.boards, p.clients, true)
  let capacity = 0
  let held = true // every step so far held
  for (const k of p.steps) {
    const r = await step(k, tablets, plenary, p.ops_rate * k, p.presence_rate * k)
    r.multiplier = k
    out(r)
    if (!r.held && !p.keep_going) break
    if (r.held && held) capacity = k
    held = held && r.held
    await sleep(300)
  }
  return { capacity, proto, connections: tablets.length + (plenary ? (plenary.docs ? p.boards : 1) : 0) }
}

const w2 = async () => {
  const tablets = []
  const base = rssKb(serverPids)
  let held = 0
  for (const n of p.steps) {
    const add = n - tablets.length
    if (add > 0) {
      const { tablets: more } = await build(Math.ceil(add / p.clients), p.clients, false)
      tablets.push(...more)
    }
    await sleep(500)
    const rss = rssKb(serverPids)
    const r = await step(n, tablets, null, p.ops_rate, 0)
    Object.assign(r, { clients: tablets.length, rss_kb: rss, rss_base_kb: base, kb_per_connection: (rss - base) / tablets.length })
    out(r)
    if (!r.held) break
    held = tablets.length
  }
  return { held, proto }
}

const w3 = async () => {
  const { tablets, plenary, shops } = await build(p.boards, p.clients, false)
  // board 1 gets `objects` actors from its first tablet; its tablets then stay still
  const big = shops[0].boards[0]
  const writer = tablets.find((t) => t.board === big)
  let ref = 1000000
  for (let i = 0; i < p.objects; i += 160) {
    const ops = []
    for (let j = i; j < Math.min(p.objects, i + 160); j++) {
      const id = `o${j}`
      const c = ++writer.n
      ops.push([id, 'actor', 'label', `Actor ${j}`, c, writer.me], [id, 'actor', 'kind', 'person', c, writer.me],
        [id, 'actor', 'stance', 'middle', c, writer.me], [id, 'actor', 'influence', j % 6, c, writer.me],
        [id, 'actor', 'pos', [j % 100 * 40, Math.floor(j / 100) * 40], c, writer.me],
        [id, 'actor', 'role_schakel', j % 7 === 0, c, writer.me])
    }
    const mine = ++ref
    const acked = new Promise((resolve) => { writer.onAck = (m) => { if (m.ref >= mine) resolve() } })
    send(writer, { t: 'ops', board: big, ref: mine, ops })
    await acked
  }
  writer.onAck = null
  writer.sentAt.clear()
  await sleep(1000)
  for (const t of tablets) t.last.clear()
  const others = tablets.filter((t) => t.board !== big)
  const rate = p.ops_rate * p.multiplier
  const prate = p.presence_rate * p.multiplier
  const a = await step('without', others, null, rate, prate)
  out(a)
  // The joiners: a process of their own (see the header), stopped by SIGTERM at the end
  // of the window; its last line holds their figures.
  let child = null
  let childOut = ''
  let childExit = null
  const b = await step('with late joiners', others, null, rate, prate, {
    during: () => {
      const q = { ...p, mode: 'joiner', proto, viewer: shops[0].viewer, board: big }
      child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(q)], {
        stdio: ['ignore', 'pipe', 'inherit']
      })
      child.stdout.on('data', (d) => { childOut += d })
      childExit = new Promise((resolve) => child.on('exit', resolve))
    },
    after: async () => { child.kill('SIGTERM'); await childExit }
  })
  const last = JSON.parse(childOut.trim().split('\n').pop() || '{}')
  if (!last.done) throw new Error(`the joiner process failed: ${last.error || childOut}`)
  const joins = last.done.joins
  b.joins = joins
  b.joiner_cpu_pct = last.done.cpu_pct
  out(b)
  const syncs = joins.map((j) => j.sync_ms)
  return { proto, joins: joins.length, sync_ms: pct(syncs), p99_ratio: a.latency_ms.p99 ? b.latency_ms.p99 / a.latency_ms.p99 : null }
}

// Late joiners back to back until SIGTERM (w3's second process): hello as the plenary
// screen, subscribe to the large board since 0, wait for the last sync frame, close.
const joiner = async () => {
  let joining = true
  process.on('SIGTERM', () => { joining = false })
  const joins = []
  const c0 = genCpu()
  const t00 = now()
  let i = 0
  while (joining) {
    const r = receiverOf(`late${i++}`, false)
    const t0 = now()
    await open(`${p.urls[0]}/ws`, r)
    await hello(r, p.viewer)
    let first = 0
    r.onFrame = () => { if (!first) first = now() }
    const done = expect(r, 'sync:' + p.board, 60000)
    const t1 = now()
    send(r, { t: 'subscribe', board: p.board, since: 0, ref: 1 })
    const m = await done
    const t2 = now()
    joins.push({ connect_ms: t1 - t0, sync_ms: t2 - t1, first_frame_ms: first - t1, seq: m.seq })
    r.ws.close()
    await sleep(200)
  }
  return { joins, cpu_pct: (100 * (genCpu() - c0) * 1000) / (now() - t00) }
}

const modes = { w1, w2, w3, joiner }
try {
  const done = await modes[p.mode]()
  out({ done })
  process.exit(0)
} catch (e) {
  log(e.stack || String(e))
  out({ done: null, error: String(e) })
  process.exit(2)
}
