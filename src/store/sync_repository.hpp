#pragma once
// CRM sync's tables (docs/integrations.md, "CRM sync"): pull cursors, links between remote
// records and our leads, companies and deals, sync runs and the conflicts they found.
#include <boost/json/object.hpp>

#include <set>

#include "store/repositories.hpp"

namespace de::store::sync {

// What sync reads of an integration's row (the integrations table of migration 1).
struct IntegrationRow {
  std::string id, type;
  boost::json::object config;
  std::optional<std::string> credentials_sealed;  // a JSON object, sealed under the master key
  bool is_active = true;
};
std::optional<IntegrationRow> integration(Connection& c, const std::string& id);
// The active CRM (hubspot, salesforce) integrations.
std::vector<IntegrationRow> active_crm_integrations(Connection& c);

struct Link {
  std::string integration_id, object_type, local_id;
  std::optional<std::string> remote_id;  // none while the remote record is being created
  boost::json::object synced_values;     // the field values both sides held after the last sync
  std::int64_t local_synced_at = 0;      // the local record's updated_at then (0: check it again)
  std::int64_t remote_modified_at = 0;
};

// Links of these remote ids, by remote id.
std::map<std::string, Link> links_by_remote(Connection& c, const std::string& integration_id, const std::string& object_type,
                                            const std::vector<std::string>& remote_ids);
std::optional<Link> link_by_local(Connection& c, const std::string& integration_id, const std::string& object_type,
                                  const std::string& local_id);
// Inserted, or updated (same integration, type and local id).
// The object types each of these local records is linked under in the integration.
std::map<std::string, std::set<std::string>> link_types_by_local(Connection& c, const std::string& integration_id,
                                                                 const std::vector<std::string>& local_ids);
void save(Connection& c, const Link& link, std::int64_t now);
void save(Connection& c, const std::vector<Link>& links, std::int64_t now);  // many rows per statement
void remove_link(Connection& c, const std::string& integration_id, const std::string& object_type,
                 const std::string& local_id);
// The links whose local record (in `table`: leads, companies or deals) is deleted, among a page of the
// integration's links after `after_local_id` in local id order; `last` is the page's last local
// id, empty when no link follows.
struct OrphanPage {
  std::vector<Link> links;
  std::string last;
};
OrphanPage links_without_local(Connection& c, std::string_view table, const std::string& integration_id,
                               const std::string& object_type, const std::string& after_local_id);
// Links whose remote record was being created when a run stopped.
std::vector<Link> unfinished_creates(Connection& c, const std::string& integration_id, const std::string& object_type);

std::optional<std::int64_t> cursor(Connection& c, const std::string& integration_id, const std::string& object_type);
void set_cursor(Connection& c, const std::string& integration_id, const std::string& object_type, std::int64_t modified_ms,
                std::int64_t now);

// Which local records an object's push takes.
struct PushScope {
  bool creates = true;  // unlinked records too (to create remotely)
  // Records linked under any of these object types are theirs to push, not this one's (a
  // Salesforce Contact before the Lead it was converted from).
  std::vector<std::string> yield_to;
};
// Ids of the rows of `table` (leads, companies or deals) to push for `object_type`: changed since their
// link's last sync, and unlinked ones as `scope` says; ordered by id, after `after_id`.
std::vector<std::string> changed_since_sync(Connection& c, std::string_view table, const std::string& integration_id,
                                            const std::string& object_type, const PushScope& scope,
                                            const std::string& after_id, std::int64_t limit);

struct Run {
  std::string id, integration_id;
  std::string status = "running";  // running, succeeded, failed, interrupted
  std::int64_t pulled = 0, pushed = 0, conflicts = 0;
  std::optional<std::string> error;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> finished_at;
  std::string origin = "manual";  // manual (a person, through the API) or schedule
  std::optional<std::string> lease_owner;  // the node running it
  std::optional<std::int64_t> lease_expires_at;
};
// One running run per integration (a unique index): a second one is a conflict.
void insert(Connection& c, const Run& run);
// Status, counts, error and finished_at.
void update(Connection& c, const Run& run);
std::optional<Run> find_run(Connection& c, const std::string& id);
// The integration's running run, if any.
std::optional<Run> running_run(Connection& c, const std::string& integration_id);
// When the integration's latest run started.
std::optional<std::int64_t> last_started(Connection& c, const std::string& integration_id);
// Runs marked running whose node stopped become interrupted; how many. `all`: every running
// run (one node: whatever ran before this process stopped); otherwise those whose lease ran out.
std::int64_t interrupt_running(Connection& c, bool all, std::int64_t now);
// Extends a running run's lease; false when it is no longer running under `owner`.
bool renew_lease(Connection& c, const std::string& id, const std::string& owner, std::int64_t expires_at);
Page<Run> runs(Connection& c, const std::string& integration_id, const PageRequest& page);  // newest first
boost::json::object to_json(const Run& run);

struct Conflict {
  std::string id, integration_id, run_id, object_type, local_id, remote_id, field;
  std::string local_value, remote_value;
  std::int64_t local_modified_at = 0, remote_modified_at = 0;
  std::string rule;     // the field's truth: local, remote, latest
  std::string applied;  // the side the rule took: local or remote
  std::string status = "open";  // open, resolved
  std::optional<std::string> resolved_value, resolved_by;  // local or remote; who
  std::int64_t created_at = 0;
  std::optional<std::int64_t> resolved_at;
};
void insert(Connection& c, const Conflict& conflict);
std::optional<Conflict> find_conflict(Connection& c, const std::string& id);
void resolve(Connection& c, const std::string& id, const std::string& value, const std::optional<std::string>& by,
             std::int64_t now);
// Oldest first, of one status when given.
Page<Conflict> conflicts(Connection& c, const std::optional<std::string>& status, const PageRequest& page);
std::int64_t count_conflicts(Connection& c, const std::string& integration_id);
boost::json::object to_json(const Conflict& conflict);

}  // namespace de::store::sync
