/* Scenarios for the fixture capture (tools/capture_fixtures.sh) on a current librdkafka
 * (2.15.1, built by compat-tests/build-suites.sh): the requests the Debian client (2.0.2)
 * never sends. Every call is captured whatever the broker answers.
 *
 *   rdkafka_client admin    BROKER TOPIC   DescribeCluster, DescribeTopics, ListOffsets,
 *                                          IncrementalAlterConfigs, DeleteRecords,
 *                                          AlterConsumerGroupOffsets, ListConsumerGroupOffsets,
 *                                          DeleteConsumerGroupOffsets (OffsetDelete),
 *                                          ListConsumerGroups, DescribeConsumerGroups,
 *                                          DeleteGroups
 *   rdkafka_client epoch    BROKER TOPIC   assign() at an offset with a leader epoch: the
 *                                          consumer validates it with OffsetForLeaderEpoch
 *   rdkafka_client consumer BROKER TOPIC   group.protocol=consumer (KIP-848) subscriber
 */
#include "rdkafka.h" /* librdkafka 2.15.1: -I <source>/src */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIENT_ID "fjord-fx-rdkafka"

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *broker, const char **extra) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", broker, NULL, 0);
  rd_kafka_conf_set(conf, "client.id", CLIENT_ID, NULL, 0);
  for (; extra && *extra; extra += 2) {
    if (rd_kafka_conf_set(conf, extra[0], extra[1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "rdkafka_client: %s\n", err);
      exit(1);
    }
  }
  rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (!rk) {
    fprintf(stderr, "rdkafka_client: %s\n", err);
    exit(1);
  }
  return rk;
}

/* Waits for the admin result on `q` and prints its error (the request is what matters). */
static void wait_result(rd_kafka_queue_t *q, const char *what) {
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
  if (!ev) {
    printf("%s: no result\n", what);
    return;
  }
  printf("%s: %s\n", what,
         rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev) : "ok");
  rd_kafka_event_destroy(ev);
}

static rd_kafka_topic_partition_list_t *one_partition(const char *topic, int32_t p, int64_t off) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, p)->offset = off;
  return l;
}

static void produce_three(const char *broker, const char *topic) {
  rd_kafka_t *p = new_client(RD_KAFKA_PRODUCER, broker, NULL);
  for (int i = 0; i < 3; i++) {
    char v[64];
    snprintf(v, sizeof(v), "rdk-%d", i);
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                      RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_END);
  }
  printf("produce: %s\n", rd_kafka_err2str(rd_kafka_flush(p, 15000)));
  rd_kafka_destroy(p);
}

