// sarama-matrix: the sarama 1.22.1 scenarios of the client matrix
// (compat-tests/clients/scenarios.tsv), run by compat-tests/clients/run.py.
//
//	sarama-matrix -version default|max -scenario NAME -brokers HOST:PORT
//
// -version default is sarama.NewConfig()'s Version (0.8.2.0: magic 0 message sets, Produce
// v0, Fetch v0, OffsetCommit v1); max is sarama.MaxVersion (2.2.0.0: magic 2, Produce v3,
// Fetch v4+, consumer groups, ClusterAdmin).
// Scenarios: codec-{none,gzip,snappy,lz4,zstd}, offsets-resume (OffsetManager without a
// group membership), group-resume (ConsumerGroup), group-pair (two members), idempotent,
// admin-topics, admin-configs, admin-records, admin-groups, offsets, large.
// Messages are those of compat-tests/clients/common.py (same keys, values and headers).
// Output: one "ok"/"FAIL" line per check and a summary; exit status 0 only if all passed.
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const partitions = 3 // run.py starts the broker with num.partitions=3

var (
	failures, passes int
	brokers          []string
	version          sarama.KafkaVersion
	label            string
	fetchDefault     int32 // Consumer.Fetch.Default when set
)

func check(ok bool, what string, detail ...interface{}) bool {
	if ok {
		passes++
		fmt.Printf("  ok   %s\n", what)
	} else {
		failures++
		fmt.Printf("  FAIL %s: %s\n", what, fmt.Sprint(detail...))
	}
	return ok
}

func key(i int) []byte {
	if i%53 == 13 {
		return []byte{}
	}
	if i%50 == 7 {
		return nil
	}
	return []byte(fmt.Sprintf("key-%05d", i))
}

func value(i int) []byte {
	if i%61 == 11 {
		return nil
	}
	if i%59 == 17 {
		return []byte{}
	}
	v := []byte(fmt.Sprintf("v%d|", i))
	for j := 0; j < i%200; j++ {
		v = append(v, byte((i*7+j)%256))
	}
	return append(v, []byte("|end")...)
}

func headers(i int) []sarama.RecordHeader {
	if i%3 != 0 {
		return nil
	}
	return []sarama.RecordHeader{{Key: []byte("h"), Value: []byte(fmt.Sprint(i))},
		{Key: []byte("bin"), Value: []byte{0, 0xff}}}
}

func hasHeaders() bool { return version.IsAtLeast(sarama.V0_11_0_0) }

func config() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "fjord-sarama-matrix"
	cfg.Version = version
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Flush.Messages = 50
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	if fetchDefault > 0 {
		cfg.Consumer.Fetch.Default = fetchDefault
	}
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	return cfg
}

type pos struct {
	p int32
	o int64
}

func message(topic string, i int, partition int32) *sarama.ProducerMessage {
	pm := &sarama.ProducerMessage{Topic: topic, Partition: partition}
	if k := key(i); k != nil {
		pm.Key = sarama.ByteEncoder(k)
	}
	if v := value(i); v != nil {
		pm.Value = sarama.ByteEncoder(v)
	}
	if hasHeaders() {
		pm.Headers = headers(i)
	}
	return pm
}

// produce sends messages first..first+n-1 in SendMessages groups of 50 and returns where
// each landed. partitionOf < 0: the hash partitioner chooses.
func produce(cfg *sarama.Config, topic string, first, n int, partitionOf func(int) int32) (
	map[int]pos, error) {
	if partitionOf != nil {
		cfg.Producer.Partitioner = sarama.NewManualPartitioner
	}
	p, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("NewSyncProducer: %w", err)
	}
	defer p.Close()
	placed := map[int]pos{}
	for start := first; start < first+n; start += 50 {
		var msgs []*sarama.ProducerMessage
		var idx []int
		for i := start; i < first+n && i < start+50; i++ {
			part := int32(0)
			if partitionOf != nil {
				part = partitionOf(i)
			}
			msgs = append(msgs, message(topic, i, part))
			idx = append(idx, i)
		}
		if err := p.SendMessages(msgs); err != nil {
			return placed, fmt.Errorf("SendMessages from %d: %w", start, err)
		}
		for k, pm := range msgs {
			placed[idx[k]] = pos{pm.Partition, pm.Offset}
		}
	}
	return placed, nil
}

