#!/usr/bin/env node
// kafkajs 2.2.4 scenarios of the client matrix (compat-tests/clients/scenarios.tsv).
//
//   NODE_PATH=~/.cache/fjord-clients/node/node_modules node kafkajs.js SCENARIO BOOTSTRAP
//
// Scenarios: codec-{none,gzip} (kafkajs has only GZIP built in; snappy/lz4/zstd need codec
// plugins from npm), group-resume, group-pair, idempotent, txn-commit, txn-abort, admin-topics,
// admin-configs, admin-groups, admin-records, offsets, large.
// Messages are those of compat-tests/clients/common.py. kafkajs reports headers as an object,
// so header order is not checked here (the other clients check it).
// Output: one "ok"/"FAIL" line per check and a summary; exit status 0 only if all passed.
'use strict'
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
const { Kafka, CompressionTypes, ConfigResourceTypes, logLevel } = require('kafkajs')

const PARTITIONS = 3 // run.py starts the broker with num.partitions=3
let passes = 0
let failures = 0
function check (ok, what, detail) {
  if (ok) {
    passes++
    console.log(`  ok   ${what}`)
  } else {
    failures++
    console.log(`  FAIL ${what}: ${detail === undefined ? '' : typeof detail === 'string' ? detail : JSON.stringify(detail)}`)
  }
  return ok
}

const key = i => (i % 53 === 13 ? Buffer.alloc(0) : i % 50 === 7 ? null : Buffer.from(`key-${String(i).padStart(5, '0')}`))
function value (i) {
  if (i % 61 === 11) return null
  if (i % 59 === 17) return Buffer.alloc(0)
  const body = Buffer.alloc(i % 200)
  for (let j = 0; j < i % 200; j++) body[j] = (i * 7 + j) % 256
  return Buffer.concat([Buffer.from(`v${i}|`), body, Buffer.from('|end')])
}
const headers = i => (i % 3 === 0 ? { h: Buffer.from(String(i)), bin: Buffer.from([0, 0xff]) } : undefined)
const eq = (a, b) => (a === null || b === null ? a === b : Buffer.compare(a, b) === 0)
// The Kafka error name somewhere in a kafkajs error (retries wrap it in `cause`, batch calls
// list it per topic/partition/group).
function errType (e, depth = 0) {
  if (!e || depth > 5) return undefined
  if (e.type) return e.type
  for (const sub of [e.cause, e.originalError, e.error]) {
    const t = errType(sub, depth + 1)
    if (t) return t
  }
  for (const list of [e.errors, e.partitions, e.groups]) {
    for (const x of list || []) {
      const t = errType(x, depth + 1)
      if (t) return t
    }
  }
  return undefined
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

const [scenario, bootstrap] = process.argv.slice(2)
const kafka = new Kafka({
  clientId: 'fjord-kafkajs-matrix',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 3, initialRetryTime: 100 }
})

function msg (i, partition) {
  const m = { key: key(i), value: value(i), partition }
  if (headers(i)) m.headers = headers(i)
  return m
}

// Sends messages first..first+n-1 (partition i % 3 unless partitionOf) in sends of 100;
// returns {i: [partition, offset]} from the per-partition base offsets kafkajs reports.
async function produce (producer, topic, first, n, { compression, partitionOf, sender } = {}) {
  const placed = {}
  for (let start = first; start < first + n; start += 100) {
    const idx = []
    const messages = []
    for (let i = start; i < first + n && i < start + 100; i++) {
      idx.push(i)
      messages.push(msg(i, partitionOf ? partitionOf(i) : i % PARTITIONS))
    }
    const meta = await (sender || producer).send({ topic, acks: -1, compression, messages })
    const next = {}
    for (const m of meta || []) next[m.partition] = Number(m.baseOffset)
    if (!meta) continue // a transactional send does not report offsets until commit
    idx.forEach((i, k) => {
      const p = messages[k].partition
      placed[i] = [p, next[p]++]
    })
  }
  return placed
}

function checkPlacement (placed, n) {
  const idx = Object.keys(placed).map(Number).sort((a, b) => a - b)
  check(idx.length === n, `${n} messages acknowledged`, idx.length)
  const next = {}
  const bad = []
  for (const i of idx) {
    const [p, o] = placed[i]
    if (o !== (next[p] || 0)) bad.push(`${i} at ${p}/${o}`)
    next[p] = o + 1
  }
  check(bad.length === 0, 'per partition the acknowledged offsets are 0..n-1 in send order', bad.slice(0, 3))
}

