// Benchmark: produce N records of S bytes with librdkafka, then consume them all, against
// (a) a Fjord broker this program starts (free port, temporary data directory on disk) and
// (b) librdkafka's in-process mock cluster (rdkafka_mock.h), alternating in the same run.
//
// Reported per case and target: records/s and MB/s for the produce phase (first produce() to
// the last delivery report) and the consume phase (assign() to the N-th record), the broker's
// CPU seconds and CPU seconds per GB of record values, and the Fjord/mock ratios.
//
// Broker CPU: for Fjord, utime+stime of the broker process from /proc/<pid>/stat. For the mock
// cluster, which runs inside this process, utime+stime of its thread ("rdk:mock") from
// /proc/self/task/<tid>/stat; the client's own CPU (whole process minus that thread) is
// printed for both targets as well.
//
// A second mode (--startup R) measures Fjord's start: the time from fork()+exec() to the first
// served ApiVersions request on an empty data directory (median of R runs), and the idle RSS
// one second later. tools/measure_startup.sh runs that mode.
//
// Not a test: it prints figures. Use a Release build (see bench/README.md).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef FJORD_BIN_DEFAULT
#define FJORD_BIN_DEFAULT "fjord"
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The Fjord this process started, stopped by die() too (std::exit runs no destructors).
pid_t g_child = -1;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "bench_produce_consume: %s\n", msg.c_str());
  if (g_child > 0) {
    kill(g_child, SIGTERM);
    waitpid(g_child, nullptr, 0);
  }
  std::exit(1);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// utime + stime (fields 14 and 15) of a /proc stat file, in seconds; only stime if sys_only.