func checkPlacement(placed map[int]pos, n int) {
	check(len(placed) == n, fmt.Sprintf("%d messages acknowledged", n), len(placed))
	var idx []int
	for i := range placed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	next := map[int32]int64{}
	var bad []string
	for _, i := range idx {
		if placed[i].o != next[placed[i].p] {
			bad = append(bad, fmt.Sprintf("%d at %v", i, placed[i]))
		}
		next[placed[i].p] = placed[i].o + 1
	}
	check(len(bad) == 0, "per partition the acknowledged offsets are 0..n-1 in send order", bad)
}

func writeExpect(topic, codec string, placed map[int]pos) {
	path := os.Getenv("FJORD_EXPECT_FILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		check(false, "write the expect file", err)
		return
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.Encode(map[string]interface{}{"topic": topic, "codec": codec, "partitions": partitions})
	hx := func(b []byte) interface{} {
		if b == nil {
			return nil
		}
		return hex.EncodeToString(b)
	}
	var idx []int
	for i := range placed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		enc.Encode(map[string]interface{}{"p": placed[i].p, "o": placed[i].o, "k": hx(key(i)),
			"v": hx(value(i))})
	}
}

// readPartitions reads each partition from its offset in `from` until `want` messages per
// partition arrived (then 300 ms more, to see extra ones).
func readPartitions(topic string, from map[int32]int64, want map[int32]int) (
	map[int32][]*sarama.ConsumerMessage, error) {
	c, err := sarama.NewConsumer(brokers, config())
	if err != nil {
		return nil, fmt.Errorf("NewConsumer: %w", err)
	}
	defer c.Close()
	got := map[int32][]*sarama.ConsumerMessage{}
	for p, off := range from {
		pc, err := c.ConsumePartition(topic, p, off)
		if err != nil {
			return got, fmt.Errorf("ConsumePartition %d at %d: %w", p, off, err)
		}
		deadline := time.After(20 * time.Second)
		settle := time.After(24 * time.Hour)
	loop:
		for {
			if len(got[p]) == want[p] && settle == nil {
				break
			}
			if len(got[p]) >= want[p] && settle != nil {
				settle = time.After(300 * time.Millisecond)
				deadline = settle
			}
			select {
			case m := <-pc.Messages():
				got[p] = append(got[p], m)
			case e := <-pc.Errors():
				pc.Close()
				return got, fmt.Errorf("partition %d: %w", p, e)
			case <-deadline:
				break loop
			}
		}
		pc.Close()
	}
	return got, nil
}

func checkRead(placed map[int]pos, got map[int32][]*sarama.ConsumerMessage) {
	at := map[pos]*sarama.ConsumerMessage{}
	total := 0
	var orderBad []string
	for p, msgs := range got {
		for k, m := range msgs {
			if k > 0 && m.Offset != msgs[k-1].Offset+1 {
				orderBad = append(orderBad, fmt.Sprintf("p%d: %d then %d", p, msgs[k-1].Offset, m.Offset))
			}
			at[pos{p, m.Offset}] = m
			total++
		}
	}
	check(total == len(placed) && len(at) == len(placed),
		fmt.Sprintf("consumer reads exactly %d records", len(placed)), total)
	check(len(orderBad) == 0, "consumer returns each partition in offset order without gaps", orderBad)
	var bad []string
	for i, ps := range placed {
		m := at[ps]
		if m == nil {
			bad = append(bad, fmt.Sprintf("%d: nothing at %v", i, ps))
			continue
		}
		if !bytes.Equal(m.Key, key(i)) || (m.Key == nil) != (key(i) == nil) ||
			!bytes.Equal(m.Value, value(i)) || (m.Value == nil) != (value(i) == nil) {
			bad = append(bad, fmt.Sprintf("%d at %v: key %q", i, ps, m.Key))
			continue
		}
		var wantH []sarama.RecordHeader
		if hasHeaders() {
			wantH = headers(i)
		}
		if len(m.Headers) != len(wantH) {
			bad = append(bad, fmt.Sprintf("%d: %d headers", i, len(m.Headers)))
			continue
		}
		for k, h := range m.Headers {
			if !bytes.Equal(h.Key, wantH[k].Key) || !bytes.Equal(h.Value, wantH[k].Value) {
				bad = append(bad, fmt.Sprintf("%d: header %q=%q", i, h.Key, h.Value))
			}
		}
	}
	sort.Strings(bad)
	if len(bad) > 3 {
		bad = bad[:3]
	}
	check(len(bad) == 0, "keys, values and headers byte-equal at the acknowledged offsets", bad)
}