function writeExpect (topic, codec, placed) {
  const path = process.env.FJORD_EXPECT_FILE
  if (!path) return
  const hx = b => (b === null ? null : b.toString('hex'))
  const lines = [JSON.stringify({ topic, codec, partitions: PARTITIONS })]
  for (const i of Object.keys(placed).map(Number).sort((a, b) => a - b)) {
    lines.push(JSON.stringify({ p: placed[i][0], o: placed[i][1], k: hx(key(i)), v: hx(value(i)) }))
  }
  require('fs').writeFileSync(path, lines.join('\n') + '\n')
}

// A group member: subscribes from the beginning, collects messages until `want` arrived
// (then `settle` ms more), runs `atEnd(consumer, got)` and disconnects (LeaveGroup).
async function member (topic, groupId, want, { settle = 800, atEnd, readUncommitted = false } = {}) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted, sessionTimeout: 10000, heartbeatInterval: 1000 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const got = []
  let reached
  const done = new Promise(resolve => { reached = resolve })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      got.push({ partition, offset: Number(message.offset), key: message.key, value: message.value, headers: message.headers })
      if (got.length >= want) reached()
    }
  })
  await Promise.race([done, sleep(30000)])
  await sleep(settle)
  if (atEnd) await atEnd(consumer, got)
  await consumer.disconnect()
  return got
}

// gaps: offsets only increase (read_committed skips aborted records and markers).
function checkRead (placed, got, gaps = false) {
  const at = new Map()
  const last = {}
  const orderBad = []
  for (const r of got) {
    if (r.partition in last && (gaps ? r.offset <= last[r.partition] : r.offset !== last[r.partition] + 1)) orderBad.push(`p${r.partition}: ${last[r.partition]} then ${r.offset}`)
    last[r.partition] = r.offset
    at.set(`${r.partition}/${r.offset}`, r)
  }
  const n = Object.keys(placed).length
  check(got.length === n && at.size === n, `consumer reads exactly ${n} records`, `${got.length} (${at.size} distinct)`)
  check(orderBad.length === 0, 'consumer returns each partition in offset order' + (gaps ? '' : ' without gaps'), orderBad.slice(0, 3))
  const bad = []
  for (const [i, [p, o]] of Object.entries(placed).map(([i, v]) => [Number(i), v])) {
    const r = at.get(`${p}/${o}`)
    if (!r) { bad.push(`${i}: nothing at ${p}/${o}`); continue }
    if (!eq(r.key, key(i)) || !eq(r.value, value(i))) { bad.push(`${i}: key ${r.key}`); continue }
    const want = headers(i) || {}
    const gotH = r.headers || {}
    const ok = Object.keys(want).length === Object.keys(gotH).length &&
      Object.entries(want).every(([k, v]) => gotH[k] && Buffer.compare(Buffer.from(gotH[k]), v) === 0)
    if (!ok) bad.push(`${i}: headers ${JSON.stringify(gotH)}`)
  }
  check(bad.length === 0, 'keys, values and headers byte-equal at the acknowledged offsets', bad.slice(0, 3))
}

async function codecScenario (codec) {
  const topic = `kj-codec-${codec}`
  const producer = kafka.producer()
  await producer.connect()
  const placed = await produce(producer, topic, 0, 400,
    { compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None })
  await producer.disconnect()
  checkPlacement(placed, 400)
  writeExpect(topic, codec, placed)
  checkRead(placed, await member(topic, `kj-codec-${codec}-reader`, 400, { settle: 300 }))
}

const PER = 20
const COMMIT = { 0: 5, 1: 8, 2: 11 }

async function committed (admin, groupId, topic) {
  const r = await admin.fetchOffsets({ groupId, topics: [topic] })
  const out = {}
  for (const p of r[0].partitions) out[p.partition] = Number(p.offset)
  return out
}

