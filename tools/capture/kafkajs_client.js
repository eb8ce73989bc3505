// kafkajs 2.2.4 scenarios for the fixture capture (tools/capture_fixtures.sh).
//   node kafkajs_client.js produce BROKER TOPIC CODEC   (CODEC: none or gzip, kafkajs built-ins)
//   node kafkajs_client.js consume BROKER TOPIC N       (group consumer; groups may be unserved)
//   node kafkajs_client.js admin   BROKER TOPIC         (createTopics, fetchTopicMetadata,
//        createPartitions, describeConfigs, alterConfigs, deleteTopicRecords, setOffsets,
//        fetchOffsets, listGroups, describeGroups, deleteGroups, deleteTopics)
//   node kafkajs_client.js txn     BROKER TOPIC         (idempotent + transactional producer:
//        sendOffsets, commit, abort)
// NODE_PATH must point at a node_modules directory holding kafkajs.
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

const [mode, broker, topic, arg] = process.argv.slice(2);
const kafka = new Kafka({
  clientId: 'fjord-fx-kafkajs',
  brokers: [broker],
  logLevel: logLevel.WARN,
  retry: { retries: 1, initialRetryTime: 100 },
  connectionTimeout: 3000,
  requestTimeout: 5000,
});

async function produce(codec) {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const messages = [0, 1, 2].map((i) => ({
    key: `key-${i}`,
    value: `kjs-${codec}-${i}`,
    partition: 0,
    headers: { hdr: String(i) },
  }));
  const compression = codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const res = await producer.send({ topic, messages, compression });
  console.log('produced', JSON.stringify(res));
  await producer.disconnect();
}

async function consume(n) {
  const consumer = kafka.consumer({ groupId: 'fx-kjs-group', sessionTimeout: 6000 });
  let got = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const timer = setTimeout(done, 12000);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      console.log('offset', message.offset, 'key', String(message.key), 'value', String(message.value));
      if (++got >= n) done();
    },
  });
  await finished;
  clearTimeout(timer);
  // Not from inside eachMessage: disconnect waits for the running handler to return.
  await consumer.disconnect();
  console.log(`consume: ${got} of ${n}`);
  process.exit(got >= n ? 0 : 1);
}

async function admin() {
  const a = kafka.admin();
  await a.connect();
  try {
    const created = await a.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      timeout: 5000,
    });
    console.log('created', created);
  } catch (e) {
    console.log('createTopics:', e.message);
  }
  const md = await a.fetchTopicMetadata({ topics: [topic] });
  console.log('metadata', JSON.stringify(md));
  // Every call is captured whatever the broker answers.
  const step = async (what, f) => {
    try {
      console.log(what, String(JSON.stringify(await f())).slice(0, 200));
    } catch (e) {
      console.log(what, 'failed:', e.message);
    }
  };
  await step('createPartitions', () => a.createPartitions({ topicPartitions: [{ topic, count: 3 }] }));
  await step('describeConfigs', () => a.describeConfigs({
    resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['retention.ms'] }],
    includeSynonyms: true,
  }));
  await step('alterConfigs', () => a.alterConfigs({
    resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
  }));
  const producer = kafka.producer();
  await producer.connect();
  await step('send', () => producer.send({ topic, messages: [0, 1, 2].map((i) => ({ value: `kjs-admin-${i}`, partition: 0 })) }));
  await producer.disconnect();
  await step('deleteTopicRecords', () => a.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }));
  const groupId = 'fx-kjs-admin-group';
  await step('setOffsets', () => a.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] }));
  await step('fetchOffsets', () => a.fetchOffsets({ groupId, topics: [topic] }));
  await step('listGroups', () => a.listGroups());
  await step('describeGroups', () => a.describeGroups([groupId]));
  await step('deleteGroups', () => a.deleteGroups([groupId]));
  await step('deleteTopics', () => a.deleteTopics({ topics: [topic], timeout: 5000 }));
  await a.disconnect();
}

async function txn() {
  const producer = kafka.producer({ transactionalId: 'fx-kjs-txn', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const t = await producer.transaction();
  await t.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `key-${i}`, value: `kjs-txn-${i}`, partition: 0 })) });
  await t.sendOffsets({ consumerGroupId: 'fx-kjs-txn-group', topics: [{ topic, partitions: [{ partition: 0, offset: '3' }] }] });
  await t.commit();
  const t2 = await producer.transaction();
  await t2.send({ topic, messages: [{ value: 'kjs-txn-aborted', partition: 0 }] });
  await t2.abort();
  console.log('one transaction committed, one aborted');
  await producer.disconnect();
}

const run = { produce: () => produce(arg), consume: () => consume(Number(arg)), admin, txn }[mode];
run().catch((e) => {
  console.error(`kafkajs_client ${mode}:`, e.message);
  process.exit(1);
});
