#pragma once
// Time zones for schedule triggers: UTC, a fixed offset like +02:00, or an IANA named zone
// ("Europe/Berlin") read from the system's TZif files (/usr/share/zoneinfo, package tzdata).
// libstdc++ 12 has no std::chrono::tzdb, hence this small reader (RFC 8536).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace de::workflow {

class TimeZone {
 public:
  struct Rules;  // a loaded named zone; shared, immutable

  TimeZone() = default;  // UTC
  static TimeZone fixed(int offset_seconds);
  // An IANA name such as "Europe/Berlin". Loaded zones are cached for the process.
  // Throws core::Error(validation): "unknown time zone <name>".
  static TimeZone load(std::string_view name);
  // "UTC", "Z", an offset like "+02:00" or "-05:30", or an IANA name.
  static TimeZone parse(std::string_view text);

  // Local time minus UTC, in seconds, at the UTC instant `utc_seconds` (seconds since the epoch).
  int offset_seconds_at(std::int64_t utc_seconds) const;
  // The UTC instant at which the local wall clock reads `local_seconds` (seconds since the
  // epoch, local wall clock read as if it were UTC). A time that occurs twice (clocks set back)
  // gives its first occurrence; one that does not occur (clocks set forward) gives nullopt.
  std::optional<std::int64_t> to_utc(std::int64_t local_seconds) const;

  bool is_fixed() const { return !rules_; }
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<const Rules> rules_;
  int fixed_offset_ = 0;
  std::string name_ = "UTC";
};

}  // namespace de::workflow
