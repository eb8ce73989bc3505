// A result that one side of the event loop hands to a coroutine waiting on the other: the
// JoinGroup held until its rebalance completes, the SyncGroup waiting for the leader. The
// waiting coroutine sleeps on a timer that never expires by itself; complete() stores the
// result and cancels the timer, which resumes the coroutine. Both sides run on the same
// single-threaded io_context, so there is no race between complete() and wait().
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <utility>

namespace fjord::coordinator {

template <class T>
class Completion {
 public:
  explicit Completion(asio::any_io_executor ex) : timer_(std::move(ex)) {}

  bool done() const { return result_.has_value(); }

  // Stores the result (the first one wins) and wakes the waiter.
  void complete(T result) {
    if (result_) return;
    result_ = std::move(result);
    timer_.cancel();
  }

  asio::awaitable<T> wait() {
    while (!result_) {
      timer_.expires_at(std::chrono::steady_clock::time_point::max());
      asio::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*result_);
  }

 private:
  asio::steady_timer timer_;
  std::optional<T> result_;
};

}  // namespace fjord::coordinator
