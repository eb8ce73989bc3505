// A small sarama 1.22.1 client for the fixture capture (tools/capture_fixtures.sh).
// It produces a few keyed messages and consumes them back, with sarama's default
// configuration (Kafka 0.8.2: Produce v0 with magic 0, Fetch v0) or with a chosen Version.
//
// Build offline in GOPATH mode against Debian's golang-github-shopify-sarama-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode:$HOME/go go build -o sarama_client sarama_client.go
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sarama_client: "+format+"\n", args...)
	os.Exit(1)
}

func codecOf(name string) sarama.CompressionCodec {
	switch name {
	case "none":
		return sarama.CompressionNone
	case "gzip":
		return sarama.CompressionGZIP
	case "snappy":
		return sarama.CompressionSnappy
	case "lz4":
		return sarama.CompressionLZ4
	case "zstd":
		return sarama.CompressionZSTD
	}
	fail("unknown codec %q", name)
	return sarama.CompressionNone
}

func newConfig(version string) *sarama.Config {
	cfg := sarama.NewConfig()
	switch version {
	case "default":
	case "max":
		cfg.Version = sarama.MaxVersion
	default:
		v, err := sarama.ParseKafkaVersion(version)
		if err != nil {
			fail("bad version %q: %v", version, err)
		}
		cfg.Version = v
	}
	cfg.Producer.Return.Successes = true
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond // one batch for the whole send
	cfg.Metadata.Retry.Max = 2
	return cfg
}

func produce(brokers []string, cfg *sarama.Config, topic, label string, n int) {
	p, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		fail("producer: %v", err)
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, 0, n)
	for i := 0; i < n; i++ {
		m := &sarama.ProducerMessage{
			Topic:     topic,
			Partition: 0,
			Key:       sarama.StringEncoder(fmt.Sprintf("key-%d", i)),
			Value:     sarama.StringEncoder(fmt.Sprintf("%s-%d", label, i)),
		}
		if cfg.Version.IsAtLeast(sarama.V0_11_0_0) {
			m.Headers = []sarama.RecordHeader{{Key: []byte("hdr"), Value: []byte(fmt.Sprint(i))}}
		}
		msgs = append(msgs, m)
	}
	if err := p.SendMessages(msgs); err != nil {
		if errs, ok := err.(sarama.ProducerErrors); ok && len(errs) > 0 {
			fail("send: %v (first: %v)", err, errs[0].Err)
		}
		fail("send: %v", err)
	}
	fmt.Printf("produced %d messages to %s\n", n, topic)
}

