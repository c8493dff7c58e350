#include "workflow/timezone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.hpp"

namespace de::workflow {

namespace {

constexpr const char* zoneinfo_dir = "/usr/share/zoneinfo";
constexpr std::size_t max_name = 64, max_file = 1 << 20;

// The POSIX TZ string of a TZif footer, e.g. "CET-1CEST,M3.5.0,M10.5.0/3": the rule for
// instants after the last transition.
struct PosixRule {
  struct Date {
    char kind = 'M';  // 'J': Jn (1-365, no Feb 29), 'N': n (0-365), 'M': Mm.w.d
    int month = 0, week = 0, weekday = 0, day = 0;
    int time = 2 * 3600;  // seconds after local midnight; may be negative or past 24h
  };
  int std_offset = 0, dst_offset = 0;  // local minus UTC, seconds
  bool has_dst = false;
  Date start, end;

  int offset_at(std::int64_t utc) const;
};

std::int64_t days_since_epoch(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days(year(y) / month(m) / day(d)).time_since_epoch().count();
}

// Local seconds since the epoch (as if UTC) at which `date` happens in year `y`.
std::int64_t local_instant(const PosixRule::Date& date, int y) {
  using namespace std::chrono;
  std::int64_t day = 0;
  if (date.kind == 'J') {
    day = days_since_epoch(y, 1, 1) + date.day - 1 + (year(y).is_leap() && date.day >= 60 ? 1 : 0);
  } else if (date.kind == 'N') {
    day = days_since_epoch(y, 1, 1) + date.day;
  } else {
    auto first = days_since_epoch(y, unsigned(date.month), 1);
    int first_weekday = int(weekday(sys_days(days(first))).c_encoding());
    int dom = 1 + (date.weekday - first_weekday + 7) % 7 + (date.week - 1) * 7;
    int last = int(unsigned(year_month_day_last(year(y) / month(unsigned(date.month)) / std::chrono::last).day()));
    while (dom > last) dom -= 7;  // week 5: the last such weekday of the month
    day = first + dom - 1;
  }
  return day * 86400 + date.time;
}

int PosixRule::offset_at(std::int64_t utc) const {
  if (!has_dst) return std_offset;
  using namespace std::chrono;
  // Keep far-off instants inside std::chrono::year's range; rules repeat every year anyway.
  utc = std::clamp<std::int64_t>(utc, -(std::int64_t(1) << 39), std::int64_t(1) << 39);
  int y = int(year_month_day(floor<days>(sys_seconds(seconds(utc + std_offset)))).year());
  // The start time is in standard time, the end time in daylight time (POSIX).
  auto begins = local_instant(start, y) - std_offset, ends = local_instant(end, y) - dst_offset;
  bool dst = begins <= ends ? begins <= utc && utc < ends   // northern hemisphere
                            : !(ends <= utc && utc < begins);  // southern: DST spans the new year
  return dst ? dst_offset : std_offset;
}

class PosixParser {
 public:
  explicit PosixParser(std::string_view text) : s_(text) {}

  std::optional<PosixRule> parse() {
    PosixRule r;
    auto std_offset = (name() ? offset(24) : std::nullopt);
    if (!std_offset) return std::nullopt;
    r.std_offset = -*std_offset;  // POSIX offsets are positive west of Greenwich
    if (done()) return r;
    if (!name()) return std::nullopt;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (!done() && peek() != ',') {
      auto dst_offset = offset(24);
      if (!dst_offset) return std::nullopt;
      r.dst_offset = -*dst_offset;
    }
    // Without a rule the DST dates are implementation-defined: treat as unparsable.
    if (!eat(',') || !date(r.start) || !eat(',') || !date(r.end) || !done()) return std::nullopt;
    return r;
  }

