#pragma once
// The communication adapter (docs/integrations.md, "Delivering a message"): a message to a
// person or a channel, by email or Slack, through the integration of that type that the caller
// names or, when none is named, the only active one.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "integrations/connectors.hpp"
#include "store/database.hpp"

namespace de::integrations {

struct Message {
  std::string channel;            // "email" or "slack"
  std::optional<std::string> to;  // an address (email), a channel or member id (Slack: else its default_channel)
  std::string subject, text;
};

struct Delivery {
  std::string integration_id;
  boost::json::object result;  // the action's (email: message_id, accepted; Slack: ts, channel)
};

// Whether the platform sends by `channel` (email, slack).
bool deliverable(std::string_view channel);

// Where a task sends what it made (a report's `send`): {"channel": "email"|"slack", "to"?,
// "integration"?}; email needs `to`. Errors name the fields after `prefix`.
struct Destination {
  std::string channel;
  std::optional<std::string> to, integration;
};
Destination read_destination(const boost::json::object& input, const std::string& prefix);

// The integration that sends `message`: `reference` (an id or a name), which must be of the
// message's channel, or the only active integration of that type. Throws validation naming
// `field` for a wrong or switched-off one, conflict when there is none or several to choose from.
Account account_for(store::Connection& c, std::string_view master_key, const Message& message,
                    const std::optional<std::string>& reference, std::string_view field = "integration");

// Sends it: Slack gets the subject in bold above the text. Throws as Connectors::act does.
boost::asio::awaitable<Delivery> deliver(Connectors& clients, const Account& account, const Message& message);

}  // namespace de::integrations
