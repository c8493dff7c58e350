#pragma once
// Email over SMTP (libcurl): the credential check (connect, EHLO, STARTTLS, AUTH, NOOP) and
// sending one message. Blocking calls: the connectors run them on their own small pool.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace de::integrations {

struct SmtpSettings {
  std::string url;        // smtp://host:port or smtps://host:port
  bool require_tls = true;  // STARTTLS required (smtp://), or used when offered
  std::optional<std::string> username, password;
  std::chrono::milliseconds timeout{15000};
};

struct Mail {
  std::string from;  // as in config.from: "Name <address>" or an address
  std::vector<std::string> to, cc;
  std::string subject, text;
};

// What failed, by stage: "connect", "starttls", "auth", "send"; empty stage and detail when all passed.
struct SmtpOutcome {
  std::string failed_stage, detail;
  bool ok() const { return failed_stage.empty(); }
};

SmtpOutcome smtp_check(const SmtpSettings& settings);
// The message as sent (RFC 5322), with its Message-ID and Date.
std::string format_mail(const Mail& mail, const std::string& message_id, std::int64_t now_ms);
// The address inside "Name <address>", or the text itself.
std::string mail_address(const std::string& mailbox);
SmtpOutcome smtp_send(const SmtpSettings& settings, const Mail& mail, const std::string& message);

}  // namespace de::integrations