func codecOf(s string) sarama.CompressionCodec {
	return map[string]sarama.CompressionCodec{"none": sarama.CompressionNone,
		"gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
		"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}[s]
}

func codecScenario(codec string) {
	topic := fmt.Sprintf("sarama-%s-codec-%s", label, codec)
	cfg := config()
	cfg.Producer.Compression = codecOf(codec)
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	const n = 400
	placed, err := produce(cfg, topic, 0, n, nil)
	if codec == "zstd" {
		// sarama 1.22.1 writes zstd batches in Produce v3; Kafka accepts zstd from v7 only
		// (KIP-110) and answers UNSUPPORTED_COMPRESSION_TYPE (76).
		var first error
		var pe sarama.ProducerErrors
		if errors.As(err, &pe) && len(pe) > 0 {
			first = pe[0].Err
		}
		check(first == sarama.ErrUnsupportedCompressionType,
			"zstd in Produce v3 is refused with UNSUPPORTED_COMPRESSION_TYPE (76), as Kafka", err, first)
		return
	}
	if !check(err == nil, "produce", err) {
		return
	}
	checkPlacement(placed, n)
	writeExpect(topic, codec, placed)
	from, want := map[int32]int64{}, map[int32]int{}
	for p := int32(0); p < partitions; p++ {
		from[p] = sarama.OffsetOldest
	}
	for _, ps := range placed {
		want[ps.p]++
	}
	got, err := readPartitions(topic, from, want)
	check(err == nil, "consume", err)
	checkRead(placed, got)
}

const per = 20 // records per partition in the resume scenarios

var commitAt = map[int32]int64{0: 5, 1: 8, 2: 11}

func produceResumeData(topic string) {
	_, err := produce(config(), topic, 0, per*partitions, func(i int) int32 { return int32(i % partitions) })
	check(err == nil, "60 records produced, 20 per partition", err)
}

func checkResumed(what string, got map[int32][]*sarama.ConsumerMessage) {
	first := map[int32]int64{}
	total := 0
	for p, msgs := range got {
		if len(msgs) > 0 {
			first[p] = msgs[0].Offset
		}
		total += len(msgs)
	}
	want := 0
	for _, o := range commitAt {
		want += per - int(o)
	}
	check(fmt.Sprint(first) == fmt.Sprint(commitAt), what+" starts each partition exactly at its committed offset", first)
	check(total == want, fmt.Sprintf("%s reads exactly the %d uncommitted records", what, want), total)
}

// offsetsResume: OffsetManager (OffsetFetch v1 / OffsetCommit v1 with generation -1), the
// way sarama's default config keeps offsets without a group membership.
func offsetsResume() {
	topic, group := "sarama-"+label+"-offsets", "sarama-"+label+"-offsets-g"
	produceResumeData(topic)
	cfg := config()
	cfg.Consumer.Offsets.CommitInterval = 100 * time.Millisecond // Close() flushes at this pace
	client, err := sarama.NewClient(brokers, cfg)
	if !check(err == nil, "NewClient", err) {
		return
	}
	om, err := sarama.NewOffsetManagerFromClient(group, client)
	if !check(err == nil, "NewOffsetManagerFromClient", err) {
		return
	}
	for p := int32(0); p < partitions; p++ {
		pom, err := om.ManagePartition(topic, p)
		if !check(err == nil, "ManagePartition", err) {
			return
		}
		next, _ := pom.NextOffset()
		check(next == sarama.OffsetOldest, fmt.Sprintf("partition %d: no committed offset yet", p), next)
		pom.MarkOffset(commitAt[p], "sarama-meta")
		pom.Close()
	}
	check(om.Close() == nil, "offset manager closes (commits)")
	client.Close()

	client, _ = sarama.NewClient(brokers, cfg)
	om, _ = sarama.NewOffsetManagerFromClient(group, client)
	from, want := map[int32]int64{}, map[int32]int{}
	for p := int32(0); p < partitions; p++ {
		pom, err := om.ManagePartition(topic, p)
		if !check(err == nil, "ManagePartition again", err) {
			return
		}
		next, meta := pom.NextOffset()
		check(next == commitAt[p] && meta == "sarama-meta",
			fmt.Sprintf("partition %d: a new offset manager gets %d with its metadata", p, commitAt[p]), next, meta)
		from[p], want[p] = next, per-int(next)
		pom.Close()
	}
	om.Close()
	client.Close()
	got, err := readPartitions(topic, from, want)
	check(err == nil, "consume from the committed offsets", err)
	checkResumed("the consumer", got)
}

type handler struct {
	mu      sync.Mutex
	got     map[int32][]*sarama.ConsumerMessage
	want    int
	total   int
	done    chan struct{}
	commit  map[int32]int64 // marked once everything arrived (nil: mark each message)
	once    sync.Once
	members []string
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	h.members = append(h.members, s.MemberID())
	h.mu.Unlock()
	return nil
}
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		h.got[m.Partition] = append(h.got[m.Partition], m)
		h.total++
		if h.commit == nil {
			s.MarkMessage(m, "")
		}
		if h.total >= h.want {
			if h.commit != nil {
				for p, o := range h.commit {
					s.MarkOffset(m.Topic, p, o, "sarama-meta")
				}
			}
			h.once.Do(func() { close(h.done) })
		}
		h.mu.Unlock()
	}
	return nil
}