 private:
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  std::optional<int> number(int low, int high) {
    auto start = pos_;
    long value = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(peek())) && pos_ - start < 4) value = value * 10 + (s_[pos_++] - '0');
    if (pos_ == start || value < low || value > high) return std::nullopt;
    return int(value);
  }
  // "CET", or "<+03>" for names that are not alphabetic.
  bool name() {
    auto start = pos_;
    if (eat('<')) {
      auto close = s_.find('>', pos_);
      if (close == std::string_view::npos || close == pos_) return false;
      pos_ = close + 1;
      return true;
    }
    while (!done() && std::isalpha(static_cast<unsigned char>(peek()))) ++pos_;
    return pos_ - start >= 3;
  }
  // [+-]hh[:mm[:ss]], in seconds; `max_hours` is 24 for offsets and 167 for rule times (RFC 8536).
  std::optional<int> offset(int max_hours) {
    int sign = 1;
    if (eat('-')) sign = -1;
    else eat('+');
    auto h = number(0, max_hours);
    if (!h) return std::nullopt;
    int total = *h * 3600;
    for (int unit : {60, 1}) {
      if (!eat(':')) break;
      auto v = number(0, 59);
      if (!v) return std::nullopt;
      total += *v * unit;
    }
    return sign * total;
  }
  bool date(PosixRule::Date& d) {
    std::optional<int> a, b, c;
    if (eat('J')) {
      d.kind = 'J';
      if (!(a = number(1, 365))) return false;
      d.day = *a;
    } else if (eat('M')) {
      d.kind = 'M';
      if (!(a = number(1, 12)) || !eat('.') || !(b = number(1, 5)) || !eat('.') || !(c = number(0, 6))) return false;
      d.month = *a, d.week = *b, d.weekday = *c;
    } else {
      d.kind = 'N';
      if (!(a = number(0, 365))) return false;
      d.day = *a;
    }
    if (eat('/')) {
      auto t = offset(167);
      if (!t) return false;
      d.time = *t;
    }
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

struct TimeZone::Rules {
  std::vector<std::int64_t> transitions;  // UTC seconds, ascending
  std::vector<int> offsets;               // the offset from each transition on
  int initial_offset = 0;                 // before the first transition: local time type 0
  std::optional<PosixRule> footer;        // after the last transition

  int offset_at(std::int64_t utc) const {
    if (transitions.empty()) return footer ? footer->offset_at(utc) : initial_offset;
    if (utc < transitions.front()) return initial_offset;
    if (utc >= transitions.back() && footer) return footer->offset_at(utc);
    auto it = std::upper_bound(transitions.begin(), transitions.end(), utc);
    return offsets[std::size_t(it - transitions.begin()) - 1];
  }
};

namespace {

// RFC 8536. Returns null when the data is not a well-formed TZif file.
std::shared_ptr<TimeZone::Rules> parse_tzif(std::string_view data) {
  std::size_t pos = 0;
  auto has = [&](std::size_t n) { return n <= data.size() - pos; };
  auto read = [&](int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[pos++]);
    return v;
  };
  struct Counts {
    std::size_t isut, isstd, leap, time, type, chars;
  };
  auto header = [&]() -> std::optional<Counts> {
    if (!has(44) || data.substr(pos, 4) != "TZif") return std::nullopt;
    pos += 20;  // magic, version, reserved
    Counts c{};
    for (auto* n : {&c.isut, &c.isstd, &c.leap, &c.time, &c.type, &c.chars}) *n = std::size_t(read(4));
    if (c.type == 0 || c.type > 256 || c.chars == 0 || (c.isut && c.isut != c.type) || (c.isstd && c.isstd != c.type))
      return std::nullopt;
    return c;
  };
  auto block_size = [](const Counts& c, std::size_t time_size) {
    return c.time * (time_size + 1) + c.type * 6 + c.chars + c.leap * (time_size + 4) + c.isstd + c.isut;
  };

  auto counts = header();
  if (!counts) return nullptr;
  char version = data[4];
  std::size_t time_size = 4;
  if (version >= '2') {  // skip the 32-bit data: the 64-bit section follows
    if (!has(block_size(*counts, 4))) return nullptr;
    pos += block_size(*counts, 4);
    counts = header();
    if (!counts) return nullptr;
    time_size = 8;
  }
  if (!has(block_size(*counts, time_size))) return nullptr;

  auto rules = std::make_shared<TimeZone::Rules>();
  for (std::size_t i = 0; i < counts->time; ++i) {
    auto raw = read(int(time_size));
    auto t = time_size == 8 ? std::int64_t(raw) : std::int64_t(std::int32_t(std::uint32_t(raw)));
    if (!rules->transitions.empty() && t <= rules->transitions.back()) return nullptr;
    rules->transitions.push_back(t);
  }
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < counts->time; ++i) indices.push_back(std::size_t(read(1)));
  std::vector<int> utoffs;
  for (std::size_t i = 0; i < counts->type; ++i) {
    auto utoff = std::int32_t(std::uint32_t(read(4)));
    auto isdst = read(1), abbrind = read(1);
    if (utoff < -89999 || utoff > 93599 || isdst > 1 || abbrind >= counts->chars) return nullptr;
    utoffs.push_back(utoff);
  }
  for (auto index : indices) {
    if (index >= utoffs.size()) return nullptr;
    rules->offsets.push_back(utoffs[index]);
  }
  rules->initial_offset = utoffs[0];
  pos += counts->chars + counts->leap * (time_size + 4) + counts->isstd + counts->isut;

  // Footer (version 2+): "\n<POSIX TZ string>\n". Absent or unparsable: the last offset stays.
  if (time_size == 8 && has(1) && data[pos] == '\n') {
    auto end = data.find('\n', pos + 1);
    if (end != std::string_view::npos && end > pos + 1)
      rules->footer = PosixParser(data.substr(pos + 1, end - pos - 1)).parse();
  }
  return rules;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > max_name || name.front() == '/' || name.find("..") != std::string_view::npos)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '/';
  });
}