double stat_cpu_seconds(const std::string& path, bool sys_only = false) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return -1;
  // The command name (field 2) may contain spaces; fields resume after the last ')'.
  auto rp = line.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream rest(line.substr(rp + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>((sys_only ? 0 : utime) + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// VmRSS of a process, in KiB (-1 if unknown).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// The thread of this process whose name is `comm` (the mock cluster's is "rdk:mock").
std::optional<std::string> find_thread_stat(const std::string& comm) {
  for (const auto& e : fs::directory_iterator("/proc/self/task")) {
    std::ifstream c(e.path() / "comm");
    std::string name;
    std::getline(c, name);
    if (name == comm) return (e.path() / "stat").string();
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// A Fjord process.

struct FjordProcess {
  pid_t pid = -1;
  int port = 0;
  fs::path dir;

  ~FjordProcess() { stop(); }

  void stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    if (g_child == pid) g_child = -1;
    pid = -1;
  }
};

fs::path make_temp_dir(const fs::path& parent) {
  std::string tmpl = (parent / "fjord-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) die("mkdtemp in " + parent.string() + ": " + std::strerror(errno));
  return tmpl;
}

pid_t spawn(const std::string& bin, const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  g_child = pid;
  return pid;
}

// Starts Fjord on 127.0.0.1:0 and reads the bound port from its log.
void start_fjord(FjordProcess& f, const std::string& bin, const fs::path& parent,
                 const std::vector<std::string>& extra) {
  f.dir = make_temp_dir(parent);
  fs::path log = f.dir / "fjord.log";
  std::vector<std::string> args = {"--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override",
                                   "log.dirs=" + (f.dir / "data").string()};
  for (const auto& e : extra) {
    args.push_back("--override");
    args.push_back(e);
  }
  f.pid = spawn(bin, args, log);
  const std::string marker = "Listening on PLAINTEXT://127.0.0.1:";
  auto t0 = Clock::now();
  while (seconds_since(t0) < 20) {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      auto p = line.find(marker);
      if (p != std::string::npos) {
        f.port = std::atoi(line.c_str() + p + marker.size());
        return;
      }
    }
    int st = 0;
    if (waitpid(f.pid, &st, WNOHANG) == f.pid) {
      f.pid = g_child = -1;
      die("fjord exited at startup; see " + log.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  die("fjord did not report its port within 20 s; see " + log.string());
}

// ---------------------------------------------------------------------------------------------
// Startup: fork+exec until a served ApiVersions v0 request.

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind failed");
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

// Connects and sends ApiVersions v0; true once a complete response with our correlation id
// and error code 0 is read.
bool api_versions_ok(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return false;
  }
  // size, api_key 18, api_version 0, correlation_id 0x0b0b0b0b, client_id "b"
  const uint8_t req[] = {0, 0, 0, 11, 0, 18, 0, 0, 0x0b, 0x0b, 0x0b, 0x0b, 0, 1, 'b'};
  bool ok = write(s, req, sizeof req) == static_cast<ssize_t>(sizeof req);
  std::vector<uint8_t> buf;
  uint8_t tmp[4096];
  while (ok) {
    ssize_t n = read(s, tmp, sizeof tmp);
    if (n <= 0) {
      ok = false;
      break;
    }
    buf.insert(buf.end(), tmp, tmp + n);
    if (buf.size() >= 4) {
      uint32_t size =
          (uint32_t{buf[0]} << 24) | (uint32_t{buf[1]} << 16) | (uint32_t{buf[2]} << 8) | buf[3];
      if (buf.size() >= 4 + size) {
        ok = size >= 6 && buf[4] == 0x0b && buf[5] == 0x0b && buf[6] == 0x0b && buf[7] == 0x0b &&
             buf[8] == 0 && buf[9] == 0;
        break;
      }
    }
  }
  close(s);
  return ok;
}

int run_startup(const std::string& bin, const fs::path& parent, int runs) {
  std::vector<double> ms;
  std::vector<long> rss;
  for (int i = 0; i < runs; ++i) {
    fs::path dir = make_temp_dir(parent);
    int port = free_port();
    std::vector<std::string> args = {"--override",
                                     "listeners=PLAINTEXT://127.0.0.1:" + std::to_string(port),
                                     "--override", "log.dirs=" + (dir / "data").string()};
    auto t0 = Clock::now();
    pid_t pid = spawn(bin, args, dir / "fjord.log");
    bool ok = false;
    while (seconds_since(t0) < 10) {
      if (api_versions_ok(port)) {
        ok = true;
        break;
      }
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        g_child = -1;
        die("fjord exited; see " + (dir / "fjord.log").string());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    double t = seconds_since(t0) * 1000;
    if (!ok) die("no ApiVersions response within 10 s");
    std::this_thread::sleep_for(std::chrono::seconds(1));
    long r = rss_kib(pid);
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    g_child = -1;
    fs::remove_all(dir);
    ms.push_back(t);
    rss.push_back(r);
    std::printf("run %2d: %.2f ms to a served ApiVersions, idle RSS %ld KiB\n", i + 1, t, r);
  }
  auto med = [](auto v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf(
      "startup: median %.2f ms (min %.2f, max %.2f) over %d runs; idle RSS median %ld KiB "
      "(%.1f MiB)\n",
      med(ms), *std::min_element(ms.begin(), ms.end()), *std::max_element(ms.begin(), ms.end()),
      runs, med(rss), med(rss) / 1024.0);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Clients.

struct DrState {
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int> last_error{0};
};

void dr_cb(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<DrState*>(opaque);
  if (m->err) {
    st->failed++;
    st->last_error = m->err;
  } else {
    st->ok++;
  }
}

rd_kafka_conf_t* base_conf(const std::string& bootstrap) {
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  char err[512];
  if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) !=
      RD_KAFKA_CONF_OK)
    die(err);
  return c;
}

void set(rd_kafka_conf_t* c, const char* k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(c, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) die(err);
}

void create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, base_conf(bootstrap), err, sizeof err);
  if (!rk) die(err);
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  if (!ev) die("CreateTopics timed out");
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
  size_t n = 0;
  const rd_kafka_topic_result_t** tr = rd_kafka_CreateTopics_result_topics(res, &n);
  if (rd_kafka_event_error(ev) || n != 1 || rd_kafka_topic_result_error(tr[0]))
    die(std::string("CreateTopics failed: ") +
        (n == 1 ? rd_kafka_err2str(rd_kafka_topic_result_error(tr[0]))
                : rd_kafka_event_error_string(ev)));
  rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
}

struct Case {
  std::string name;
  std::string acks;
  std::string codec;
};

struct Phase {
  double seconds = 0;
  double broker_cpu = 0;
  double broker_sys = 0;  // the kernel-mode part of broker_cpu
  double client_cpu = 0;
  int64_t records = 0;
  int64_t value_bytes = 0;
};

struct Options {
  std::string fjord_bin = FJORD_BIN_DEFAULT;
  fs::path data_parent = fs::temp_directory_path();
  int64_t records = 2000000;
  int size = 100;
  // The mock cluster keeps at most 5 MiB of batches per partition and silently drops older
  // ones (rdkafka_mock.c: max_size = 5 MiB, max_cnt = 100000), so N records must be spread
  // over enough partitions to stay below that; 64 holds 2,000,000 x 100 B.
  int partitions = 64;
  int rounds = 1;
  std::vector<Case> cases = {
      {"acks=1", "1", "none"}, {"acks=all", "all", "none"}, {"acks=1 lz4", "1", "lz4"}};
};

struct Target {
  std::string name;
  std::string bootstrap;
  std::function<double()> broker_cpu;
  std::function<double()> broker_sys;
};

Phase produce(const Options& o, const Target& t, const std::string& topic, const Case& c) {
  char err[512];
  DrState st;
  rd_kafka_conf_t* conf = base_conf(t.bootstrap);
  set(conf, "acks", c.acks);
  set(conf, "compression.codec", c.codec);
  set(conf, "linger.ms", "5");
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  std::vector<char> payload(static_cast<size_t>(o.size));
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  // Warm the connection and metadata before the clock starts.
  rd_kafka_metadata_t const* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    die("metadata failed on " + t.name);
  rd_kafka_metadata_destroy(md);

  Phase p;
  double b0 = t.broker_cpu(), k0 = t.broker_sys(), s0 = self_cpu_seconds();
  auto t0 = Clock::now();
  for (int64_t i = 0; i < o.records; ++i) {
    // Payload not copied and not freed: it outlives the producer.
    // Contiguous blocks: partition k gets records [k*N/P, (k+1)*N/P), so each partition sees
    // the same sequential stream a single-partition run would.
    const auto part = static_cast<int32_t>(i * o.partitions / o.records);
    while (rd_kafka_produce(rkt, part, 0, payload.data(), payload.size(), nullptr, 0, nullptr) ==
           -1) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        die(std::string("produce: ") + rd_kafka_err2str(rd_kafka_last_error()));
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (st.ok + st.failed < o.records) rd_kafka_poll(rk, 10);
  p.seconds = seconds_since(t0);
  double b1 = t.broker_cpu(), k1 = t.broker_sys(), s1 = self_cpu_seconds();
  p.broker_cpu = b1 - b0;
  p.broker_sys = k1 - k0;
  p.client_cpu = (s1 - s0);
  p.records = st.ok;
  p.value_bytes = st.ok * o.size;
  if (st.failed)
    die(std::to_string(st.failed.load()) + " deliveries failed on " + t.name + ": " +
        rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(st.last_error.load())));
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return p;
}

Phase consume(const Options& o, const Target& t, const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = base_conf(t.bootstrap);
  set(conf, "group.id", "bench-" + topic);
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.partition.eof", "false");
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(o.partitions);
  for (int i = 0; i < o.partitions; ++i)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  Phase p;
  double b0 = t.broker_cpu(), k0 = t.broker_sys(), s0 = self_cpu_seconds();
  auto t0 = Clock::now();
  rd_kafka_assign(rk, parts);
  std::vector<int64_t> next(static_cast<size_t>(o.partitions), 0);
  while (p.records < o.records) {
    if (seconds_since(t0) > 600) die("consume on " + t.name + " timed out");
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err) {
      std::string e = rd_kafka_message_errstr(m);
      rd_kafka_message_destroy(m);
      die("consume error on " + t.name + ": " + e);
    }
    if (m->partition < 0 || m->partition >= o.partitions ||
        m->offset != next[static_cast<size_t>(m->partition)] ||
        m->len != static_cast<size_t>(o.size))
      die("unexpected record on " + t.name + ": partition " + std::to_string(m->partition) +
          " offset " + std::to_string(m->offset) + " (expected " +
          std::to_string(m->partition >= 0 && m->partition < o.partitions
                             ? next[static_cast<size_t>(m->partition)]
                             : -1) +
          ") len " + std::to_string(m->len));
    next[static_cast<size_t>(m->partition)] = m->offset + 1;
    p.records++;
    p.value_bytes += static_cast<int64_t>(m->len);
    rd_kafka_message_destroy(m);
  }
  p.seconds = seconds_since(t0);
  double b1 = t.broker_cpu(), k1 = t.broker_sys(), s1 = self_cpu_seconds();
  p.broker_cpu = b1 - b0;
  p.broker_sys = k1 - k0;
  p.client_cpu = s1 - s0;
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return p;
}

void print_phase(const char* what, const std::string& target, const Phase& p, bool mock) {
  const double mb = static_cast<double>(p.value_bytes) / 1e6;
  const double gb = static_cast<double>(p.value_bytes) / 1e9;
  // For the mock, the client CPU is the process CPU minus the mock thread's.
  const double client = mock ? p.client_cpu - p.broker_cpu : p.client_cpu;
  std::printf(
      "  %-7s %-6s %9.0f rec/s %7.1f MB/s  %6.2f s  broker CPU %5.2f s (sys %4.2f) = %5.2f "
      "CPU-s/GB  client CPU %5.2f s\n",
      what, target.c_str(), static_cast<double>(p.records) / p.seconds, mb / p.seconds, p.seconds,
      p.broker_cpu, p.broker_sys, p.broker_cpu / gb, client);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int usage() {
  std::fprintf(stderr,
               "usage: bench_produce_consume [--fjord PATH] [--dir DIR] [--records N] "
               "[--size BYTES]\n"
               "         [--partitions P] [--rounds R] [--cases acks=1,acks=all,lz4]\n"
               "       bench_produce_consume --startup RUNS [--fjord PATH] [--dir DIR]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int startup_runs = 0;
  std::string cases;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (a == "--fjord")
      o.fjord_bin = val();
    else if (a == "--dir")
      o.data_parent = val();
    else if (a == "--records")
      o.records = std::stoll(val());
    else if (a == "--size")
      o.size = std::stoi(val());
    else if (a == "--partitions")
      o.partitions = std::stoi(val());
    else if (a == "--rounds")
      o.rounds = std::stoi(val());
    else if (a == "--cases")
      cases = val();
    else if (a == "--startup")
      startup_runs = std::stoi(val());
    else
      return usage();
  }
  if (!fs::exists(o.fjord_bin)) die("fjord binary not found: " + o.fjord_bin + " (use --fjord)");
  if (startup_runs > 0) return run_startup(o.fjord_bin, o.data_parent, startup_runs);
  if (!cases.empty()) {
    std::vector<Case> all = o.cases, chosen;
    std::stringstream ss(cases);
    std::string c;
    while (std::getline(ss, c, ',')) {
      if (c == "acks=1")
        chosen.push_back(all[0]);
      else if (c == "acks=all")
        chosen.push_back(all[1]);
      else if (c == "lz4")
        chosen.push_back(all[2]);
      else
        return usage();
    }
    o.cases = chosen;
  }
  {
    // Record overhead in a v2 batch is ~10-20 B plus the batch header; 40 B is generous.
    const double per_partition = static_cast<double>(o.records) * (o.size + 40) / o.partitions;
    if (per_partition > 5.0 * 1024 * 1024)
      die("the mock cluster keeps at most 5 MiB per partition; use --partitions >= " +
          std::to_string(static_cast<int64_t>(per_partition * o.partitions / (4.5 * 1024 * 1024)) +
                         1));
  }
#ifndef NDEBUG
  std::fprintf(stderr, "warning: built without NDEBUG; figures from a debug build mean nothing\n");
#endif

  // (a) Fjord.
  FjordProcess fj;
  start_fjord(fj, o.fjord_bin, o.data_parent, {});
  const pid_t fpid = fj.pid;
  const std::string fstat = "/proc/" + std::to_string(fpid) + "/stat";
  Target fjord{"fjord", "127.0.0.1:" + std::to_string(fj.port),
               [fstat] { return stat_cpu_seconds(fstat); },
               [fstat] { return stat_cpu_seconds(fstat, true); }};
  // (b) The mock cluster, hosted by a client instance of its own.
  char err[512];
  rd_kafka_conf_t* host_conf = rd_kafka_conf_new();
  set(host_conf, "log_level", "3");  // no "no bootstrap.servers" notice
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, host_conf, err, sizeof err);
  if (!host) die(err);
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(host, 1);
  if (!mc) die("rd_kafka_mock_cluster_new failed");
  // The thread names itself once running.
  auto mock_stat = find_thread_stat("rdk:mock");
  for (int i = 0; i < 200 && !mock_stat; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    mock_stat = find_thread_stat("rdk:mock");
  }
  if (!mock_stat) die("cannot find the mock cluster's thread (rdk:mock)");
  Target mock{"mock", rd_kafka_mock_cluster_bootstraps(mc),
              [path = *mock_stat] { return stat_cpu_seconds(path); },
              [path = *mock_stat] { return stat_cpu_seconds(path, true); }};

  std::printf("%" PRId64
              " records of %d B, %d partition(s), %d round(s); fjord %s (pid %d, "
              "data in %s), mock %s\n",
              o.records, o.size, o.partitions, o.rounds, o.fjord_bin.c_str(), fpid, fj.dir.c_str(),
              mock.bootstrap.c_str());
  std::printf(
      "Broker CPU: fjord = its process; mock = its thread in this process. Client CPU: "
      "this process (minus the mock thread for the mock).\n");
  int topic_no = 0;
  struct Summary {
    std::string name;
    double prod_ratio, cons_ratio, fj_prod_cpu_gb, fj_cons_cpu_gb, mock_prod_cpu_gb,
        mock_cons_cpu_gb;
  };
  std::vector<Summary> summary;
  for (const auto& c : o.cases) {
    std::vector<double> fp, fc, mp, mcn, fpc, fcc, mpc, mcc;
    for (int r = 0; r < o.rounds; ++r) {
      std::printf("%s, round %d\n", c.name.c_str(), r + 1);
      for (const Target* t : {&fjord, &mock}) {
        std::string topic = "bench-" + std::to_string(topic_no++);
        if (t == &mock) {
          if (rd_kafka_mock_topic_create(mc, topic.c_str(), o.partitions, 1))
            die("mock topic create failed");
        } else {
          create_topic(t->bootstrap, topic, o.partitions);
        }
        Phase pp = produce(o, *t, topic, c);
        print_phase("produce", t->name, pp, t == &mock);
        Phase cp = consume(o, *t, topic);
        print_phase("consume", t->name, cp, t == &mock);
        const double gb = static_cast<double>(o.records) * o.size / 1e9;
        auto& prod = t == &mock ? mp : fp;
        auto& cons = t == &mock ? mcn : fc;
        prod.push_back(pp.records / pp.seconds);
        cons.push_back(cp.records / cp.seconds);
        (t == &mock ? mpc : fpc).push_back(pp.broker_cpu / gb);
        (t == &mock ? mcc : fcc).push_back(cp.broker_cpu / gb);
      }
    }
    summary.push_back({c.name, median(fp) / median(mp), median(fc) / median(mcn), median(fpc),
                       median(fcc), median(mpc), median(mcc)});
  }
  std::printf("\nSummary (medians over rounds; ratio = fjord / mock, records/s and MB/s alike)\n");
  std::printf("%-12s %14s %14s %22s %22s\n", "case", "produce ratio", "consume ratio",
              "CPU-s/GB prod fj/mock", "CPU-s/GB cons fj/mock");
  for (const auto& s : summary)
    std::printf("%-12s %14.2f %14.2f %11.2f / %-8.2f %11.2f / %-8.2f\n", s.name.c_str(),
                s.prod_ratio, s.cons_ratio, s.fj_prod_cpu_gb, s.mock_prod_cpu_gb, s.fj_cons_cpu_gb,
                s.mock_cons_cpu_gb);
  std::printf("fjord RSS after the run: %ld KiB\n", rss_kib(fpid));

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(host);
  fj.stop();
  fs::remove_all(fj.dir);
  return 0;
}
