#pragma once
// Features from a lead's attributes, by themselves: each column is read as a number, a
// boolean, a date or a category from the values it holds in the training rows, values that
// mean "missing" are recognised (empty, "NA", "null", "-", "Select", ...), rare categories are
// grouped and unseen ones handled. The specification is stored with the model, so scoring
// encodes a lead exactly as training did.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace de::agents::sales {

enum class ColumnKind { number, boolean, date, category };

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::number;
  std::vector<std::string> levels;  // category: the levels kept, one feature each
  bool other = false;               // category: a feature for rare and unseen levels
  bool missing = false;             // category: a feature for missing values
  std::size_t first = 0;            // index of its first feature
  std::size_t width = 1;            // how many features it makes
};

// A column training did not use, and why.
struct IgnoredColumn {
  std::string name;
  std::string reason;
};

// The text of an attribute value (numbers and booleans written as JSON does); nullopt when the
// value means missing.
std::optional<std::string> present_text(const boost::json::value& value);
// True for the texts that mean "no value": "", "NA", "N/A", "null", "None", "-", "?",
// "unknown", "Select", "Please select", ...
bool means_missing(std::string_view text);

class FeatureSpec {
 public:
  // Learns the columns from `rows` (no outcome needed); `exclude` are left out.
  static FeatureSpec learn(std::span<const boost::json::object* const> rows, const std::set<std::string>& exclude);
  static FeatureSpec from_json(const boost::json::value& spec);
  boost::json::object to_json() const;

  std::size_t width() const { return width_; }
  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<IgnoredColumn>& ignored() const { return ignored_; }
  // For each feature, its column's index.
  const std::vector<std::size_t>& feature_column() const { return feature_column_; }
  std::vector<std::string> feature_names() const;
  // Writes width() floats for `attributes` (NaN: missing); unknown attributes are ignored.
  void encode(const boost::json::object& attributes, float* out) const;

 private:
  void add(Column column);

  std::vector<Column> columns_;
  std::vector<IgnoredColumn> ignored_;
  std::vector<std::size_t> feature_column_;
  std::size_t width_ = 0;
};

}  // namespace de::agents::sales
