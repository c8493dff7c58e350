#pragma once
// A CSV reader over text held once by the caller (RFC 4180 and what spreadsheets write): a
// header row, ',' ';' or tab between fields (whichever the header uses most), fields quoted
// with '"' ("" inside is one quote, and they may span lines), LF or CRLF, UTF-8 with or
// without a byte-order mark. Records come one at a time: nothing is copied but the fields of
// the record being read.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace de::core {

// A file that cannot be read on: `row` is the record's number (the header is row 1), `column`
// the header name of the field (or its 1-based position when the header is not read yet).
struct CsvError {
  std::size_t row = 0;
  std::string column;
  std::string message;
};

class CsvReader {
 public:
  // Reads the header; `error()` says what is wrong when it cannot.
  explicit CsvReader(std::string_view text);

  const std::vector<std::string>& header() const { return header_; }
  char delimiter() const { return delimiter_; }
  // The next record's fields into `fields`; false at the end of the text or on a malformed
  // record (then error() is set). Blank lines are skipped.
  bool next(std::vector<std::string>& fields);
  // The number of the record `next` gave last (header = 1).
  std::size_t row() const { return row_; }
  const std::optional<CsvError>& error() const { return error_; }

 private:
  bool read_record(std::vector<std::string>& fields);
  std::string column_name(std::size_t index) const;

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t row_ = 0;
  char delimiter_ = ',';
  std::vector<std::string> header_;
  std::optional<CsvError> error_;
};

// True when `text` is well-formed UTF-8.
bool valid_utf8(std::string_view text);

}  // namespace de::core
