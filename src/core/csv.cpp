#include "core/csv.hpp"

#include <cstdint>
#include <set>

namespace de::core {

bool valid_utf8(std::string_view text) {
  std::size_t i = 0, n = text.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t more = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 && c < 0xF0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
    if (more == 0 || i + more >= n) return false;
    std::uint32_t cp = c & (0x3F >> more);
    for (std::size_t k = 1; k <= more; ++k) {
      auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += more + 1;
  }
  return true;
}

CsvReader::CsvReader(std::string_view text) : text_(text) {
  if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  // The delimiter: the one of , ; tab that the header line uses most outside quotes.
  std::size_t counts[3] = {0, 0, 0};
  bool quoted = false;
  for (char c : text_) {
    if (c == '"') quoted = !quoted;
    else if (!quoted && (c == '\n' || c == '\r')) break;
    else if (!quoted) counts[0] += c == ',', counts[1] += c == ';', counts[2] += c == '\t';
  }
  if (counts[1] > counts[0] && counts[1] >= counts[2]) delimiter_ = ';';
  else if (counts[2] > counts[0] && counts[2] > counts[1]) delimiter_ = '\t';
  std::vector<std::string> header;
  if (!read_record(header)) {
    if (!error_) error_ = CsvError{1, "", "the file is empty: a header row is needed"};
    return;
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < header.size(); ++i) {
    auto& name = header[i];
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
    if (name.empty()) {
      error_ = CsvError{1, std::to_string(i + 1), "the header names no column at position " + std::to_string(i + 1)};
      return;
    }
    if (!seen.insert(name).second) {
      error_ = CsvError{1, name, "the header names the column '" + name + "' twice"};
      return;
    }
  }
  header_ = std::move(header);
}

std::string CsvReader::column_name(std::size_t index) const {
  return index < header_.size() ? header_[index] : std::to_string(index + 1);
}

bool CsvReader::next(std::vector<std::string>& fields) {
  if (error_) return false;
  return read_record(fields);
}

bool CsvReader::read_record(std::vector<std::string>& fields) {
  // Blank lines between records are skipped.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
  if (pos_ >= text_.size()) return false;
  ++row_;
  fields.clear();
  fields.emplace_back();
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    auto& field = fields.back();
    if (c == '"' && field.empty()) {
      // A quoted field: up to the closing quote, "" being one quote.
      std::size_t start = ++pos_;
      bool closed = false;
      while (pos_ < text_.size()) {
        auto quote = text_.find('"', pos_);
        if (quote == std::string_view::npos) break;
        field.append(text_.substr(pos_, quote - pos_));
        if (quote + 1 < text_.size() && text_[quote + 1] == '"') {
          field += '"';
          pos_ = quote + 2;
          continue;
        }
        pos_ = quote + 1;
        closed = true;
        break;
      }
      if (!closed) {
        error_ = CsvError{row_, column_name(fields.size() - 1),
                          "a quoted field opened here is never closed (from byte " + std::to_string(start) + ")"};
        return false;
      }
      if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' && text_[pos_] != '\r') {
        error_ = CsvError{row_, column_name(fields.size() - 1), "text follows the closing quote of a quoted field"};
        return false;
      }
      continue;
    }
    if (c == delimiter_) {
      fields.emplace_back();
      ++pos_;
      continue;
    }
    if (c == '\n' || c == '\r') {
      if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      break;
    }
    // An unquoted field runs to the next delimiter or line end.
    std::size_t end = pos_;
    while (end < text_.size() && text_[end] != delimiter_ && text_[end] != '\n' && text_[end] != '\r') ++end;
    field.append(text_.substr(pos_, end - pos_));
    pos_ = end;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!valid_utf8(fields[i])) {
      error_ = CsvError{row_, column_name(i), "the field is not valid UTF-8"};
      return false;
    }
    // PostgreSQL cannot store U+0000 (and no lead means one): refused on both backends.
    if (fields[i].find('\0') != std::string::npos) {
      error_ = CsvError{row_, column_name(i), "the field holds a NUL character (U+0000)"};
      return false;
    }
  }
  return true;
}

}  // namespace de::core
