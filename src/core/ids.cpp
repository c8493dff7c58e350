#include "core/ids.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

namespace de::core {

namespace {
std::uint64_t random_u64() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }()};
  return engine();
}

// 48-bit millisecond timestamp followed by a 12-bit sequence, kept strictly increasing.
std::uint64_t next_time_and_sequence() {
  static std::atomic<std::uint64_t> last{0};
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  std::uint64_t candidate = ms << 12;
  std::uint64_t previous = last.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = candidate > previous ? candidate : previous + 1;
  } while (!last.compare_exchange_weak(previous, next, std::memory_order_relaxed));
  return next;
}
}  // namespace

std::string new_id() {
  std::uint64_t time_seq = next_time_and_sequence();
  std::uint64_t high = ((time_seq >> 12) << 16) | 0x7000 | (time_seq & 0x0fff);
  std::uint64_t low = (random_u64() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t word) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = hex[(word >> shift) & 0xf];
    }
  };
  put(high);
  put(low);
  return out;
}

std::int64_t id_time_ms(std::string_view id) {
  std::int64_t ms = 0;
  for (char c : id.substr(0, 13)) {
    if (c == '-') continue;
    ms = ms * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return ms;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace de::core