func consume(brokers []string, cfg *sarama.Config, topic string, n int) {
	c, err := sarama.NewConsumer(brokers, cfg)
	if err != nil {
		fail("consumer: %v", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		fail("consume partition: %v", err)
	}
	defer pc.Close()
	deadline := time.After(15 * time.Second)
	for got := 0; got < n; {
		select {
		case m := <-pc.Messages():
			fmt.Printf("offset %d key %s value %s\n", m.Offset, m.Key, m.Value)
			got++
		case e := <-pc.Errors():
			fail("consume: %v", e)
		case <-deadline:
			fail("consume: timed out after %d of %d messages", got, n)
		}
	}
}

// note prints what a call answered; the capture keeps the request whatever the answer.
func note(what string, v interface{}, err error) {
	if err != nil {
		fmt.Printf("%s: error %v\n", what, err)
		return
	}
	fmt.Printf("%s: %+v\n", what, v)
}

// admin sends every admin, group and transaction request sarama knows, through its
// ClusterAdmin where it has one and through the raw Broker calls otherwise, at the versions
// cfg.Version selects.
func admin(brokers []string, cfg *sarama.Config, topic string) {
	ca, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		fail("cluster admin: %v", err)
	}
	defer ca.Close()
	retention := "3600000"
	note("CreateTopic", topic, ca.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2,
		ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention}}, false))
	note("CreatePartitions", 3, ca.CreatePartitions(topic, 3, nil, false))
	cfgs, err := ca.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic,
		ConfigNames: []string{"retention.ms"}})
	note("DescribeConfig", cfgs, err)
	note("AlterConfig", topic, ca.AlterConfig(sarama.TopicResource, topic,
		map[string]*string{"retention.ms": &retention}, false))

	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		fail("client: %v", err)
	}
	defer client.Close()
	p, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		fail("producer: %v", err)
	}
	for i := 0; i < 3; i++ {
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0,
			Value: sarama.StringEncoder(fmt.Sprintf("sarama-admin-%d", i))})
		note("SendMessage", i, err)
	}
	note("DeleteRecords", topic, ca.DeleteRecords(topic, map[int32]int64{0: 1}))

	group := "fx-sarama-admin-group"
	coord, err := client.Coordinator(group)
	if err != nil {
		fail("coordinator: %v", err)
	}
	join, err := coord.JoinGroup(&sarama.JoinGroupRequest{GroupId: group, SessionTimeout: 10000,
		RebalanceTimeout: 10000, ProtocolType: "consumer",
		OrderedGroupProtocols: []*sarama.GroupProtocol{{Name: "range",
			Metadata: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}}})
	note("JoinGroup", join, err)
	member := ""
	gen := int32(-1)
	if err == nil && join.Err == sarama.KError(79) { // MEMBER_ID_REQUIRED (KIP-394)
		member = join.MemberId
		join, err = coord.JoinGroup(&sarama.JoinGroupRequest{GroupId: group, MemberId: member,
			SessionTimeout: 10000, RebalanceTimeout: 10000, ProtocolType: "consumer",
			OrderedGroupProtocols: []*sarama.GroupProtocol{{Name: "range",
				Metadata: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}}})
		note("JoinGroup again", join, err)
	}
	if err == nil {
		member, gen = join.MemberId, join.GenerationId
	}
	sync := &sarama.SyncGroupRequest{GroupId: group, GenerationId: gen, MemberId: member}
	sync.AddGroupAssignment(member, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	sr, err := coord.SyncGroup(sync)
	note("SyncGroup", sr, err)
	hb, err := coord.Heartbeat(&sarama.HeartbeatRequest{GroupId: group, GenerationId: gen,
		MemberId: member})
	note("Heartbeat", hb, err)
	commit := &sarama.OffsetCommitRequest{Version: 2, ConsumerGroup: group,
		ConsumerGroupGeneration: gen, ConsumerID: member, RetentionTime: -1}
	commit.AddBlock(topic, 0, 2, 0, "sarama-meta")
	cr, err := coord.CommitOffset(commit)
	note("CommitOffset", cr, err)
	fetch := &sarama.OffsetFetchRequest{Version: 1, ConsumerGroup: group}
	fetch.AddPartition(topic, 0)
	fr, err := coord.FetchOffset(fetch)
	note("FetchOffset", fr, err)
	lg, err := coord.LeaveGroup(&sarama.LeaveGroupRequest{GroupId: group, MemberId: member})
	note("LeaveGroup", lg, err)
	groups, err := ca.ListConsumerGroups()
	note("ListConsumerGroups", groups, err)
	desc, err := ca.DescribeConsumerGroups([]string{group})
	note("DescribeConsumerGroups", desc, err)
	offs, err := ca.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
	note("ListConsumerGroupOffsets", offs, err)
	dg, err := coord.DeleteGroups(&sarama.DeleteGroupsRequest{Groups: []string{group}})
	note("DeleteGroups", dg, err)

	// Transactions: sarama 1.22 has the requests but no transactional producer.
	txnID := "fx-sarama-txn"
	tcoord := coord
	if fc, err := coord.FindCoordinator(&sarama.FindCoordinatorRequest{Version: 1,
		CoordinatorKey: txnID, CoordinatorType: sarama.CoordinatorTransaction}); err == nil {
		note("FindCoordinator(transaction)", fc, nil)
	}
	ip, err := tcoord.InitProducerID(&sarama.InitProducerIDRequest{TransactionalID: &txnID,
		TransactionTimeout: 10 * time.Second})
	note("InitProducerID", ip, err)
	pid, epoch := int64(-1), int16(-1)
	if err == nil {
		pid, epoch = ip.ProducerID, ip.ProducerEpoch
	}
	ap, err := tcoord.AddPartitionsToTxn(&sarama.AddPartitionsToTxnRequest{TransactionalID: txnID,
		ProducerID: pid, ProducerEpoch: epoch, TopicPartitions: map[string][]int32{topic: {1}}})
	note("AddPartitionsToTxn", ap, err)
	ao, err := tcoord.AddOffsetsToTxn(&sarama.AddOffsetsToTxnRequest{TransactionalID: txnID,
		ProducerID: pid, ProducerEpoch: epoch, GroupID: group})
	note("AddOffsetsToTxn", ao, err)
	meta := "txn-meta"
	to, err := coord.TxnOffsetCommit(&sarama.TxnOffsetCommitRequest{TransactionalID: txnID,
		GroupID: group, ProducerID: pid, ProducerEpoch: epoch,
		Topics: map[string][]*sarama.PartitionOffsetMetadata{topic: {{Partition: 0, Offset: 1,
			Metadata: &meta}}}})
	note("TxnOffsetCommit", to, err)
	et, err := tcoord.EndTxn(&sarama.EndTxnRequest{TransactionalID: txnID, ProducerID: pid,
		ProducerEpoch: epoch, TransactionResult: false})
	note("EndTxn", et, err)

	note("DeleteTopic", topic, ca.DeleteTopic(topic))
}

func main() {
	broker := flag.String("broker", "127.0.0.1:9092", "bootstrap broker")
	version := flag.String("version", "default", "default, max, or a Kafka version such as 0.10.2.0")
	mode := flag.String("mode", "produce", "produce or consume")
	topic := flag.String("topic", "fx-sarama", "topic")
	codec := flag.String("codec", "none", "none, gzip, snappy, lz4, zstd")
	n := flag.Int("n", 3, "messages")
	flag.Parse()

	cfg := newConfig(*version)
	cfg.Producer.Compression = codecOf(*codec)
	brokers := []string{*broker}
	switch *mode {
	case "produce":
		produce(brokers, cfg, *topic, "sarama-"+*codec, *n)
	case "consume":
		consume(brokers, cfg, *topic, *n)
	case "admin":
		admin(brokers, cfg, *topic)
	case "idempotent":
		cfg.Producer.Idempotent = true
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Net.MaxOpenRequests = 1
		cfg.Producer.Retry.Max = 3
		produce(brokers, cfg, *topic, "sarama-idem", *n)
	default:
		fail("unknown mode %q", *mode)
	}
}