// member joins the group, consumes until `want` messages arrived (then settles 500 ms),
// and leaves; commit as in handler.
func member(topic, group string, want int, commit map[int32]int64) (map[int32][]*sarama.ConsumerMessage, error) {
	cfg := config()
	cfg.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	g, err := sarama.NewConsumerGroup(brokers, group, cfg)
	if err != nil {
		return nil, fmt.Errorf("NewConsumerGroup: %w", err)
	}
	h := &handler{got: map[int32][]*sarama.ConsumerMessage{}, want: want, done: make(chan struct{}), commit: commit}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	select {
	case <-h.done:
		time.Sleep(500 * time.Millisecond)
	case <-time.After(30 * time.Second):
	case err = <-errc:
		cancel()
		g.Close()
		return h.got, err
	}
	cancel()
	<-errc
	err = g.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got, err
}

func groupResume() {
	topic, group := "sarama-"+label+"-group", "sarama-"+label+"-group-g"
	produceResumeData(topic)
	got, err := member(topic, group, per*partitions, commitAt)
	n := 0
	for _, m := range got {
		n += len(m)
	}
	check(err == nil && n == per*partitions, "member A reads all 60 records through the group, marks 5/8/11 and leaves", err, n)
	want := 0
	for _, o := range commitAt {
		want += per - int(o)
	}
	admin, err := sarama.NewClusterAdmin(brokers, config())
	if check(err == nil, "NewClusterAdmin", err) {
		r, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
		if check(err == nil, "ListConsumerGroupOffsets", err) {
			offs := map[int32]int64{}
			for p := int32(0); p < partitions; p++ {
				if b := r.GetBlock(topic, p); b != nil {
					offs[p] = b.Offset
				}
			}
			check(fmt.Sprint(offs) == fmt.Sprint(commitAt), "the group's committed offsets are 5/8/11", offs)
		}
		admin.Close()
	}
	got, err = member(topic, group, want, nil)
	check(err == nil, "member B runs", err)
	checkResumed("member B", got)
	more, err := produce(config(), topic, 1000, partitions, func(i int) int32 { return int32(i % partitions) })
	check(err == nil, "3 more records produced", err)
	got, err = member(topic, group, partitions, nil)
	var seen, wantPos []string
	for p, msgs := range got {
		for _, m := range msgs {
			seen = append(seen, fmt.Sprint(pos{p, m.Offset}))
		}
	}
	for _, ps := range more {
		wantPos = append(wantPos, fmt.Sprint(ps))
	}
	sort.Strings(seen)
	sort.Strings(wantPos)
	check(err == nil && fmt.Sprint(seen) == fmt.Sprint(wantPos), "member C reads only the 3 records produced after B's commits", seen, wantPos)
}

// pairMember is one ConsumerGroup of groupPair: what it owns and what it read.
type pairMember struct {
	topic  string
	mu     sync.Mutex
	owned  []int32
	got    []pos
	g      sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *pairMember) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owned = append([]int32(nil), s.Claims()[m.topic]...)
	return nil
}
func (m *pairMember) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (m *pairMember) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		m.mu.Lock()
		m.got = append(m.got, pos{msg.Partition, msg.Offset})
		m.mu.Unlock()
		s.MarkMessage(msg, "")
	}
	return nil
}
func (m *pairMember) state() ([]int32, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := append([]int32(nil), m.owned...)
	sort.Slice(o, func(i, j int) bool { return o[i] < o[j] })
	return o, len(m.got)
}

func startMember(topic, group string) (*pairMember, error) {
	cfg := config()
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cfg.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	g, err := sarama.NewConsumerGroup(brokers, group, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &pairMember{topic: topic, g: g, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, m); err != nil {
				return
			}
		}
	}()
	return m, nil
}

func (m *pairMember) stop() {
	m.cancel()
	<-m.done
	m.g.Close()
}

func waitFor(cond func() bool, d time.Duration) bool {
	end := time.Now().Add(d)
	for !cond() && time.Now().Before(end) {
		time.Sleep(100 * time.Millisecond)
	}
	return cond()
}

