#pragma once
// A write from a coroutine: the job runs in the batching writer, and the coroutine resumes on
// its own executor once the job's batch has committed (or with the job's error).
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>

#include "store/database.hpp"

namespace de::store {

// Runs `fn` in the batching writer and resumes the coroutine when its batch has committed.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F, Tx&>> write(Database& db, F fn) {
  using R = std::invoke_result_t<F, Tx&>;
  using Slot = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
  auto executor = co_await boost::asio::this_coro::executor;
  Slot result{};
  std::exception_ptr error;
  co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
      [&](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        db.write(
            [&](Tx& tx) {
              if constexpr (std::is_void_v<R>) {
                fn(tx);
                result = true;
              } else {
                result.emplace(fn(tx));
              }
            },
            [&error, shared, executor](std::exception_ptr e) {
              error = e;
              boost::asio::post(executor, [shared]() mutable { (*shared)(); });
            });
      },
      boost::asio::use_awaitable);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace de::store