async function groupResume () {
  const topic = 'kj-group'
  const groupId = 'kj-group-g'
  const producer = kafka.producer()
  await producer.connect()
  await produce(producer, topic, 0, PER * PARTITIONS)
  const admin = kafka.admin()
  await admin.connect()
  let got = await member(topic, groupId, PER * PARTITIONS, {
    settle: 0,
    atEnd: async consumer => consumer.commitOffsets(Object.entries(COMMIT).map(([p, o]) => ({ topic, partition: Number(p), offset: String(o) })))
  })
  check(got.length === PER * PARTITIONS, 'member A reads all 60 records through the group', got.length)
  const c = await committed(admin, groupId, topic)
  check(JSON.stringify(c) === JSON.stringify(COMMIT), 'admin.fetchOffsets shows 5/8/11', c)
  const want = Object.values(COMMIT).reduce((s, o) => s + PER - o, 0)
  got = await member(topic, groupId, want, {
    atEnd: async (consumer, got) => {
      const end = {}
      for (const r of got) end[r.partition] = r.offset + 1
      await consumer.commitOffsets(Object.entries(end).map(([p, o]) => ({ topic, partition: Number(p), offset: String(o) })))
    }
  })
  const first = {}
  for (const r of got) if (!(r.partition in first)) first[r.partition] = r.offset
  check(JSON.stringify(first) === JSON.stringify(COMMIT), 'member B starts each partition exactly at its committed offset', first)
  check(got.length === want, `member B reads exactly the ${want} uncommitted records`, got.length)
  const more = await produce(producer, topic, 1000, PARTITIONS)
  await producer.disconnect()
  got = await member(topic, groupId, PARTITIONS)
  const seen = got.map(r => `${r.partition}/${r.offset}`).sort()
  const wantPos = Object.values(more).map(([p, o]) => `${p}/${o}`).sort()
  check(JSON.stringify(seen) === JSON.stringify(wantPos), 'member C reads only the 3 records produced after B\'s commit', { seen, wantPos })
  await admin.disconnect()
}

async function idempotent () {
  const topic = 'kj-idempotent'
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const placed = await produce(producer, topic, 0, 400)
  await producer.disconnect()
  checkPlacement(placed, 400)
  checkRead(placed, await member(topic, 'kj-idempotent-reader', 400, { settle: 300 }))
}

async function txnCommit () {
  const tin = 'kj-txn-in'
  const tout = 'kj-txn-out'
  const groupId = 'kj-txn-g'
  const plain = kafka.producer()
  await plain.connect()
  await produce(plain, tin, 0, 10, { partitionOf: () => 0 })
  await plain.disconnect()
  const producer = kafka.producer({ transactionalId: 'kj-txn-commit', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const txn = await producer.transaction()
  await produce(producer, tout, 0, 10, { partitionOf: () => 0, sender: txn })
  await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: tin, partitions: [{ partition: 0, offset: '10' }] }] })
  await txn.commit()
  check(true, 'transaction with 10 records and sendOffsets committed')
  await producer.disconnect()
  const placed = {}
  for (let i = 0; i < 10; i++) placed[i] = [0, i]
  checkRead(placed, await member(tout, 'kj-txn-reader', 10))
  const admin = kafka.admin()
  await admin.connect()
  const c = await committed(admin, groupId, tin)
  check(c[0] === 10, 'the transaction committed the group\'s offset 10', c)
  const offs = await admin.fetchTopicOffsets(tout)
  check(offs[0].high === '11', 'output high watermark 11: 10 records + the commit marker', offs)
  await admin.disconnect()
}