// groupPair: two ConsumerGroups; the second join splits the 3 partitions, records produced
// afterwards are read exactly once by their partition's owner; after one leaves the other
// owns all 3 again.
func groupPair() {
	topic, group := "sarama-"+label+"-pair", "sarama-"+label+"-pair-g"
	_, err := produce(config(), topic, 0, 30, func(i int) int32 { return int32(i % partitions) })
	check(err == nil, "30 records produced", err)
	a, err := startMember(topic, group)
	if !check(err == nil, "member a starts", err) {
		return
	}
	ok := waitFor(func() bool { o, n := a.state(); return len(o) == 3 && n >= 30 }, 20*time.Second)
	o, n := a.state()
	check(ok, "member a alone owns partitions 0-2 and reads the 30 records", o, n)
	b, err := startMember(topic, group)
	if !check(err == nil, "member b starts", err) {
		a.stop()
		return
	}
	split := func() bool {
		oa, _ := a.state()
		ob, _ := b.state()
		return len(oa) > 0 && len(ob) > 0 && len(oa)+len(ob) == 3
	}
	ok = waitFor(split, 20*time.Second)
	oa, na := a.state()
	ob, nb := b.state()
	all := append(append([]int32(nil), oa...), ob...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	check(ok && fmt.Sprint(all) == "[0 1 2]", "after b joins, a and b split partitions 0-2 with no overlap", oa, ob)
	time.Sleep(500 * time.Millisecond)
	_, na = a.state()
	_, nb = b.state()
	more, err := produce(config(), topic, 1000, 60, func(i int) int32 { return int32(i % partitions) })
	check(err == nil, "60 more records produced", err)
	fresh := func() (map[pos]int, []string) {
		seen := map[pos]int{}
		var wrong []string
		for k, m := range []*pairMember{a, b} {
			m.mu.Lock()
			start := []int{na, nb}[k]
			owned := map[int32]bool{}
			for _, p := range m.owned {
				owned[p] = true
			}
			for _, ps := range m.got[start:] {
				seen[ps]++
				if !owned[ps.p] {
					wrong = append(wrong, fmt.Sprint(ps))
				}
			}
			m.mu.Unlock()
		}
		return seen, wrong
	}
	waitFor(func() bool { s, _ := fresh(); return len(s) >= 60 }, 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	seen, wrong := fresh()
	exact := len(seen) == len(more)
	for _, ps := range more {
		exact = exact && seen[ps] == 1
	}
	check(exact, "the 60 new records are read exactly once between them", len(seen))
	check(len(wrong) == 0, "each by the owner of its partition", wrong)
	b.stop()
	ok = waitFor(func() bool { o, _ := a.state(); return len(o) == 3 }, 20*time.Second)
	o, _ = a.state()
	check(ok, "after b leaves, a owns all 3 partitions again", o)
	a.stop()
}

func idempotent() {
	topic := "sarama-" + label + "-idempotent"
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Retry.Max = 5
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	const n = 400
	var placed map[int]pos
	var err error
	func() {
		// sarama 1.22.1 dereferences a nil InitProducerId response when the broker does not
		// answer it: report that as a failure rather than crash.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("sarama panicked: %v", r)
			}
		}()
		placed, err = produce(cfg, topic, 0, n, nil)
	}()
	if !check(err == nil, "idempotent produce", err) {
		return
	}
	checkPlacement(placed, n)
	from, want := map[int32]int64{}, map[int32]int{}
	for p := int32(0); p < partitions; p++ {
		from[p] = sarama.OffsetOldest
	}
	for _, ps := range placed {
		want[ps.p]++
	}
	got, err := readPartitions(topic, from, want)
	check(err == nil, "consume", err)
	checkRead(placed, got)
}

func newAdmin() sarama.ClusterAdmin {
	a, err := sarama.NewClusterAdmin(brokers, config())
	if !check(err == nil, "NewClusterAdmin", err) {
		os.Exit(finish())
	}
	return a
}

func str(s string) *string { return &s }

