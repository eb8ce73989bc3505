// sarama-it: one sarama 1.22.1 round trip against a broker, driven by
// tests/integration/test_sarama.
//
// A SyncProducer (acks=all) sends -n keyed messages (some NULL keys, binary values;
// timestamps from Version 0.10 on, headers from 0.11 on) to a topic, the first ten one by
// one and the rest in SendMessages groups of 100 so compressed message sets hold many
// messages. A Consumer without a group then reads every partition from OffsetOldest.
// Checks: each message comes back at the partition and offset SendMessage reported with
// equal key and value (and timestamp / headers when both sides' message format has them),
// offsets per partition are 0..n-1 in send order, and Client.GetOffset (ListOffsets)
// gives 0 for OffsetOldest and the message count for OffsetNewest.
//
// With -expect-produce-error CODE the first SendMessage must fail with that Kafka error
// code and nothing else is checked.
//
// Output: one "ok"/"FAIL" line per check and a summary; exit status 0 only if all passed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

var failures int

func check(ok bool, what string, detail ...interface{}) {
	if ok {
		fmt.Printf("  ok   %s\n", what)
		return
	}
	failures++
	fmt.Printf("  FAIL %s: %s\n", what, fmt.Sprint(detail...))
}

func parseVersion(s string) sarama.KafkaVersion {
	if s == "default" {
		return sarama.NewConfig().Version
	}
	v, err := sarama.ParseKafkaVersion(s)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad version %q: %v\n", s, err)
		os.Exit(2)
	}
	return v
}

func codec(s string) sarama.CompressionCodec {
	switch s {
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
	fmt.Fprintf(os.Stderr, "bad codec %q\n", s)
	os.Exit(2)
	return 0
}

// magic is the message format a sarama version reads and writes.
func magic(v sarama.KafkaVersion) int {
	switch {
	case v.IsAtLeast(sarama.V0_11_0_0):
		return 2
	case v.IsAtLeast(sarama.V0_10_0_0):
		return 1
	}
	return 0
}

type sent struct {
	key, value []byte
	ts         time.Time
	headers    []sarama.RecordHeader
	partition  int32
	offset     int64
}

var t0 = time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)

func message(i int, m int) *sent {
	s := &sent{}
	if i%50 != 7 {
		s.key = []byte(fmt.Sprintf("key-%05d", i))
	}
	v := []byte(fmt.Sprintf("v%d|", i))
	for j := 0; j < i%200; j++ {
		v = append(v, byte((i*7+j)%256))
	}
	s.value = append(v, bytes.Repeat([]byte("|end"), 1+i%5)...)
	if m >= 1 {
		s.ts = t0.Add(time.Duration(i) * time.Millisecond)
	}
	if m >= 2 && i%3 == 0 {
		s.headers = []sarama.RecordHeader{{Key: []byte("h"), Value: []byte(fmt.Sprint(i))},
			{Key: []byte("bin"), Value: []byte{0, 0xff}}}
	}
	return s
}

func (s *sent) producerMessage(topic string) *sarama.ProducerMessage {
	pm := &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(s.value),
		Timestamp: s.ts, Headers: s.headers}
	if s.key != nil {
		pm.Key = sarama.ByteEncoder(s.key)
	}
	return pm
}

func newConfig(v sarama.KafkaVersion, c sarama.CompressionCodec) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "fjord-sarama-it"
	cfg.Version = v
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Compression = c
	cfg.Producer.Flush.Messages = 50
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Producer.Retry.Max = 10
	cfg.Producer.Retry.Backoff = 200 * time.Millisecond
	cfg.Metadata.Retry.Max = 10
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	return cfg
}

func produce(brokers []string, topic string, cfg *sarama.Config, n int) ([]*sent, error) {
	p, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("NewSyncProducer: %v", err)
	}
	defer p.Close()
	m := magic(cfg.Version)
	out := make([]*sent, 0, n)
	for i := 0; i < n && i < 10; i++ {
		s := message(i, m)
		s.partition, s.offset, err = p.SendMessage(s.producerMessage(topic))
		if err != nil {
			return out, fmt.Errorf("SendMessage %d: %w", i, err)
		}
		out = append(out, s)
	}
	for start := len(out); start < n; start += 100 {
		var group []*sent
		var msgs []*sarama.ProducerMessage
		for i := start; i < n && i < start+100; i++ {
			s := message(i, m)
			group = append(group, s)
			msgs = append(msgs, s.producerMessage(topic))
		}
		if err := p.SendMessages(msgs); err != nil {
			return out, fmt.Errorf("SendMessages from %d: %w", start, err)
		}
		for k, pm := range msgs {
			group[k].partition, group[k].offset = pm.Partition, pm.Offset
		}
		out = append(out, group...)
	}
	return out, nil
}

func consume(brokers []string, topic string, cfg *sarama.Config, want map[int32]int) (
	map[int32][]*sarama.ConsumerMessage, error) {
	c, err := sarama.NewConsumer(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("NewConsumer: %v", err)
	}
	defer c.Close()
	parts, err := c.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("Partitions: %v", err)
	}
	got := map[int32][]*sarama.ConsumerMessage{}
	for _, p := range parts {
		pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return got, fmt.Errorf("ConsumePartition %d: %v", p, err)
		}
		deadline := time.After(30 * time.Second)
	loop:
		for len(got[p]) < want[p] {
			select {
			case m := <-pc.Messages():
				got[p] = append(got[p], m)
			case e := <-pc.Errors():
				pc.Close()
				return got, fmt.Errorf("partition %d: %v", p, e)
			case <-deadline:
				break loop
			}
		}
		// Nothing beyond what was sent.
		select {
		case m := <-pc.Messages():
			got[p] = append(got[p], m)
		case <-time.After(200 * time.Millisecond):
		}
		pc.Close()
	}
	return got, nil
}

