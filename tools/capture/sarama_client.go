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
	default:
		fail("unknown mode %q", *mode)
	}
}