func adminTopics() {
	a := newAdmin()
	defer a.Close()
	t := "sarama-" + label + "-admin-topic"
	err := a.CreateTopic(t, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": str("3600000")}}, false)
	check(err == nil, "CreateTopic", err)
	err = a.CreateTopic(t, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false)
	check(err != nil && strings.Contains(err.Error(), sarama.ErrTopicAlreadyExists.Error()),
		"creating it again: ErrTopicAlreadyExists", err)
	topics, err := a.ListTopics()
	d, ok := topics[t]
	check(err == nil && ok && d.NumPartitions == 2 && d.ConfigEntries["retention.ms"] != nil &&
		*d.ConfigEntries["retention.ms"] == "3600000",
		"ListTopics: 2 partitions and its retention.ms override", err, d)
	check(a.CreatePartitions(t, 5, nil, false) == nil, "CreatePartitions to 5")
	err = a.CreatePartitions(t, 3, nil, false)
	check(err != nil && strings.Contains(err.Error(), sarama.ErrInvalidPartitions.Error()),
		"shrinking to 3: ErrInvalidPartitions", err)
	md, err := a.DescribeTopics([]string{t})
	check(err == nil && len(md) == 1 && len(md[0].Partitions) == 5, "DescribeTopics: 5 partitions", err)
	check(a.DeleteTopic(t) == nil, "DeleteTopic")
	topics, _ = a.ListTopics()
	_, ok = topics[t]
	check(!ok, "ListTopics no longer has it")
	err = a.DeleteTopic("sarama-no-such-topic")
	check(err != nil && strings.Contains(err.Error(), sarama.ErrUnknownTopicOrPartition.Error()),
		"DeleteTopic of an unknown topic: ErrUnknownTopicOrPartition", err)
	// DescribeCluster sends Metadata v0, which has no controller id (it reads 0).
	bs, _, err := a.DescribeCluster()
	client, err2 := sarama.NewClient(brokers, config())
	var ctrl *sarama.Broker
	if err2 == nil {
		defer client.Close()
		ctrl, err2 = client.Controller()
	}
	check(err == nil && err2 == nil && len(bs) == 1 && bs[0].ID() == ctrl.ID() && bs[0].Addr() == brokers[0],
		"DescribeCluster: one broker, at the bootstrap address, the controller (Metadata v1)", err, err2, bs)
}

func adminConfigs() {
	a := newAdmin()
	defer a.Close()
	t := "sarama-" + label + "-admin-configs"
	check(a.CreateTopic(t, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"cleanup.policy": str("compact")}}, false) == nil, "CreateTopic")
	describe := func() map[string]sarama.ConfigEntry {
		es, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: t})
		check(err == nil, "DescribeConfig", err)
		out := map[string]sarama.ConfigEntry{}
		for _, e := range es {
			out[e.Name] = e
		}
		return out
	}
	c := describe()
	check(c["cleanup.policy"].Value == "compact" && !c["cleanup.policy"].Default &&
		c["retention.ms"].Value == "604800000" && c["retention.ms"].Default,
		"cleanup.policy=compact (override), retention.ms default", c["cleanup.policy"], c["retention.ms"])
	check(a.AlterConfig(sarama.TopicResource, t, map[string]*string{"retention.ms": str("120000")}, false) == nil,
		"AlterConfig retention.ms=120000")
	c = describe()
	check(c["retention.ms"].Value == "120000" && c["cleanup.policy"].Value == "delete",
		"AlterConfig replaced the overrides", c["retention.ms"], c["cleanup.policy"])
	err := a.AlterConfig(sarama.TopicResource, t, map[string]*string{"no.such.config": str("1")}, false)
	// sarama returns the error message only (Kafka's INVALID_CONFIG text).
	check(err != nil && err.Error() == "Unknown topic config name: no.such.config",
		"unknown config: Kafka's message \"Unknown topic config name: no.such.config\"", err)
	// sarama 1.22.1's BrokerResource is 5, which is no config resource type: Kafka answers
	// INVALID_REQUEST "Unsupported resource type: UNKNOWN". Its ClusterResource is 4, Kafka's
	// BROKER.
	_, err = a.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: "1"})
	check(err != nil && strings.Contains(err.Error(), "Unsupported resource type"),
		"DescribeConfig with sarama's BrokerResource (5): Unsupported resource type, as Kafka", err)
	es, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.ClusterResource, Name: "1"})
	np := ""
	for _, e := range es {
		if e.Name == "num.partitions" {
			np = e.Value
		}
	}
	check(err == nil && np == fmt.Sprint(partitions), "broker DescribeConfig: num.partitions", err, np)
}