func headersEqual(a []*sarama.RecordHeader, b []sarama.RecordHeader) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "bootstrap brokers")
	topic := flag.String("topic", "sarama", "topic")
	version := flag.String("version", "default", "sarama Config.Version for the producer")
	consumerVersion := flag.String("consumer-version", "", "Config.Version for the consumer "+
		"(default: same as -version)")
	compression := flag.String("compression", "none", "none|gzip|snappy|lz4|zstd")
	n := flag.Int("n", 2000, "messages")
	expectErr := flag.Int("expect-produce-error", 0, "Kafka error code the produce must fail with")
	flag.Parse()
	bl := strings.Split(*brokers, ",")
	pv := parseVersion(*version)
	cv := pv
	if *consumerVersion != "" {
		cv = parseVersion(*consumerVersion)
	}
	label := fmt.Sprintf("sarama %s/%s", pv, *compression)
	if cv != pv {
		label += fmt.Sprintf(" read by %s", cv)
	}

	pcfg := newConfig(pv, codec(*compression))
	if err := pcfg.Validate(); err != nil {
		fmt.Printf("  FAIL %s: invalid config: %v\n", label, err)
		os.Exit(1)
	}
	start := time.Now()
	msgs, err := produce(bl, *topic, pcfg, *n)
	if *expectErr != 0 {
		var ke sarama.KError
		isK := errors.As(err, &ke)
		check(isK && int(ke) == *expectErr, fmt.Sprintf("[%s] produce fails with error %d", label,
			*expectErr), fmt.Sprintf("got %v (%d messages acknowledged)", err, len(msgs)))
		os.Exit(map[bool]int{true: 0, false: 1}[failures == 0])
	}
	check(err == nil && len(msgs) == *n, fmt.Sprintf("[%s] %d messages acknowledged", label, *n),
		err)
	produced := time.Since(start)

	want := map[int32]int{}
	byPos := map[[2]int64]*sent{}
	for _, s := range msgs {
		want[s.partition]++
		byPos[[2]int64{int64(s.partition), s.offset}] = s
	}
	inOrder := true
	last := map[int32]int64{}
	for _, s := range msgs {
		if prev, ok := last[s.partition]; (ok && s.offset != prev+1) || (!ok && s.offset != 0) {
			inOrder = false
		}
		last[s.partition] = s.offset
	}
	check(inOrder, fmt.Sprintf("[%s] offsets per partition are 0..n-1 in send order", label))

	got, err := consume(bl, *topic, newConfig(cv, sarama.CompressionNone), want)
	check(err == nil, fmt.Sprintf("[%s] consumer reads without errors", label), err)
	total := 0
	var bad []string
	pm, cm := magic(pv), magic(cv)
	for p, list := range got {
		for _, m := range list {
			total++
			s := byPos[[2]int64{int64(p), m.Offset}]
			switch {
			case s == nil:
				bad = append(bad, fmt.Sprintf("p%d@%d: unexpected message", p, m.Offset))
			case !bytes.Equal(m.Key, s.key) || (m.Key == nil) != (s.key == nil) ||
				!bytes.Equal(m.Value, s.value):
				bad = append(bad, fmt.Sprintf("p%d@%d: key %q value %.30q", p, m.Offset, m.Key,
					m.Value))
			case pm >= 1 && cm >= 1 && !m.Timestamp.Equal(s.ts):
				bad = append(bad, fmt.Sprintf("p%d@%d: timestamp %v want %v", p, m.Offset,
					m.Timestamp, s.ts))
			case pm >= 2 && cm >= 2 && !headersEqual(m.Headers, s.headers):
				bad = append(bad, fmt.Sprintf("p%d@%d: headers %v", p, m.Offset, m.Headers))
			}
		}
	}
	check(total == len(msgs) && len(bad) == 0,
		fmt.Sprintf("[%s] every message read back at its offset, key/value equal", label),
		fmt.Sprintf("read %d of %d; %d bad, e.g. %v", total, len(msgs), len(bad),
			bad[:min(3, len(bad))]))

	client, err := sarama.NewClient(bl, newConfig(cv, sarama.CompressionNone))
	if check(err == nil, fmt.Sprintf("[%s] client connects", label), err); err == nil {
		var wrong []string
		for p, count := range want {
			oldest, e1 := client.GetOffset(*topic, p, sarama.OffsetOldest)
			newest, e2 := client.GetOffset(*topic, p, sarama.OffsetNewest)
			if e1 != nil || e2 != nil || oldest != 0 || newest != int64(count) {
				wrong = append(wrong, fmt.Sprintf("p%d: oldest %d (%v) newest %d (%v), want 0 %d",
					p, oldest, e1, newest, e2, count))
			}
		}
		check(len(wrong) == 0, fmt.Sprintf("[%s] GetOffset oldest=0, newest=count", label), wrong)
		client.Close()
	}
	fmt.Printf("  [%s] produce %.1fs, total %.1fs\n", label, produced.Seconds(),
		time.Since(start).Seconds())
	if failures > 0 {
		os.Exit(1)
	}
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