async function txnAbort () {
  const topic = 'kj-txn-abort'
  const producer = kafka.producer({ transactionalId: 'kj-txn-abort', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  let txn = await producer.transaction()
  await produce(producer, topic, 0, 5, { partitionOf: () => 0, sender: txn })
  await txn.commit()
  txn = await producer.transaction()
  await produce(producer, topic, 100, 4, { partitionOf: () => 0, sender: txn })
  await txn.abort()
  txn = await producer.transaction()
  await produce(producer, topic, 200, 3, { partitionOf: () => 0, sender: txn })
  await txn.commit()
  await producer.disconnect()
  // 0-4 data, 5 commit marker, 6-9 aborted, 10 abort marker, 11-13 data, 14 commit marker.
  const placed = {}
  for (let i = 0; i < 5; i++) placed[i] = [0, i]
  for (let i = 0; i < 3; i++) placed[200 + i] = [0, 11 + i]
  checkRead(placed, await member(topic, 'kj-txn-abort-committed', 8), true)
  const all = await member(topic, 'kj-txn-abort-uncommitted', 12, { readUncommitted: true })
  check(all.length === 12, 'readUncommitted also sees the 4 aborted records', all.length)
}

async function adminTopics () {
  const admin = kafka.admin()
  await admin.connect()
  const t = 'kj-admin-topic'
  check(await admin.createTopics({ topics: [{ topic: t, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }) === true, 'createTopics: created')
  check(await admin.createTopics({ topics: [{ topic: t, numPartitions: 2 }] }) === false, 'createTopics again: false (TOPIC_ALREADY_EXISTS)')
  check((await admin.listTopics()).includes(t), 'listTopics includes it')
  await admin.createPartitions({ topicPartitions: [{ topic: t, count: 5 }] })
  try {
    await admin.createPartitions({ topicPartitions: [{ topic: t, count: 3 }] })
    check(false, 'shrinking to 3 fails with INVALID_PARTITIONS')
  } catch (e) {
    check(errType(e) === 'INVALID_PARTITIONS', 'shrinking to 3 fails with INVALID_PARTITIONS', errType(e) || e.message)
  }
  const md = await admin.fetchTopicMetadata({ topics: [t] })
  check(md.topics[0].partitions.length === 5, 'fetchTopicMetadata: 5 partitions', md.topics[0].partitions.length)
  await admin.deleteTopics({ topics: [t] })
  check(!(await admin.listTopics()).includes(t), 'deleteTopics: listTopics no longer includes it')
  try {
    await admin.deleteTopics({ topics: ['kj-no-such-topic'] })
    check(false, 'deleting an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION')
  } catch (e) {
    const type = errType(e)
    check(type === 'UNKNOWN_TOPIC_OR_PARTITION', 'deleting an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION', type || e.message)
  }
  const cl = await admin.describeCluster()
  check(cl.brokers.length === 1 && cl.controller === cl.brokers[0].nodeId && typeof cl.clusterId === 'string' && cl.clusterId.length > 0,
    'describeCluster: one broker, the controller, a cluster id', cl)
  await admin.disconnect()
}

async function adminConfigs () {
  const admin = kafka.admin()
  await admin.connect()
  const t = 'kj-admin-configs'
  await admin.createTopics({ topics: [{ topic: t, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
  const describe = async () => {
    const r = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t }], includeSynonyms: false })
    const out = {}
    for (const e of r.resources[0].configEntries) out[e.configName] = e
    return out
  }
  let c = await describe()
  check(c['cleanup.policy'].configValue === 'compact' && !c['cleanup.policy'].isDefault &&
    c['retention.ms'].configValue === '604800000' && c['retention.ms'].isDefault,
  'describeConfigs: cleanup.policy=compact (override), retention.ms default', [c['cleanup.policy'], c['retention.ms']])
  await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'retention.ms', value: '120000' }] }] })
  c = await describe()
  check(c['retention.ms'].configValue === '120000' && c['cleanup.policy'].configValue === 'delete',
    'alterConfigs replaces the overrides', [c['retention.ms'].configValue, c['cleanup.policy'].configValue])
  try {
    await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'no.such.config', value: '1' }] }] })
    check(false, 'an unknown config fails with INVALID_CONFIG')
  } catch (e) {
    check(errType(e) === 'INVALID_CONFIG', 'an unknown config fails with INVALID_CONFIG', errType(e) || e.message)
  }
  const r = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['num.partitions'] }] })
  const e = r.resources[0].configEntries
  check(e.length === 1 && e[0].configValue === String(PARTITIONS), 'broker describeConfigs(num.partitions)', e)
  await admin.disconnect()
}

