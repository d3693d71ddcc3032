// Runs RCON commands through rcon-client (the npm library in tests/clients),
// an implementation independent of fleetop, and prints what it got as JSON:
//   node rcon_client.mjs PORT PASSWORD [--multi] [--timeout MS] COMMAND...
//   {"authenticated":true,"error":null,"replies":{"list":"..."},"full":{"list":"..."}}
// "replies" is what rcon-client's send() returns: the first RESPONSE_VALUE
// only, as the library resolves a command on its first packet. With --multi,
// "full" is the whole reply, read the way Source clients do it: the command,
// then an empty RESPONSE_VALUE, whose mirrored answer ends the reply. That
// part uses rcon-client's connection, authentication and packet codec; only
// the collecting of several packets under one id is added here.
import { createRequire } from 'node:module'

const require = createRequire(new URL('../../clients/package.json', import.meta.url))
const { Rcon } = require('rcon-client')
const { encodePacket, decodePacket } = require('rcon-client/lib/packet.js')

const args = process.argv.slice(2)
let multi = false
let timeout = 2000
const rest = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--multi') multi = true
  else if (args[i] === '--timeout') timeout = parseInt(args[++i])
  else rest.push(args[i])
}
const [port, password, ...commands] = rest
const out = { authenticated: false, error: null, replies: {}, full: {} }

const rcon = new Rcon({ host: '127.0.0.1', port: parseInt(port), password, timeout })
rcon.on('error', () => {}) // reported through the failing promise instead

// rcon-client's packet splitter throws from inside its stream on a negative
// size field (random bytes do that); that is the library failing, which
// is reported like any other failure rather than as a crash.
process.on('uncaughtException', e => {
  out.error = 'rcon-client crashed: ' + (e instanceof Error ? e.message : String(e))
  console.log(JSON.stringify(out))
  process.exit(0)
})

// Packets of a multi-packet reply share the command's id; rcon-client would
// drop all but the first, so they are taken here before it sees them.
let collecting = null
const plainHandler = rcon.handlePacket
rcon.handlePacket = function (data) {
  if (collecting) {
    const p = decodePacket(data)
    if (p.id === collecting.cmdId) {
      collecting.parts.push(p.payload)
      return
    }
    if (p.id === collecting.endId) {
      const c = collecting
      collecting = null
      c.done(Buffer.concat(c.parts).toString('utf-8'))
      return
    }
  }
  return plainHandler.call(this, data)
}

function sendMulti (command) {
  return new Promise((resolve, reject) => {
    const cmdId = rcon.requestId++
    const endId = rcon.requestId++
    const timer = setTimeout(() => {
      collecting = null
      reject(new Error(`Timeout for command ${command}`))
    }, timeout)
    collecting = {
      cmdId,
      endId,
      parts: [],
      done: text => { clearTimeout(timer); resolve(text) }
    }
    rcon.socket.write(encodePacket({ id: cmdId, type: 2, payload: Buffer.from(command, 'utf-8') }))
    rcon.socket.write(encodePacket({ id: endId, type: 0, payload: Buffer.alloc(0) }))
  })
}

try {
  await rcon.connect()
  out.authenticated = true
  for (const command of commands) {
    out.replies[command] = await rcon.send(command)
    if (multi) out.full[command] = await sendMulti(command)
  }
} catch (e) {
  out.error = e instanceof Error ? e.message : String(e)
}
console.log(JSON.stringify(out))
process.exit(0)
