// One consume-transform-produce worker (kafkajs 2.2.4), for test_eos_pipeline.py.
//
//   NODE_PATH=~/.cache/fjord-clients/node/node_modules node eos_worker.js CONFIG_JSON
//
// The same configuration and events as eos_worker.py: a subscribed consumer with
// readUncommitted=false and autoCommit=false; per fetched batch one transaction of a
// transactional producer writes each record to the output partition of its input partition
// with "|<name>-<n>" appended, sends the next offset with transaction.sendOffsets and commits
// (or aborts: the batch's offsets are then not resolved, so kafkajs fetches it again).
// Events on stdout, one JSON object a line: {ev: "txn", n, outcome, count},
// {ev: "hang"|"pause"|"stall", n}, {ev: "error", what}, {ev: "done"} when the group's committed offsets reach the input's
// end offsets (exit 0). Any client error that an abort does not clear exits 3.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

const cfg = JSON.parse(process.argv[2])
const NAME = cfg.name

function emit(ev) {
  process.stdout.write(JSON.stringify({ ...ev, name: NAME, t: Date.now() / 1000 }) + '\n')
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

const kafka = new Kafka({
  clientId: `eos-${NAME}`,
  brokers: [cfg.bootstrap],
  logLevel: logLevel.ERROR,
  logCreator: () => ({ namespace, log }) =>
    process.stderr.write(`[kafkajs ${NAME}] ${namespace}: ${log.message} ${log.error || ''}\n`),
  retry: { initialRetryTime: 100, retries: 20, maxRetryTime: 2000 },
})

async function main() {
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(cfg.input)
  const endOf = {}
  for (const p of ends) endOf[p.partition] = p.high

  const producer = kafka.producer({
    transactionalId: cfg.txn_id,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: cfg.txn_timeout_ms || 30000,
  })
  await producer.connect()
  const consumer = kafka.consumer({
    groupId: cfg.group,
    readUncommitted: false,
    sessionTimeout: 10000,
    heartbeatInterval: 500,
    rebalanceTimeout: 20000,
  })
  await consumer.connect()
  await consumer.subscribe({ topic: cfg.input, fromBeginning: true })

  let n = 0
  let finished = false
  const finish = async code => {
    if (finished) return
    finished = true
    try {
      await consumer.disconnect()
      await producer.disconnect()
      await admin.disconnect()
    } catch (e) {}
    process.exit(code)
  }
  const fatal = async what => {
    emit({ ev: 'error', what, fatal: true })
    process.exit(3)
  }
  consumer.on(consumer.events.CRASH, e => {
    emit({ ev: 'error', what: `consumer crash: ${e.payload.error && e.payload.error.message}` })
  })

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return
      const msgs = batch.messages.slice(0, cfg.batch)
      n += 1
      const txnNo = n
      const last = msgs[msgs.length - 1].offset
      const next = (BigInt(last) + 1n).toString()
      let txn
      let outcome
      try {
        txn = await producer.transaction()
        await txn.send({
          topic: cfg.output,
          messages: msgs.map(m => ({
            key: m.key,
            partition: batch.partition,
            value: Buffer.concat([m.value, Buffer.from(`|${NAME}-${txnNo}`)]),
          })),
        })
        await txn.sendOffsets({
          consumerGroupId: cfg.group,
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
        })
        if (cfg.hang_at === txnNo) {
          emit({ ev: 'hang', n: txnNo })
          await sleep(3600 * 1000)
        }
        if (cfg.stall_at === txnNo) {
          emit({ ev: 'stall', n: txnNo })
          await sleep(cfg.stall_s * 1000)
        }
        const pause = (cfg.pauses || {})[String(txnNo)]
        if (pause !== undefined) {
          emit({ ev: 'pause', n: txnNo })
          await sleep(pause * 1000)
        }
        if (cfg.abort_every && txnNo % cfg.abort_every === 0) {
          await txn.abort()
          outcome = 'abort'
        } else {
          await txn.commit()
          outcome = 'commit'
        }
      } catch (e) {
        emit({ ev: 'error', what: `txn ${txnNo}: ${e.name}: ${e.message}` })
        try {
          if (txn && txn.isActive()) await txn.abort()
        } catch (e2) {
          await fatal(`abort of txn ${txnNo}: ${e2.name}: ${e2.message}`)
        }
        if (!txn) await fatal(`txn ${txnNo} did not begin`)
        outcome = 'failed'
      }
      emit({ ev: 'txn', n: txnNo, outcome, count: msgs.length })
      if (outcome === 'commit') {
        resolveOffset(last)
      } else {
        // Not resolved: the next fetch of this partition starts at the batch again.
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: batch.messages[0].offset })
      }
      await heartbeat()
    },
  })

  // Done once the group's committed offsets reach the input's end.
  for (;;) {
    await sleep(1000)
    try {
      const got = await admin.fetchOffsets({ groupId: cfg.group, topics: [cfg.input] })
      const parts = got[0].partitions
      if (parts.length === Object.keys(endOf).length &&
          parts.every(p => p.offset === endOf[p.partition])) {
        emit({ ev: 'done' })
        await finish(0)
        return
      }
    } catch (e) {
      emit({ ev: 'error', what: `fetchOffsets: ${e.message}` })
    }
  }
}

main().catch(e => {
  emit({ ev: 'error', what: `${e.name}: ${e.message}`, fatal: true })
  process.exit(3)
})