func adminRecords() {
	topic := "sarama-" + label + "-admin-records"
	placed, err := produce(config(), topic, 0, 10, func(int) int32 { return 0 })
	check(err == nil && len(placed) == 10, "10 records produced", err)
	a := newAdmin()
	defer a.Close()
	check(a.DeleteRecords(topic, map[int32]int64{0: 4}) == nil, "DeleteRecords before offset 4")
	client, _ := sarama.NewClient(brokers, config())
	defer client.Close()
	oldest, err1 := client.GetOffset(topic, 0, sarama.OffsetOldest)
	newest, err2 := client.GetOffset(topic, 0, sarama.OffsetNewest)
	check(err1 == nil && err2 == nil && oldest == 4 && newest == 10, "GetOffset: oldest 4, newest 10", oldest, newest)
	got, err := readPartitions(topic, map[int32]int64{0: sarama.OffsetOldest}, map[int32]int{0: 6})
	check(err == nil && len(got[0]) == 6 && got[0][0].Offset == 4 && bytes.Equal(got[0][0].Value, value(4)),
		"a consumer from OffsetOldest reads records 4..9", err)
	_, err = readPartitions(topic, map[int32]int64{0: 2}, map[int32]int{0: 1})
	check(err != nil && strings.Contains(err.Error(), sarama.ErrOffsetOutOfRange.Error()),
		"consuming from offset 2: ErrOffsetOutOfRange", err)
	// Beyond the high watermark Kafka answers OFFSET_OUT_OF_RANGE for the partition, which
	// sarama 1.22.1's DeleteRecords drops (it returns no per-partition errors): the log start
	// offset must simply stay.
	err = a.DeleteRecords(topic, map[int32]int64{0: 11})
	oldest, err1 = client.GetOffset(topic, 0, sarama.OffsetOldest)
	check(err == nil && err1 == nil && oldest == 4, "DeleteRecords beyond the high watermark changes nothing", err, err1, oldest)
}

func adminGroups() {
	topic, group := "sarama-"+label+"-admin-groups", "sarama-"+label+"-admin-groups-g"
	_, err := produce(config(), topic, 0, 9, func(i int) int32 { return int32(i % partitions) })
	check(err == nil, "9 records produced", err)
	cfg := config()
	g, err := sarama.NewConsumerGroup(brokers, group, cfg)
	if !check(err == nil, "NewConsumerGroup", err) {
		return
	}
	h := &handler{got: map[int32][]*sarama.ConsumerMessage{}, want: 9, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go g.Consume(ctx, []string{topic}, h)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
	}
	a := newAdmin()
	defer a.Close()
	groups, err := a.ListConsumerGroups()
	check(err == nil && groups[group] == "consumer", "ListConsumerGroups: it, protocol type consumer", err, groups)
	ds, err := a.DescribeConsumerGroups([]string{group})
	if check(err == nil && len(ds) == 1, "DescribeConsumerGroups", err) {
		d := ds[0]
		check(d.State == "Stable" && d.ProtocolType == "consumer" && d.Protocol == "range" && len(d.Members) == 1,
			"Stable, consumer, range, 1 member", d.State, d.Protocol, len(d.Members))
		for _, m := range d.Members {
			as, err := m.GetMemberAssignment()
			check(err == nil && len(as.Topics[topic]) == partitions, "the member is assigned all 3 partitions", err)
		}
	}
	cancel()
	g.Close()
	r, err := a.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	offs := map[int32]int64{}
	if err == nil {
		for p := int32(0); p < partitions; p++ {
			if b := r.GetBlock(topic, p); b != nil {
				offs[p] = b.Offset
			}
		}
	}
	check(fmt.Sprint(offs) == "map[0:3 1:3 2:3]", "ListConsumerGroupOffsets after it left: 3 per partition", err, offs)
	ds, err = a.DescribeConsumerGroups([]string{group})
	check(err == nil && len(ds) == 1 && ds[0].State == "Empty", "after Close the group is Empty", err)
}

func offsets() {
	topic := "sarama-" + label + "-offsets-ts"
	t0 := time.Now().Add(-100 * time.Second).Truncate(time.Millisecond)
	p, err := sarama.NewSyncProducer(brokers, func() *sarama.Config {
		c := config()
		c.Producer.Partitioner = sarama.NewManualPartitioner
		return c
	}())
	if !check(err == nil, "NewSyncProducer", err) {
		return
	}
	for i := 0; i < 10; i++ {
		m := message(topic, i, 0)
		m.Timestamp = t0.Add(time.Duration(i) * time.Second)
		_, _, err = p.SendMessage(m)
	}
	p.Close()
	check(err == nil, "10 records with timestamps t0+i s", err)
	client, _ := sarama.NewClient(brokers, config())
	defer client.Close()
	ms := func(t time.Time) int64 { return t.UnixNano() / 1e6 }
	o, err := client.GetOffset(topic, 0, ms(t0.Add(4500*time.Millisecond)))
	check(err == nil && o == 5, "GetOffset(t0+4.5s) = 5", err, o)
	o, err = client.GetOffset(topic, 0, ms(t0.Add(100*time.Second)))
	check(err == nil && o == -1, "GetOffset after the last timestamp = -1", err, o)
	got, err := readPartitions(topic, map[int32]int64{0: 7}, map[int32]int{0: 3})
	check(err == nil && len(got[0]) == 3 && got[0][0].Timestamp.Equal(t0.Add(7*time.Second)),
		"record 7 comes back with its CreateTime", err)
}