async function adminGroups () {
  const topic = 'kj-admin-groups'
  const groupId = 'kj-admin-groups-g'
  const producer = kafka.producer()
  await producer.connect()
  await produce(producer, topic, 0, 9)
  await producer.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  await member(topic, groupId, 9, {
    settle: 0,
    atEnd: async (consumer, got) => {
      check(got.length === 9, 'a group member reads 9 records', got.length)
      await consumer.commitOffsets([0, 1, 2].map(p => ({ topic, partition: p, offset: '3' })))
      const groups = (await admin.listGroups()).groups
      check(groups.some(g => g.groupId === groupId && g.protocolType === 'consumer'), 'listGroups shows it (consumer)', groups)
      const d = (await admin.describeGroups([groupId])).groups[0]
      check(d.state === 'Stable' && d.members.length === 1 && d.protocolType === 'consumer' && d.protocol === 'RoundRobinAssigner',
        'describeGroups: Stable, 1 member, RoundRobinAssigner', [d.state, d.members.length, d.protocol])
      try {
        await admin.deleteGroups([groupId])
        check(false, 'deleteGroups of the active group fails with NON_EMPTY_GROUP')
      } catch (e) {
        const type = errType(e)
        check(type === 'NON_EMPTY_GROUP', 'deleteGroups of the active group fails with NON_EMPTY_GROUP', type || e.message)
      }
    }
  })
  check(JSON.stringify(await committed(admin, groupId, topic)) === '{"0":3,"1":3,"2":3}', 'fetchOffsets: 3 per partition')
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 1, offset: '1' }] })
  check(JSON.stringify(await committed(admin, groupId, topic)) === '{"0":3,"1":1,"2":3}', 'setOffsets partition 1 to 1')
  await admin.resetOffsets({ groupId, topic, earliest: true })
  const reset = await committed(admin, groupId, topic)
  // resetOffsets commits -2 (earliest), which kafkajs then resolves on the next join.
  check(JSON.stringify(reset) === '{"0":-2,"1":-2,"2":-2}', 'resetOffsets earliest commits -2 everywhere', reset)
  const got = await member(topic, groupId, 9)
  check(got.length === 9, 'a member after the reset reads all 9 records again', got.length)
  const del = await admin.deleteGroups([groupId])
  check(del.length === 1 && del[0].errorCode === 0, 'deleteGroups after it emptied', del)
  const groups = (await admin.listGroups()).groups
  check(!groups.some(g => g.groupId === groupId), 'listGroups no longer shows it', groups)
  await admin.disconnect()
}

async function adminRecords () {
  const topic = 'kj-admin-records'
  const producer = kafka.producer()
  await producer.connect()
  await produce(producer, topic, 0, 10, { partitionOf: () => 0 })
  await producer.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  // deleteTopicRecords needs the topic's metadata loaded first (a kafkajs limitation).
  await admin.fetchTopicMetadata({ topics: [topic] })
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] })
  const offs = (await admin.fetchTopicOffsets(topic)).find(o => o.partition === 0)
  check(offs.low === '4' && offs.high === '10', 'deleteTopicRecords(4): low 4, high 10', offs)
  const got = await member(topic, 'kj-admin-records-reader', 6, { settle: 300 })
  check(got.length === 6 && got[0].offset === 4 && eq(got[0].value, value(4)), 'a consumer from the beginning reads records 4..9', got.length)
  try {
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '11' }] })
    check(false, 'deleteTopicRecords beyond the high watermark fails with OFFSET_OUT_OF_RANGE')
  } catch (e) {
    const type = errType(e)
    check(type === 'OFFSET_OUT_OF_RANGE', 'deleteTopicRecords beyond the high watermark fails with OFFSET_OUT_OF_RANGE', type || e.message)
  }
  await admin.disconnect()
}

async function offsets () {
  const topic = 'kj-offsets'
  const t0 = Date.now() - 100000
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: key(i), value: value(i), partition: 0, timestamp: String(t0 + i * 1000) })) })
  await producer.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  const at = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 4500)
  check(at.find(o => o.partition === 0).offset === '5', 'fetchTopicOffsetsByTimestamp(t0+4.5s) = 5', at)
  const after = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 100000)
  // Kafka answers -1 past the last timestamp; kafkajs turns that into the high watermark.
  check(after.find(o => o.partition === 0).offset === '10', 'fetchTopicOffsetsByTimestamp after the last record = 10', after)
  const offs = await admin.fetchTopicOffsets(topic)
  check(offs.find(o => o.partition === 0).high === '10', 'fetchTopicOffsets high 10', offs)
  await admin.disconnect()
  const got = await member(topic, 'kj-offsets-reader', 10, { settle: 0 })
  const r7 = got.find(r => r.offset === 7)
  check(r7 && eq(r7.value, value(7)), 'record 7 reads back', got.length)
}

// common.py's large_value
function largeValue (i) {
  const v = Buffer.alloc(1500000)
  for (let j = 0; j < v.length; j++) v[j] = (i * 7919 + j * 31 + (j >> 8)) % 251
  return v
}

