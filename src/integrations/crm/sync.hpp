#pragma once
// Two-way CRM sync (docs/integrations.md, "CRM sync"): pull the vendor's changes after the
// stored cursor into our leads and deals, push ours, find and record per-field conflicts.
// Each pulled page commits with its links and the cursor past it, so a run stopped anywhere
// (kill -9) resumes where it stopped, without a duplicate on either side.
#include <boost/asio/awaitable.hpp>

#include "integrations/crm/client.hpp"
#include "store/database.hpp"
#include "store/sync_repository.hpp"

namespace de::integrations::crm {

struct SyncOptions {
  std::vector<std::string> stages;  // the deal stages a pulled deal may take, the first for unknown ones
  std::int64_t push_batch = 100;
};

// What sync needs of an integration (hubspot or salesforce): its base URL from config
// (`base_url`, HubSpot's by default; Salesforce's `instance_url`), its credentials unsealed
// under `master_key`, its mapping (config.mapping over the vendor's defaults). Throws
// bad_request for another type or missing credentials, validation for a bad mapping.
Endpoint endpoint_for(const store::sync::IntegrationRow& integration, std::string_view master_key);

// How a run begins: who asked, and the node that holds it and for how long.
struct RunStart {
  std::string origin = "manual";  // or schedule
  std::string owner;              // the node
  std::int64_t lease_ms = 30'000;
  // For a scheduled run: none is begun when the latest run started less than this ago.
  std::optional<std::int64_t> every_ms;
};

// Whether a schedule of `every_ms` is due: the integration's latest run started at least that
// long before `now`, or it never ran.
bool sync_due(store::Connection& c, const std::string& integration_id, std::int64_t every_ms, std::int64_t now);

// A run of `integration_id`, recorded as running under the node's lease (event
// sync.run_started); none when a scheduled run is not due yet. Throws conflict while another
// run of it goes on, on any node (runs whose node stopped are marked interrupted first).
std::optional<store::sync::Run> begin_run(store::Tx& tx, const std::string& integration_id, const RunStart& start);

// Pulls then pushes every object the endpoint's mapping names; the run as it finished
// (succeeded, or failed with its error: what it committed before stays; sync.run_finished).
boost::asio::awaitable<store::sync::Run> run_sync(store::Database& db, Client& client, const Endpoint& endpoint,
                                                  store::sync::Run run, SyncOptions options);

// Records the run as finished: succeeded, or failed with `error` (sync.run_finished).
boost::asio::awaitable<store::sync::Run> finish_run(store::Database& db, store::sync::Run run, std::optional<std::string> error);

// A person's answer to a conflict: "remote" sets the local field to the remote value, "local"
// keeps (or puts back) the local value, which the next run pushes. Throws not_found, or
// conflict when it is resolved already.
store::sync::Conflict resolve_conflict(store::Tx& tx, const std::string& id, const std::string& value,
                                       const std::optional<std::string>& by);

}  // namespace de::integrations::crm