std::shared_ptr<const TimeZone::Rules> read_zone(const std::string& name) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::path(zoneinfo_dir) / name;
  if (!std::filesystem::is_regular_file(path, ec)) return nullptr;
  std::ifstream in(path, std::ios::binary);
  std::string data(max_file + 1, '\0');
  in.read(data.data(), std::streamsize(data.size()));
  if (in.bad() || in.gcount() <= 0 || std::size_t(in.gcount()) > max_file) return nullptr;
  data.resize(std::size_t(in.gcount()));
  return parse_tzif(data);
}

}  // namespace

TimeZone TimeZone::fixed(int offset_seconds) {
  TimeZone z;
  z.fixed_offset_ = offset_seconds;
  z.name_ = fmt::format("{}{:02}:{:02}", offset_seconds < 0 ? '-' : '+', std::abs(offset_seconds) / 3600,
                        std::abs(offset_seconds) / 60 % 60);
  return z;
}

TimeZone TimeZone::load(std::string_view name) {
  if (!valid_name(name))
    throw core::Error(core::ErrorKind::validation,
                      fmt::format("\"{}\" is not a time zone name (letters, digits, _ + - and /, like Europe/Berlin)",
                                  name.substr(0, max_name)));
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Rules>, std::less<>> cache;  // only zones that exist
  std::lock_guard lock(mutex);
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto rules = read_zone(std::string(name));
    if (!rules) throw core::Error(core::ErrorKind::validation, fmt::format("unknown time zone {}", name));
    it = cache.emplace(std::string(name), std::move(rules)).first;
  }
  TimeZone z;
  z.rules_ = it->second;
  z.name_ = std::string(name);
  return z;
}

TimeZone TimeZone::parse(std::string_view text) {
  if (text == "UTC" || text == "Z") return {};
  if (text.starts_with('+') || text.starts_with('-')) {
    // As before named zones: "+hh:mm" / "-hh:mm".
    if (text.size() != 6 || text[3] != ':')
      throw core::Error(core::ErrorKind::validation,
                        "timezone must be UTC, an offset like +02:00 or a named zone like Europe/Berlin");
    int h = std::atoi(std::string(text.substr(1, 2)).c_str()), m = std::atoi(std::string(text.substr(4, 2)).c_str());
    return fixed((text[0] == '-' ? -1 : 1) * (h * 3600 + m * 60));
  }
  return load(text);
}

int TimeZone::offset_seconds_at(std::int64_t utc_seconds) const {
  return rules_ ? rules_->offset_at(utc_seconds) : fixed_offset_;
}

std::optional<std::int64_t> TimeZone::to_utc(std::int64_t local_seconds) const {
  if (!rules_) return local_seconds - fixed_offset_;
  // The offsets in force a day before and a day after bracket any transition near this local
  // time; each candidate instant is real only if the zone has that offset there.
  std::optional<std::int64_t> best;
  auto consider = [&](int offset) {
    auto utc = local_seconds - offset;
    if (rules_->offset_at(utc) == offset && (!best || utc < *best)) best = utc;
  };
  for (auto probe : {local_seconds - 86400, local_seconds + 86400}) {
    int offset = rules_->offset_at(probe);
    consider(offset);
    consider(rules_->offset_at(local_seconds - offset));
  }
  return best;
}

}  // namespace de::workflow