// 3 records of 1.5 MB (topic max.message.bytes=4000000), read with the default
// maxBytesPerPartition (1 MB): the broker must hand out the whole batch (KIP-74).
async function large () {
  const topic = 'kj-large'
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '4000000' }] }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const offs = []
  for (let i = 0; i < 3; i++) {
    const r = await producer.send({ topic, acks: -1, messages: [{ key: `large-${i}`, value: largeValue(i), partition: 0 }] })
    offs.push(Number(r[0].baseOffset))
  }
  await producer.disconnect()
  check(JSON.stringify(offs) === '[0,1,2]', '3 records of 1.5 MB acknowledged at 0, 1, 2', offs)
  const got = await member(topic, 'kj-large-reader', 3, { settle: 0 })
  check(JSON.stringify(got.map(r => [r.offset, String(r.key)])) === '[[0,"large-0"],[1,"large-1"],[2,"large-2"]]',
    'read back in order with the default 1 MB maxBytesPerPartition', got.map(r => [r.offset, String(r.key)]))
  check(got.every(r => Buffer.compare(r.value, largeValue(r.offset)) === 0), 'values byte-equal')
}

// Two members in one group: the second join rebalances 3 partitions between them; records
// produced afterwards are each read exactly once, by the owner of their partition.
async function groupPair () {
  const topic = 'kj-pair'
  const groupId = 'kj-pair-g'
  const producer = kafka.producer()
  await producer.connect()
  await produce(producer, topic, 0, 30)
  const members = []
  async function start (name) {
    const m = { name, got: [], assignment: null }
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10000, heartbeatInterval: 500 })
    m.consumer = consumer
    consumer.on(consumer.events.GROUP_JOIN, e => {
      m.assignment = (e.payload.memberAssignment[topic] || []).slice().sort()
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async ({ partition, message }) => { m.got.push([partition, Number(message.offset)]) } })
    members.push(m)
    return m
  }
  const waitFor = async (cond, ms) => { const end = Date.now() + ms; while (!cond() && Date.now() < end) await sleep(100) }
  const a = await start('a')
  await waitFor(() => a.got.length >= 30, 20000)
  check(a.got.length >= 30 && JSON.stringify(a.assignment) === '[0,1,2]', 'member a alone owns partitions 0-2 and reads the 30 records', [a.assignment, a.got.length])
  const b = await start('b')
  await waitFor(() => b.assignment && a.assignment && a.assignment.length + b.assignment.length === 3 && b.assignment.length > 0, 20000)
  const union = [...(a.assignment || []), ...(b.assignment || [])].sort()
  check(JSON.stringify(union) === '[0,1,2]' && a.assignment.length > 0 && b.assignment.length > 0,
    'after b joins, a and b split partitions 0-2 with no overlap', { a: a.assignment, b: b.assignment })
  await sleep(500)
  const marks = members.map(m => m.got.length)
  const more = await produce(producer, topic, 1000, 60)
  await producer.disconnect()
  const fresh = () => members.flatMap((m, k) => m.got.slice(marks[k]).map(([p, o]) => ({ m: m.name, p, o })))
  await waitFor(() => fresh().length >= 60, 20000)
  await sleep(500)
  const got = fresh()
  const wantPos = Object.values(more).map(([p, o]) => `${p}/${o}`).sort()
  const gotPos = got.map(r => `${r.p}/${r.o}`).sort()
  check(JSON.stringify(gotPos) === JSON.stringify(wantPos), 'the 60 new records are read exactly once between them', { got: gotPos.length, want: wantPos.length })
  const wrong = got.filter(r => !(r.m === 'a' ? a.assignment : b.assignment).includes(r.p))
  check(wrong.length === 0, 'each by the owner of its partition', wrong.slice(0, 3))
  await b.consumer.disconnect()
  await waitFor(() => JSON.stringify(a.assignment) === '[0,1,2]', 20000)
  check(JSON.stringify(a.assignment) === '[0,1,2]', 'after b leaves, a owns all 3 partitions again', a.assignment)
  await a.consumer.disconnect()
}

const scenarios = {
  large,
  'group-pair': groupPair,
  'group-resume': groupResume,
  idempotent,
  'txn-commit': txnCommit,
  'txn-abort': txnAbort,
  'admin-topics': adminTopics,
  'admin-configs': adminConfigs,
  'admin-groups': adminGroups,
  'admin-records': adminRecords,
  offsets
}

async function main () {
  try {
    if (scenario.startsWith('codec-')) await codecScenario(scenario.slice(6))
    else if (scenarios[scenario]) await scenarios[scenario]()
    else { console.error(`unknown scenario ${scenario}`); process.exit(2) }
  } catch (e) {
    check(false, 'no client exception', `${e.name}: ${e.type || ''} ${e.message}`)
  }
  console.log(`== kafkajs ${scenario}: ${passes}/${passes + failures} checks passed`)
  process.exit(failures === 0 && passes > 0 ? 0 : 1)
}
main()
