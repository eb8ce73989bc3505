// @platformatic/kafka 1.35.0 (npm) for the fixture capture (tools/capture_fixtures.sh): the
// one client available here whose protocol layer sends the admin requests librdkafka,
// kafka-python, sarama and kafkajs never send (DescribeCluster, DescribeLogDirs,
// DescribeProducers, DescribeTransactions, ListTransactions). Its own encoders are used
// through its Connection; every call is captured whatever the broker answers.
//   NODE_PATH=DIR node platformatic_client.mjs BROKER TOPIC TRANSACTIONAL_ID
// ES modules ignore NODE_PATH: load the package from the directory it names.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = (process.env.NODE_PATH || 'node_modules').split(':')[0];
const {
  Connection,
  describeClusterV1,
  describeLogDirsV4,
  describeProducersV0,
  describeTransactionsV0,
  listTransactionsV1,
} = await import(pathToFileURL(join(modules, '@platformatic/kafka/dist/index.js')).href);

const [broker, topic, txnId] = process.argv.slice(2);
const [host, port] = broker.split(':');
const conn = new Connection('fjord-fx-platformatic');
await conn.connect(host, Number(port));
const step = async (what, api, ...args) => {
  try {
    const res = await api.api.async(conn, ...args);
    const big = (_k, v) => (typeof v === 'bigint' ? v.toString() : v);
    console.log(what, String(JSON.stringify(res, big)).slice(0, 200));
  } catch (e) {
    console.log(what, 'failed:', e.message);
  }
};
await step('DescribeCluster', describeClusterV1, false, 1);
await step('DescribeLogDirs', describeLogDirsV4, [{ name: topic, partitions: [0] }]);
await step('DescribeProducers', describeProducersV0, [{ name: topic, partitionIndexes: [0] }]);
await step('ListTransactions', listTransactionsV1, [], [], -1n);
await step('DescribeTransactions', describeTransactionsV0, [txnId]);
await conn.close();
