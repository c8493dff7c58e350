#include <gtest/gtest.h>

#include "model/model.hpp"
#include "model/password.hpp"

using namespace de;

TEST(Model, ReadsAValidTaskWithDefaults) {
  std::vector<core::FieldError> errors;
  auto t = model::read_new_task(core::parse_object(R"({"type":"echo","input_data":{"v":1}})"), "", errors);
  ASSERT_TRUE(t);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(t->title, "echo");
  EXPECT_EQ(t->priority, "normal");
  EXPECT_EQ(t->input_data.at("v").as_int64(), 1);
}

TEST(Model, NamesBadTaskFieldsWithTheirPrefix) {
  std::vector<core::FieldError> errors;
  auto t = model::read_new_task(
      core::parse_object(R"({"type":"Bad Type","priority":"urgent","max_attempts":0,"assigned_agent":"x"})"),
      "tasks[2]", errors);
  EXPECT_FALSE(t);
  std::set<std::string> fields;
  for (const auto& e : errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"tasks[2].type", "tasks[2].priority", "tasks[2].max_attempts",
                                           "tasks[2].assigned_agent"}));
}

TEST(Model, PrioritiesRankCriticalFirst) {
  EXPECT_GT(model::priority_rank("critical"), model::priority_rank("high"));
  EXPECT_GT(model::priority_rank("high"), model::priority_rank("normal"));
  EXPECT_GT(model::priority_rank("normal"), model::priority_rank("low"));
}

TEST(Model, ReadsUsersAndRejectsBadOnes) {
  auto u = model::read_new_user(core::parse_object(
      R"({"email":"Ann@Example.com","password":"long enough phrase","roles":["manager","viewer"]})"));
  EXPECT_EQ(u.email, "ann@example.com");
  EXPECT_EQ(u.username, "ann");
  EXPECT_EQ(model::role_list(u.roles), (std::vector<std::string>{"manager", "viewer"}));
  try {
    model::read_new_user(core::parse_object(R"({"email":"no-at","password":"short","roles":["god"]})"));
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.fields().size(), 3u);
  }
}

TEST(Model, PasswordPolicyNamesTheRuleABadPasswordBreaks) {
  auto problem = [](std::string_view password, std::string_view email = "ann@example.com") {
    return model::password_problem(password, email);
  };
  EXPECT_EQ(problem("correct horse battery staple"), "");
  EXPECT_EQ(problem("\u00e7\u00e0\u00e9\u00e8\u00ea\u00eb\u00ef\u00ee\u00f4\u00fb\u00fc\u00ff"), "") << "12 characters in 24 bytes";
  EXPECT_EQ(problem("elevenchars"), "must be at least 12 characters");
  EXPECT_EQ(problem(std::string(257, 'x') + "abcd"), "must be at most 256 characters");
  EXPECT_EQ(problem("QWERTYUIOP123"), "is a commonly used password (found in breached-password lists)");
  EXPECT_EQ(problem("Summer2024!!!"), "is a commonly used password with only digits or symbols added");
  EXPECT_EQ(problem("abababababab"), "is a run or repetition of characters");
  EXPECT_EQ(problem("123456789012"), "is a run or repetition of characters") << "digits wrap from 9 to 0";
  EXPECT_EQ(problem("zyxwvutsrqpo"), "is a run or repetition of characters");
  EXPECT_EQ(problem("my name is Ann-Marie!", "ann-marie@example.com"), "must not contain the name of your email address (ann-marie)");
  EXPECT_EQ(problem("ann is fine here", "an@example.com"), "") << "local parts under 3 characters are not looked for";
  EXPECT_EQ(problem("my Digital Enterprise pw"), "must not contain the product's name");
}

TEST(Model, UserJsonNeverCarriesTheHash) {
  model::User u;
  u.password_hash = "$argon2id$secret";
  auto text = core::to_text(model::to_json(u));
  EXPECT_EQ(text.find("argon2"), std::string::npos);
  EXPECT_EQ(text.find("password"), std::string::npos);
}

TEST(Model, DefaultCapabilitiesFollowTheAgentType) {
  EXPECT_EQ(model::default_capabilities("echo"), std::vector<std::string>{"echo"});
  EXPECT_EQ(model::default_capabilities("sales"), (std::vector<std::string>{"sales.score_lead", "sales.train_lead_model",
                                                                            "sales.pipeline_forecast", "sales.sync_crm"}));
  // The task types that reach vendors are described, so an assistant offered one gets its schema.
  for (auto task_type : {"sales.sync_crm", "product.send_stakeholder_update", "product.publish_requirements"}) {
    EXPECT_TRUE(model::task_type_info(task_type)) << task_type;
  }
  EXPECT_TRUE(model::default_capabilities("remote").empty());
}

