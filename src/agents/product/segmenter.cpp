#include "agents/product/segmenter.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_set>

#include "agents/product/text.hpp"

namespace de::product {

namespace {

bool states_requirement(std::string_view text) {
  auto lower = to_lower(text);
  for (const auto& w : words_of(lower))
    if (w.lower == "shall" || w.lower == "must" || w.lower == "should" || w.lower == "will") return true;
  for (std::string_view phrase : {"is required to", "are required to", "needs to", "need to", "has to", "have to"})
    if (lower.find(phrase) != std::string::npos) return true;
  return false;
}

// A list item or id-led line is a requirement when it states one, or reads as a statement
// ("Users can export reports.", "The ceiling speed is determined by ..."): a short line without
// a verb or a full stop is a table-of-contents or heading entry.
bool list_item_is_requirement(std::string_view text) {
  if (states_requirement(text)) return true;
  auto words = words_of(text);
  bool sentence = !text.empty() && (text.back() == '.' || text.back() == '!');
  bool verb = std::any_of(words.begin(), words.end(), [](const Word& w) {
    return w.lower == "can" || w.lower == "may" || w.lower == "is" || w.lower == "are" || w.lower == "has" ||
           w.lower == "have" || w.lower == "be";
  });
  return words.size() >= 4 && (sentence || verb);
}

// A leading list marker's length ("- ", "* ", "1. ", "2) ", "a) ", "(iv) "), 0 when there is none.
std::size_t list_marker(std::string_view line) {
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ') return 2;
  std::size_t i = 0;
  bool parenthesis = line.starts_with("(");
  if (parenthesis) ++i;
  std::size_t digits = i;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
  bool numbered = i > digits && i - digits <= 5;
  bool lettered = !numbered && i + 1 < line.size() && std::islower(static_cast<unsigned char>(line[i])) &&
                  (line[i + 1] == ')' || (line[i + 1] == '.' && !parenthesis));
  if (lettered) ++i;
  if (!numbered && !lettered) return 0;
  if (i < line.size() && (line[i] == '.' || line[i] == ')') && i + 1 < line.size() && line[i + 1] == ' ') return i + 2;
  return 0;
}

// A leading requirement id ("FR-12", "REQ_3", "NFR1", "3.1.1.1a", "[SR-4]") and the text after
// it and its separator; nullopt when the line does not start with one.
std::optional<std::pair<std::string, std::string_view>> leading_id(std::string_view line) {
  bool bracket = line.starts_with("[");
  std::size_t i = bracket ? 1 : 0, start = i;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-' || line[i] == '_' || line[i] == '.')) ++i;
  auto id = line.substr(start, i - start);
  while (!id.empty() && id.back() == '.') id.remove_suffix(1);
  if (id.empty() || id.size() > 24) return std::nullopt;
  bool has_digit = std::any_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  bool starts_with_digit = std::isdigit(static_cast<unsigned char>(id[0])) != 0;
  bool dotted = id.find('.') != std::string_view::npos;
  // "FR-1", "NFR12", "REQ_4" start with upper-case letters; a number needs dots ("3.1.2").
  bool letters_then_number = std::isupper(static_cast<unsigned char>(id[0])) && has_digit &&
                             std::all_of(id.begin(), id.end(), [](char c) { return !std::islower(static_cast<unsigned char>(c)); });
  if (!(letters_then_number || (starts_with_digit && dotted))) return std::nullopt;
  if (bracket) {
    if (i >= line.size() || line[i] != ']') return std::nullopt;
    ++i;
  }
  auto rest = line.substr(i);
  auto sep = rest.find_first_not_of(" \t:-)–");
  if (sep == 0 || sep == std::string_view::npos) return std::nullopt;
  return std::pair{std::string(id), trim(rest.substr(sep))};
}

bool table_separator(std::string_view line) {
  return line.starts_with("|") && line.find('-') != std::string_view::npos &&
         line.find_first_not_of("|-: \t") == std::string_view::npos;
}

std::vector<std::string> table_cells(std::string_view line) {
  std::vector<std::string> cells;
  line = trim(line);
  if (line.starts_with("|")) line.remove_prefix(1);
  if (line.ends_with("|")) line.remove_suffix(1);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i)
    if (i == line.size() || (line[i] == '|' && (i == 0 || line[i - 1] != '\\'))) {
      cells.emplace_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  return cells;
}

class Collector {
 public:
  void add(std::string id, std::string_view text) {
    text = trim(text);
    if (text.empty()) return;
    ++count_;
    if (id.empty()) id = "R" + std::to_string(count_);
    // A document that repeats an id still gets unique ones: the answer refers to items by id.
    std::string unique = id;
    for (int n = 2; !ids_.insert(unique).second; ++n) unique = id + "#" + std::to_string(n);
    found_.push_back({std::move(unique), std::string(text)});
  }
  std::vector<RequirementText> take() { return std::move(found_); }