const largeSize = 1500000

// largeValue is common.py's large_value.
func largeValue(i int) []byte {
	v := make([]byte, largeSize)
	for j := range v {
		v[j] = byte((i*7919 + j*31 + (j >> 8)) % 251)
	}
	return v
}

// large: 3 records of 1.5 MB (topic max.message.bytes=4000000, created with a MaxVersion
// ClusterAdmin), read with the default Consumer.Fetch.Default (1 MB): Fetch v4+ must hand
// out the whole batch (KIP-74). The default Version (Fetch v0) reads with 4 MB (see below).
func large() {
	topic := "sarama-" + label + "-large"
	acfg := config()
	acfg.Version = sarama.MaxVersion
	a, err := sarama.NewClusterAdmin(brokers, acfg)
	if !check(err == nil, "NewClusterAdmin", err) {
		return
	}
	err = a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"max.message.bytes": str("4000000")}}, false)
	a.Close()
	check(err == nil, "CreateTopic with max.message.bytes=4000000", err)
	cfg := config()
	cfg.Producer.MaxMessageBytes = 4000000
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer(brokers, cfg)
	if !check(err == nil, "NewSyncProducer", err) {
		return
	}
	var offs []int64
	for i := 0; i < 3; i++ {
		_, o, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0,
			Key: sarama.StringEncoder(fmt.Sprintf("large-%d", i)), Value: sarama.ByteEncoder(largeValue(i))})
		if !check(err == nil, fmt.Sprintf("record %d of 1.5 MB acknowledged", i), err) {
			p.Close()
			return
		}
		offs = append(offs, o)
	}
	p.Close()
	check(fmt.Sprint(offs) == "[0 1 2]", "at offsets 0, 1, 2", offs)
	what := "read back 3 records with the default 1 MB fetch size"
	if !version.IsAtLeast(sarama.V0_10_1_0) {
		// Fetch v0-2 have no KIP-74: Kafka answers an oversized first message with an
		// overflow message (KIP-283), which sarama 1.22.1 does not take as a reason to grow
		// its fetch size. So, as against Kafka, the fetch size must exceed the message.
		fetchDefault = 4 << 20
		what = "read back 3 records with Consumer.Fetch.Default 4 MB (Fetch v0)"
	}
	got, err := readPartitions(topic, map[int32]int64{0: sarama.OffsetOldest}, map[int32]int{0: 3})
	check(err == nil && len(got[0]) == 3, what, err, len(got[0]))
	for k, m := range got[0] {
		check(m.Offset == int64(k) && string(m.Key) == fmt.Sprintf("large-%d", k) && bytes.Equal(m.Value, largeValue(k)),
			fmt.Sprintf("record %d byte-equal", k), m.Offset, string(m.Key), len(m.Value))
	}
}

func finish() int {
	fmt.Printf("== sarama %s %s: %d/%d checks passed\n", label, flag.Lookup("scenario").Value, passes, passes+failures)
	if failures > 0 || passes == 0 {
		return 1
	}
	return 0
}

func main() {
	v := flag.String("version", "default", "default or max")
	scenario := flag.String("scenario", "", "scenario")
	b := flag.String("brokers", "", "bootstrap host:port")
	flag.Parse()
	brokers = []string{*b}
	label = *v
	if *v == "max" {
		version = sarama.MaxVersion
	} else {
		version = sarama.NewConfig().Version
	}
	switch {
	case strings.HasPrefix(*scenario, "codec-"):
		codecScenario(strings.TrimPrefix(*scenario, "codec-"))
	case *scenario == "offsets-resume":
		offsetsResume()
	case *scenario == "group-resume":
		groupResume()
	case *scenario == "group-pair":
		groupPair()
	case *scenario == "idempotent":
		idempotent()
	case *scenario == "admin-topics":
		adminTopics()
	case *scenario == "admin-configs":
		adminConfigs()
	case *scenario == "admin-records":
		adminRecords()
	case *scenario == "admin-groups":
		adminGroups()
	case *scenario == "offsets":
		offsets()
	case *scenario == "large":
		large()
	default:
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", *scenario)
		os.Exit(2)
	}
	os.Exit(finish())
}
