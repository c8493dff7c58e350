// Fuzz target: the CSV reader (core/csv, the lead and deal imports read through it). Any text
// ends in records or a CsvError naming a row: never a crash, a hang or an exception.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  de::core::valid_utf8(text);
  de::core::CsvReader reader(text);
  if (reader.error()) return 0;
  std::vector<std::string> fields;
  std::size_t last_row = reader.row();
  while (reader.next(fields)) {
    // Rows only go forward: a reader that stops advancing would loop for ever on an import.
    if (reader.row() <= last_row) __builtin_trap();
    last_row = reader.row();
  }
  return 0;
}
