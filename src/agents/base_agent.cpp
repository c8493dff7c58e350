#include "agents/base_agent.hpp"

#include "core/error.hpp"

namespace de::agents {

boost::json::value BaseAgent::process_with_ai(const model::Task&) { return nullptr; }

boost::json::value BaseAgent::store_results(const model::Task&, boost::json::value output) { return output; }

void BaseAgent::notify_completion(const model::Task&, const boost::json::value&) {}

hub::Outcome BaseAgent::run(const model::Task& task, const std::atomic<bool>& cancelled) {
  try {
    validate_input(task);
    auto ai_output = process_with_ai(task);
    if (cancelled) return hub::Outcome::failure("cancelled", false);
    auto output = store_results(task, execute_business_logic(task, ai_output));
    notify_completion(task, output);
    return hub::Outcome::success(std::move(output));
  } catch (const core::Error& e) {
    // What a retry cannot change: bad input, a missing record, a state that forbids it (an
    // update sent already), a task type the agent lacks.
    auto kind = e.kind();
    bool permanent = kind == core::ErrorKind::validation || kind == core::ErrorKind::not_implemented ||
                     kind == core::ErrorKind::not_found || kind == core::ErrorKind::conflict;
    // With several fields the detail only counts them ("2 fields are invalid"): name each.
    std::string error = e.what();
    if (e.fields().size() > 1)
      for (const auto& f : e.fields()) error += (&f == &e.fields().front() ? ": " : "; ") + f.field + ": " + f.message;
    return hub::Outcome::failure(error, !permanent);
  } catch (const std::exception& e) {
    return hub::Outcome::failure(e.what(), true);
  }
}

}  // namespace de::agents
