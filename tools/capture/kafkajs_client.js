// kafkajs 2.2.4 scenarios for the fixture capture (tools/capture_fixtures.sh).
//   node kafkajs_client.js produce BROKER TOPIC CODEC   (CODEC: none or gzip, kafkajs built-ins)
//   node kafkajs_client.js consume BROKER TOPIC N       (group consumer; groups may be unserved)
//   node kafkajs_client.js admin   BROKER TOPIC         (createTopics, fetchTopicMetadata)
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
  const timer = setTimeout(async () => {
    console.log(`consume: ${got} of ${n} before the timeout`);
    process.exit(got >= n ? 0 : 1);
  }, 12000);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      console.log('offset', message.offset, 'key', String(message.key), 'value', String(message.value));
      if (++got >= n) {
        clearTimeout(timer);
        await consumer.disconnect();
      }
    },
  });
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
  await a.disconnect();
}

const run = { produce: () => produce(arg), consume: () => consume(Number(arg)), admin }[mode];
run().catch((e) => {
  console.error(`kafkajs_client ${mode}:`, e.message);
  process.exit(1);
});