TEST(Model, AnEventsWireTextIsTheEventAsJson) {
  model::Event e(42, "tasks.\"odd\" topic\n", boost::json::parse(R"({"id":"x","n":[1,2.5,null],"s":"\u00e9\"\\"})"),
                 1764325000123);
  auto wire = boost::json::parse(model::to_wire(e, boost::json::serialize(e.data())));
  EXPECT_EQ(wire, (boost::json::value{{"type", "event"},
                                      {"id", 42},
                                      {"topic", e.topic},
                                      {"data", e.data()},
                                      {"ts", "2025-11-28T10:16:40.123Z"}}));
}

TEST(Model, ATasksTextIsItsJsonSerialized) {
  model::Task t;
  t.id = "01a236c7-4ef8-7002-9502-5f03ff8a589f";
  t.title = "quote \" backslash \\ tab \t newline \n bell \x07 unit \x1f del \x7f é ✓";
  t.type = "echo";
  t.input_data = boost::json::parse(R"({"n":1,"s":"a\"b","nested":{"list":[1,2.5,null,true]}})").as_object();
  auto unset = model::to_text(t);
  EXPECT_EQ(unset, core::to_text(model::to_json(t)));
  EXPECT_EQ(boost::json::parse(unset), boost::json::value(model::to_json(t)));

  t.status = "completed";
  t.assigned_agent = t.pinned_agent = "agent";
  t.workflow_execution_id = "execution";
  t.created_by = "user";
  t.output_data = boost::json::parse(R"(["x",{"y":-3}])");
  t.error = "it \"failed\"";
  t.attempts = 2;
  t.started_at = 1764325000123;
  t.completed_at = 1764325000456;
  t.created_at = 1764325000000;
  t.updated_at = 1764325000456;
  EXPECT_EQ(model::to_text(t), core::to_text(model::to_json(t)));
  EXPECT_EQ(core::quoted(t.title), boost::json::serialize(boost::json::string(t.title)));
}

TEST(Model, ATaskEventsDataIsItsTasksJson) {
  model::Task t;
  t.id = "01a236c7-4ef8-7002-9502-5f03ff8a589f";
  t.type = "echo";
  t.status = "completed";
  t.output_data = boost::json::parse(R"({"n":1})");
  auto task = std::make_shared<const model::Task>(t);
  model::Event e(7, "tasks.completed", task, 1764325000123);
  EXPECT_EQ(e.task, task);
  EXPECT_EQ(e.data(), boost::json::value(model::to_json(t)));
  model::Event plain(8, "agents.updated", boost::json::parse(R"({"id":"a"})"), 1764325000123);
  EXPECT_EQ(plain.task, nullptr);
  EXPECT_EQ(plain.data().at("id"), "a");
}

namespace {
model::Agent agent_offering(std::string name, std::string status, std::vector<std::string> capabilities) {
  model::Agent a;
  a.id = name + "-id";
  a.name = std::move(name);
  a.status = std::move(status);
  a.capabilities = std::move(capabilities);
  return a;
}
}  // namespace

TEST(Model, WarnsAboutAWaitingTaskNoAgentCanRun) {
  std::vector<model::Agent> agents{agent_offering("Echo", "idle", {"echo"}),
                                   agent_offering("Sales", "stopped", {"sales.score_lead"})};
  model::Task task;
  task.type = "no.such.type";
  auto warnings = model::task_warnings(task, agents);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "no_capable_agent");
  EXPECT_NE(warnings[0].detail.find("no.such.type"), std::string::npos);

  task.type = "sales.score_lead";
  warnings = model::task_warnings(task, agents);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "agent_stopped");
  EXPECT_EQ(warnings[0].agent_id, "Sales-id");

  task.type = "echo";
  EXPECT_TRUE(model::task_warnings(task, agents).empty());
  task.pinned_agent = "Sales-id";  // pinned: only that agent counts, whatever it offers
  EXPECT_EQ(model::task_warnings(task, agents).at(0).code, "agent_stopped");
  task.status = "running";
  EXPECT_TRUE(model::task_warnings(task, agents).empty());
}

TEST(Model, AStartedCapableAgentAmongStoppedOnesMeansNoWarning) {
  std::vector<model::Agent> agents{agent_offering("Old", "stopped", {"echo"}), agent_offering("New", "busy", {"echo"})};
  EXPECT_TRUE(model::type_warnings("echo", std::nullopt, agents).empty());
  EXPECT_TRUE(model::type_warnings("echo", std::string("New-id"), agents).empty());
}
