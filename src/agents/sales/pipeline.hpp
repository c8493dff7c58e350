#pragma once
// The PipelineManager (docs/sales.md, "Pipeline and forecast"): the stage set, money amounts,
// and the changes to deals, each written with its stage history and its deals.* events.
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "core/money.hpp"
#include "store/database.hpp"
#include "store/deal_repository.hpp"

namespace de::agents::sales {

using store::deals::Deal;

// Exact money (core/money.hpp), as the sales code names it.
using core::currency_exponent;
using core::format_money;
using core::parse_money;

// ---- stages: configured open stages in order, then the closing ones ----
class Stages {
 public:
  explicit Stages(std::vector<std::string> open);
  const std::vector<std::string>& open() const { return open_; }
  // 1 for the first open stage ...; 0 for won, lost and unknown stages.
  int rank(std::string_view stage) const;
  static bool closed(std::string_view stage) { return stage == "won" || stage == "lost"; }
  // The open stages, won and lost: the values a deal's stage may take.
  const std::vector<std::string_view>& all() const { return all_; }

 private:
  std::vector<std::string> open_;
  std::vector<std::string_view> all_;
};

class PipelineManager {
 public:
  explicit PipelineManager(std::vector<std::string> open_stages) : stages_(std::move(open_stages)) {}
  const Stages& stages() const { return stages_; }

  // Each checks the whole body first (a validation error names every bad field) and writes
  // nothing unless it is valid; `by` is the user making the change.
  Deal create(store::Tx& tx, const boost::json::object& body, const std::optional<std::string>& by) const;
  // A PATCH: the fields given change; a new stage is a stage change (history, closed_at, and a
  // deals.stage_changed event besides deals.updated).
  Deal update(store::Tx& tx, const std::string& id, const boost::json::object& body,
              const std::optional<std::string>& by) const;
  void remove(store::Tx& tx, const std::string& id) const;

 private:
  // Reads the fields of `body` into `deal` (`creating`: name and amount are required).
  void read(const boost::json::object& body, Deal& deal, bool creating) const;

  Stages stages_;
};

using store::deals::to_json;

}  // namespace de::agents::sales