 private:
  std::size_t count_ = 0;
  std::unordered_set<std::string> ids_;
  std::vector<RequirementText> found_;
};

// Column positions of a table's id and requirement text, from its header row.
struct TableColumns {
  std::optional<std::size_t> id, text;
};

TableColumns columns_of(const std::vector<std::string>& header) {
  TableColumns columns;
  for (std::size_t i = 0; i < header.size(); ++i) {
    auto name = to_lower(header[i]);
    if (!columns.id && (name == "id" || name == "#" || name == "no" || name == "no." || name.ends_with(" id") || name == "ref"))
      columns.id = i;
    else if (!columns.text && (name.find("requirement") != std::string::npos || name.find("description") != std::string::npos ||
                               name == "text" || name.find("statement") != std::string::npos))
      columns.text = i;
  }
  return columns;
}

}  // namespace

std::vector<RequirementText> find_requirements(std::string_view document) {
  Collector found;
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= document.size();) {
    auto end = document.find('\n', start);
    if (end == std::string_view::npos) end = document.size();
    lines.push_back(document.substr(start, end - start));
    start = end + 1;
  }

  std::string paragraph;
  std::string item, item_id;
  bool in_item = false;
  auto flush_paragraph = [&] {
    for (auto sentence : sentences_of(paragraph))
      if (states_requirement(sentence)) found.add("", sentence);
    paragraph.clear();
  };
  auto flush_item = [&] {
    if (in_item && list_item_is_requirement(item)) found.add(item_id, item);
    in_item = false;
    item.clear();
    item_id.clear();
  };
  auto flush = [&] {
    flush_item();
    flush_paragraph();
  };

  bool fenced = false;
  std::optional<TableColumns> table;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    auto raw = lines[n];
    auto line = trim(raw);
    if (line.starts_with("```") || line.starts_with("~~~")) {
      flush();
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    if (!line.starts_with("|")) table.reset();
    if (line.empty()) {
      flush();
      continue;
    }
    // Headings: "# Title", or a line underlined with === / --- (Setext).
    if (line.starts_with("#")) {
      flush();
      continue;
    }
    if (n + 1 < lines.size()) {
      auto next = trim(lines[n + 1]);
      if (next.size() >= 3 && next.find_first_not_of('=') == std::string_view::npos) {
        flush();
        ++n;
        continue;
      }
    }
    if (line.find_first_not_of("-=*_ ") == std::string_view::npos) {  // a rule or a Setext underline
      flush();
      continue;
    }
    if (line.starts_with("|")) {
      flush();
      if (table_separator(line)) continue;
      bool header = !table && n + 1 < lines.size() && table_separator(trim(lines[n + 1]));
      auto cells = table_cells(line);
      if (header) {
        table = columns_of(cells);
        continue;
      }
      TableColumns columns = table.value_or(TableColumns{});
      std::string id = columns.id && *columns.id < cells.size() ? cells[*columns.id] : "";
      std::string text;
      if (columns.text && *columns.text < cells.size()) {
        text = cells[*columns.text];
      } else {
        // No named column: the cell that states a requirement, else the longest one.
        for (const auto& cell : cells)
          if (states_requirement(cell) || cell.size() > text.size()) {
            text = cell;
            if (states_requirement(cell)) break;
          }
      }
      if (list_item_is_requirement(text)) found.add(id, text);
      continue;
    }
    if (auto marker = list_marker(line)) {
      flush();
      in_item = true;
      auto rest = trim(line.substr(marker));
      if (auto id = leading_id(rest)) {
        item_id = id->first;
        rest = id->second;
      }
      item = std::string(rest);
      continue;
    }
    if (auto id = leading_id(line)) {
      flush();
      in_item = true;
      item_id = id->first;
      item = std::string(id->second);
      continue;
    }
    if (in_item) {
      item += ' ';
      item += line;
      continue;
    }
    if (!paragraph.empty()) paragraph += ' ';
    paragraph += line;
  }
  flush();
  return found.take();
}

}  // namespace de::product