static void admin(const char *broker, const char *topic) {
  const char *group = "fx-rdk-admin-group";
  produce_three(broker, topic);
  rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, broker, NULL);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);

  rd_kafka_DescribeCluster(rk, NULL, q);
  wait_result(q, "DescribeCluster");

  const char *names[] = {topic};
  rd_kafka_TopicCollection_t *tc = rd_kafka_TopicCollection_of_topic_names(names, 1);
  rd_kafka_DescribeTopics(rk, tc, NULL, q);
  wait_result(q, "DescribeTopics");
  rd_kafka_TopicCollection_destroy(tc);

  rd_kafka_topic_partition_list_t *l = one_partition(topic, 0, RD_KAFKA_OFFSET_SPEC_LATEST);
  rd_kafka_ListOffsets(rk, l, NULL, q);
  wait_result(q, "ListOffsets");
  rd_kafka_topic_partition_list_destroy(l);

  rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
  rd_kafka_error_t *e = rd_kafka_ConfigResource_add_incremental_config(
      cr, "retention.ms", RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, "7200000");
  if (e) rd_kafka_error_destroy(e);
  rd_kafka_IncrementalAlterConfigs(rk, &cr, 1, NULL, q);
  wait_result(q, "IncrementalAlterConfigs");
  rd_kafka_ConfigResource_destroy(cr);

  l = one_partition(topic, 0, 1);
  rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(l);
  rd_kafka_DeleteRecords(rk, &dr, 1, NULL, q);
  wait_result(q, "DeleteRecords");
  rd_kafka_DeleteRecords_destroy(dr);
  rd_kafka_topic_partition_list_destroy(l);

  l = one_partition(topic, 0, 2);
  rd_kafka_AlterConsumerGroupOffsets_t *ao = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
  rd_kafka_AlterConsumerGroupOffsets(rk, &ao, 1, NULL, q);
  wait_result(q, "AlterConsumerGroupOffsets");
  rd_kafka_AlterConsumerGroupOffsets_destroy(ao);

  rd_kafka_ListConsumerGroupOffsets_t *lo = rd_kafka_ListConsumerGroupOffsets_new(group, l);
  rd_kafka_ListConsumerGroupOffsets(rk, &lo, 1, NULL, q);
  wait_result(q, "ListConsumerGroupOffsets");
  rd_kafka_ListConsumerGroupOffsets_destroy(lo);

  rd_kafka_DeleteConsumerGroupOffsets_t *dgo = rd_kafka_DeleteConsumerGroupOffsets_new(group, l);
  rd_kafka_DeleteConsumerGroupOffsets(rk, &dgo, 1, NULL, q);
  wait_result(q, "DeleteConsumerGroupOffsets");
  rd_kafka_DeleteConsumerGroupOffsets_destroy(dgo);
  rd_kafka_topic_partition_list_destroy(l);

  rd_kafka_ListConsumerGroups(rk, NULL, q);
  wait_result(q, "ListConsumerGroups");

  const char *groups[] = {group};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, NULL, q);
  wait_result(q, "DescribeConsumerGroups");

  rd_kafka_DeleteGroup_t *dg = rd_kafka_DeleteGroup_new(group);
  rd_kafka_DeleteGroups(rk, &dg, 1, NULL, q);
  wait_result(q, "DeleteGroups");
  rd_kafka_DeleteGroup_destroy(dg);

  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

static void epoch(const char *broker, const char *topic) {
  produce_three(broker, topic);
  const char *conf[] = {"group.id", "fx-rdk-epoch", "enable.auto.commit", "false", NULL};
  rd_kafka_t *c = new_client(RD_KAFKA_CONSUMER, broker, conf);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, topic, 0);
  tp->offset = 1;
  rd_kafka_topic_partition_set_leader_epoch(tp, 0);
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  int got = 0;
  for (int i = 0; i < 20 && got < 2; i++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 500);
    if (!m) continue;
    if (!m->err) got++;
    rd_kafka_message_destroy(m);
  }
  printf("epoch: consumed %d from offset 1\n", got);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
}

static void consumer(const char *broker, const char *topic) {
  produce_three(broker, topic);
  const char *conf[] = {"group.id", "fx-rdk-consumer", "group.protocol", "consumer",
                        "auto.offset.reset", "earliest", NULL};
  rd_kafka_t *c = new_client(RD_KAFKA_CONSUMER, broker, conf);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  int got = 0;
  for (int i = 0; i < 40 && got < 3; i++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 500);
    if (!m) continue;
    if (!m->err) got++;
    rd_kafka_message_destroy(m);
  }
  if (got) rd_kafka_commit(c, NULL, 0);
  rd_kafka_queue_t *q = rd_kafka_queue_new(c);
  const char *groups[] = {"fx-rdk-consumer"};
  rd_kafka_DescribeConsumerGroups(c, groups, 1, NULL, q);
  wait_result(q, "DescribeConsumerGroups(consumer protocol)");
  rd_kafka_queue_destroy(q);
  printf("consumer: consumed %d\n", got);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: rdkafka_client admin|epoch|consumer BROKER TOPIC\n");
    return 2;
  }
  printf("librdkafka %s\n", rd_kafka_version_str());
  if (!strcmp(argv[1], "admin")) admin(argv[2], argv[3]);
  else if (!strcmp(argv[1], "epoch")) epoch(argv[2], argv[3]);
  else if (!strcmp(argv[1], "consumer")) consumer(argv[2], argv[3]);
  else return 2;
  return 0;
}
