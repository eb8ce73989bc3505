// Test support: the random source the generated fill() functions draw from.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec/types.h"

namespace fjord::proto::testing {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  uint64_t next() { return gen_(); }
  bool chance(int one_in) { return gen_() % static_cast<uint64_t>(one_in) == 0; }
  int count() { return static_cast<int>(gen_() % 3); }  // array sizes 0..2 keep messages small
  bool boolean() { return gen_() & 1; }
  double float64() { return static_cast<double>(static_cast<int64_t>(gen_() >> 11)) / 1024.0; }
  Uuid uuid() {
    Uuid u;
    for (auto& b : u.bytes) b = static_cast<uint8_t>(gen_());
    return u;
  }
  std::string string() {
    std::string s(gen_() % 12, 'a');
    for (auto& c : s) c = static_cast<char>('a' + gen_() % 26);
    return s;
  }
  Bytes bytes() {
    Bytes b(gen_() % 20);
    for (auto& c : b) c = static_cast<uint8_t>(gen_());
    return b;
  }
  // Records views need storage that outlives the message; the Rng keeps it.
  Records records() {
    auto& b = store_.emplace_back(bytes());
    return Records(std::span<const uint8_t>(b.data(), b.size()));
  }

 private:
  std::mt19937_64 gen_;
  std::deque<Bytes> store_;
};

}  // namespace fjord::proto::testing
