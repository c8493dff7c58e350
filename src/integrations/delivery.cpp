#include "integrations/delivery.hpp"

#include "core/error.hpp"
#include "core/json.hpp"

namespace de::integrations {

namespace json = boost::json;

bool deliverable(std::string_view channel) { return channel == "email" || channel == "slack"; }

Destination read_destination(const json::object& input, const std::string& prefix) {
  static constexpr std::string_view channels[] = {"email", "slack"};
  core::ObjectReader r(input, prefix);
  Destination d;
  if (auto channel = r.choice("channel", true, channels)) d.channel = *channel;
  d.to = r.string("to", false, 320);
  d.integration = r.string("integration", false, 200);
  if (d.channel == "email" && (!d.to || d.to->find('@') == std::string::npos))
    r.error("to", "an email address is needed to send by email");
  r.finish();
  return d;
}

Account account_for(store::Connection& c, std::string_view master_key, const Message& message,
                    const std::optional<std::string>& reference, std::string_view field) {
  if (!deliverable(message.channel))
    throw core::Error(core::ErrorKind::validation, "the platform sends by email or slack, not by " + message.channel);
  if (reference) return usable_account(c, master_key, *reference, message.channel, std::string(field));
  std::vector<store::integrations::Integration> active;
  store::PageRequest page;
  page.limit = 100;
  for (auto& i : store::integrations::list(c, message.channel, page).items)
    if (i.is_active) active.push_back(std::move(i));
  if (active.empty())
    throw core::Error(core::ErrorKind::conflict, "no active " + message.channel +
                                                     " integration sends this: connect one (POST /api/v1/integrations)");
  if (active.size() > 1)
    throw core::Error(core::ErrorKind::conflict, std::to_string(active.size()) + " active " + message.channel +
                                                     " integrations could send this: name one in '" + std::string(field) + "'");
  return account_of(active.front(), master_key);
}

boost::asio::awaitable<Delivery> deliver(Connectors& clients, const Account& account, const Message& message) {
  json::object input;
  if (message.channel == "email") {
    if (message.to) input["to"] = *message.to;
    input["subject"] = message.subject;
    input["text"] = message.text;
  } else {
    if (message.to) input["channel"] = *message.to;
    input["text"] = "*" + message.subject + "*\n\n" + message.text;
  }
  auto result = co_await clients.act(account, message.channel == "email" ? "send_email" : "post_message", input);
  co_return Delivery{account.id, std::move(result)};
}

}  // namespace de::integrations
