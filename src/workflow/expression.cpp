#include "workflow/expression.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace de::workflow {

namespace json = boost::json;

struct Expression::Node {
  enum Kind { literal, path_root, member, index, unary, binary, call, list } kind;
  json::value value;  // literal
  std::string name;   // identifier, member name, operator or function
  std::vector<std::shared_ptr<const Node>> children;
};

namespace {

using NodePtr = std::shared_ptr<const Expression::Node>;
using Node = Expression::Node;

core::Error syntax(std::string_view text, std::size_t at, std::string_view what) {
  return core::Error(core::ErrorKind::validation, fmt::format("expression \"{}\": {} at character {}", text, what, at + 1));
}

struct Token {
  enum Kind { end, number, string, ident, op } kind;
  std::string text;
  std::size_t at;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t start = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Token::number, std::string(s.substr(start, i - start)), start});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t start = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '-')) ++i;
      out.push_back({Token::ident, std::string(s.substr(start, i - start)), start});
    } else if (c == '"' || c == '\'') {
      std::size_t start = i++;
      std::string text;
      while (i < s.size() && s[i] != c) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        text += s[i++];
      }
      if (i >= s.size()) throw syntax(s, start, "unterminated string");
      ++i;
      out.push_back({Token::string, std::move(text), start});
    } else {
      static constexpr std::string_view two[] = {"==", "!=", "<=", ">=", "&&", "||"};
      std::string_view pair = s.substr(i, 2);
      bool matched = false;
      for (auto t : two)
        if (pair == t) {
          out.push_back({Token::op, std::string(t), i});
          i += 2;
          matched = true;
          break;
        }
      if (matched) continue;
      if (std::string_view("+-*/%<>!().[],").find(c) == std::string_view::npos)
        throw syntax(s, i, fmt::format("unexpected character '{}'", c));
      out.push_back({Token::op, std::string(1, c), i++});
    }
  }
  out.push_back({Token::end, "", s.size()});
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), tokens_(tokenize(text)), limits_(limits) {}

  NodePtr parse() {
    auto node = expression(0);
    if (peek().kind != Token::end) throw syntax(text_, peek().at, fmt::format("unexpected '{}'", peek().text));
    return node;
  }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  bool accept(std::string_view op) {
    if ((peek().kind == Token::op || peek().kind == Token::ident) && peek().text == op) return ++pos_, true;
    return false;
  }
  void expect(std::string_view op) {
    if (!accept(op)) throw syntax(text_, peek().at, fmt::format("expected '{}'", op));
  }
  void deeper(std::size_t depth) {
    if (depth > limits_.max_depth) throw syntax(text_, peek().at, "nested too deeply");
  }

  static int precedence(const std::string& op) {
    if (op == "||" || op == "or") return 1;
    if (op == "&&" || op == "and") return 2;
    if (op == "==" || op == "!=") return 3;
    if (op == "<" || op == "<=" || op == ">" || op == ">=") return 4;
    if (op == "+" || op == "-") return 5;
    if (op == "*" || op == "/" || op == "%") return 6;
    return 0;
  }

  NodePtr expression(std::size_t depth, int min_precedence = 1) {
    deeper(depth);
    auto left = unary(depth + 1);
    while ((peek().kind == Token::op || peek().kind == Token::ident) && precedence(peek().text) >= min_precedence) {
      std::string op = peek().text;
      if (op == "and") op = "&&";
      if (op == "or") op = "||";
      int p = precedence(op);
      ++pos_;
      auto right = expression(depth + 1, p + 1);
      left = std::make_shared<Node>(Node{Node::binary, nullptr, op, {left, right}});
    }
    return left;
  }

  NodePtr unary(std::size_t depth) {
    deeper(depth);
    if (accept("!") || accept("not")) return std::make_shared<Node>(Node{Node::unary, nullptr, "!", {unary(depth + 1)}});
    if (accept("-")) return std::make_shared<Node>(Node{Node::unary, nullptr, "-", {unary(depth + 1)}});
    return postfix(depth + 1);
  }

  NodePtr postfix(std::size_t depth) {
    auto node = primary(depth);
    while (true) {
      if (accept(".")) {
        if (peek().kind != Token::ident) throw syntax(text_, peek().at, "expected a name after '.'");
        node = std::make_shared<Node>(Node{Node::member, nullptr, tokens_[pos_++].text, {node}});
      } else if (accept("[")) {
        auto key = expression(depth + 1);
        expect("]");
        node = std::make_shared<Node>(Node{Node::index, nullptr, "", {node, key}});
      } else {
        return node;
      }
    }
  }

  NodePtr primary(std::size_t depth) {
    const Token& t = peek();
    if (t.kind == Token::number) {
      ++pos_;
      char* end = nullptr;
      double d = std::strtod(t.text.c_str(), &end);
      if (*end) throw syntax(text_, t.at, "malformed number");
      json::value v = (t.text.find('.') == std::string::npos && d < 9e15) ? json::value(std::int64_t(d)) : json::value(d);
      return std::make_shared<Node>(Node{Node::literal, v, "", {}});
    }
    if (t.kind == Token::string) {
      ++pos_;
      return std::make_shared<Node>(Node{Node::literal, json::string(t.text), "", {}});
    }
    if (t.kind == Token::ident) {
      ++pos_;
      if (t.text == "true" || t.text == "false") return std::make_shared<Node>(Node{Node::literal, t.text == "true", "", {}});
      if (t.text == "null") return std::make_shared<Node>(Node{Node::literal, nullptr, "", {}});
      if (accept("(")) {
        Node call{Node::call, nullptr, t.text, {}};
        if (!accept(")")) {
          do call.children.push_back(expression(depth + 1));
          while (accept(","));
          expect(")");
        }
        static constexpr std::string_view functions[] = {"len", "lower", "upper", "contains", "exists", "number", "string"};
        if (std::find(std::begin(functions), std::end(functions), t.text) == std::end(functions))
          throw syntax(text_, t.at, fmt::format("unknown function '{}'", t.text));
        return std::make_shared<Node>(std::move(call));
      }
      return std::make_shared<Node>(Node{Node::path_root, nullptr, t.text, {}});
    }
    if (accept("(")) {
      auto inner = expression(depth + 1);
      expect(")");
      return inner;
    }
    if (accept("[")) {
      Node list{Node::list, nullptr, "", {}};
      if (!accept("]")) {
        do list.children.push_back(expression(depth + 1));
        while (accept(","));
        expect("]");
      }
      return std::make_shared<Node>(std::move(list));
    }
    throw syntax(text_, t.at, t.kind == Token::end ? "unexpected end" : fmt::format("unexpected '{}'", t.text));
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  const Limits& limits_;
};

core::Error type_error(std::string message) { return core::Error(core::ErrorKind::validation, "expression: " + message); }

bool is_number(const json::value& v) { return v.is_number(); }
double number_of(const json::value& v) { return v.to_number<double>(); }

json::value number_result(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return std::int64_t(d);
  return d;
}

bool equal(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) return number_of(a) == number_of(b);
  return a == b;
}

struct Evaluator {
  const Limits& limits;
  std::size_t steps = 0;

  json::value eval(const Node& n, const json::value& context) {
    if (++steps > limits.max_steps) throw type_error("too much work (more than the step limit)");
    switch (n.kind) {
      case Node::literal: return n.value;
      case Node::path_root: {
        if (!context.is_object()) return nullptr;
        auto* v = context.get_object().if_contains(n.name);
        return v ? *v : json::value(nullptr);
      }
      case Node::member: {
        auto base = eval(*n.children[0], context);
        if (!base.is_object()) return nullptr;
        auto* v = base.get_object().if_contains(n.name);
        return v ? *v : json::value(nullptr);
      }
      case Node::index: {
        auto base = eval(*n.children[0], context);
        auto key = eval(*n.children[1], context);
        if (base.is_array() && key.is_int64()) {
          auto i = key.get_int64();
          auto& a = base.get_array();
          if (i < 0) i += std::int64_t(a.size());
          return (i >= 0 && std::size_t(i) < a.size()) ? a[std::size_t(i)] : json::value(nullptr);
        }
        if (base.is_object() && key.is_string()) {
          auto* v = base.get_object().if_contains(key.get_string());
          return v ? *v : json::value(nullptr);
        }
        return nullptr;
      }
      case Node::list: {
        json::array out;
        for (const auto& c : n.children) out.push_back(eval(*c, context));
        return out;
      }
      case Node::unary: {
        auto v = eval(*n.children[0], context);
        if (n.name == "!") return !truthy(v);
        if (!is_number(v)) throw type_error("'-' needs a number");
        return number_result(-number_of(v));
      }
      case Node::call: return call(n, context);
      case Node::binary: return binary(n, context);
    }
    return nullptr;
  }

  json::value binary(const Node& n, const json::value& context) {
    const auto& op = n.name;
    if (op == "&&") return truthy(eval(*n.children[0], context)) && truthy(eval(*n.children[1], context));
    if (op == "||") return truthy(eval(*n.children[0], context)) || truthy(eval(*n.children[1], context));
    auto a = eval(*n.children[0], context);
    auto b = eval(*n.children[1], context);
    if (op == "==") return equal(a, b);
    if (op == "!=") return !equal(a, b);
    if (op == "+" && (a.is_string() || b.is_string())) {
      auto text = [](const json::value& v) { return v.is_string() ? std::string(v.get_string()) : core::to_text(v); };
      auto joined = text(a) + text(b);
      if (joined.size() > limits.max_string) throw type_error("string too long");
      return json::string(joined);
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      int order;
      if (is_number(a) && is_number(b)) order = number_of(a) < number_of(b) ? -1 : number_of(a) > number_of(b) ? 1 : 0;
      else if (a.is_string() && b.is_string()) order = a.get_string().subview().compare(b.get_string().subview());
      else if (a.is_null() || b.is_null()) return false;  // a missing value compares false
      else throw type_error(fmt::format("cannot compare {} and {}", json::to_string(a.kind()), json::to_string(b.kind())));
      if (op == "<") return order < 0;
      if (op == "<=") return order <= 0;
      if (op == ">") return order > 0;
      return order >= 0;
    }
    if (!is_number(a) || !is_number(b)) throw type_error(fmt::format("'{}' needs numbers", op));
    double x = number_of(a), y = number_of(b);
    if (op == "+") return number_result(x + y);
    if (op == "-") return number_result(x - y);
    if (op == "*") return number_result(x * y);
    if (y == 0) throw type_error("division by zero");
    if (op == "/") return number_result(x / y);
    return number_result(std::fmod(x, y));
  }

  json::value call(const Node& n, const json::value& context) {
    std::vector<json::value> args;
    for (const auto& c : n.children) args.push_back(eval(*c, context));
    auto need = [&](std::size_t count) {
      if (args.size() != count) throw type_error(fmt::format("{}() takes {} argument(s)", n.name, count));
    };
    if (n.name == "exists") return need(1), !args[0].is_null();
    if (n.name == "len") {
      need(1);
      if (args[0].is_string()) return std::int64_t(args[0].get_string().size());
      if (args[0].is_array()) return std::int64_t(args[0].get_array().size());
      if (args[0].is_object()) return std::int64_t(args[0].get_object().size());
      return std::int64_t(0);
    }
    if (n.name == "lower" || n.name == "upper") {
      need(1);
      if (!args[0].is_string()) return args[0];
      std::string s(args[0].get_string());
      for (auto& c : s) c = char(n.name == "lower" ? std::tolower(static_cast<unsigned char>(c)) : std::toupper(static_cast<unsigned char>(c)));
      return json::string(s);
    }
    if (n.name == "contains") {
      need(2);
      if (args[0].is_string() && args[1].is_string()) return args[0].get_string().subview().find(args[1].get_string().subview()) != std::string_view::npos;
      if (args[0].is_array())
        for (const auto& item : args[0].get_array())
          if (equal(item, args[1])) return true;
      return false;
    }
    if (n.name == "number") {
      need(1);
      if (is_number(args[0])) return args[0];
      if (args[0].is_string()) {
        char* end = nullptr;
        std::string s(args[0].get_string());
        double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && !*end) return number_result(d);
      }
      return nullptr;
    }
    need(1);  // string
    return args[0].is_string() ? args[0] : json::value(json::string(core::to_text(args[0])));
  }
};

void collect_paths(const Node& n, std::vector<std::vector<std::string>>& out) {
  if (n.kind == Node::path_root) {
    out.push_back({n.name});
    return;
  }
  if (n.kind == Node::member && !n.children.empty()) {
    std::vector<std::vector<std::string>> inner;
    collect_paths(*n.children[0], inner);
    if (n.children[0]->kind == Node::path_root || n.children[0]->kind == Node::member) {
      if (!inner.empty()) inner.back().push_back(n.name);
    }
    out.insert(out.end(), inner.begin(), inner.end());
    return;
  }
  for (const auto& c : n.children) collect_paths(*c, out);
}

// Calls `f(expression text, start, end)` for each {{ ... }} in `s`.
template <class F>
void each_template(std::string_view s, F f) {
  std::size_t pos = 0;
  while ((pos = s.find("{{", pos)) != std::string_view::npos) {
    auto end = s.find("}}", pos + 2);
    if (end == std::string_view::npos)
      throw core::Error(core::ErrorKind::validation, fmt::format("template \"{}\": '{{{{' without '}}}}'", s));
    f(s.substr(pos + 2, end - pos - 2), pos, end + 2);
    pos = end + 2;
  }
}

}  // namespace

bool truthy(const json::value& v) {
  if (v.is_null()) return false;
  if (v.is_bool()) return v.get_bool();
  if (v.is_number()) return v.to_number<double>() != 0;
  if (v.is_string()) return !v.get_string().empty();
  if (v.is_array()) return !v.get_array().empty();
  return !v.get_object().empty();
}

Expression Expression::parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_length)
    throw core::Error(core::ErrorKind::validation, fmt::format("expression longer than {} characters", limits.max_length));
  Expression e;
  e.root_ = Parser(text, limits).parse();
  e.limits_ = limits;
  return e;
}

json::value Expression::evaluate(const json::value& context) const {
  Evaluator evaluator{limits_};
  return evaluator.eval(*root_, context);
}

std::vector<std::vector<std::string>> Expression::paths() const {
  std::vector<std::vector<std::string>> out;
  collect_paths(*root_, out);
  return out;
}

json::value render(const json::value& value, const json::value& context, const Limits& limits) {
  if (value.is_object()) {
    json::object out;
    for (const auto& [k, v] : value.get_object()) out[k] = render(v, context, limits);
    return out;
  }
  if (value.is_array()) {
    json::array out;
    for (const auto& v : value.get_array()) out.push_back(render(v, context, limits));
    return out;
  }
  if (!value.is_string()) return value;
  std::string_view s = value.get_string();
  auto trimmed_start = s.find_first_not_of(' '), trimmed_end = s.find_last_not_of(' ');
  if (trimmed_start != std::string_view::npos && s.substr(trimmed_start, 2) == "{{" &&
      s.substr(trimmed_end - 1, 2) == "}}" && s.find("{{", trimmed_start + 2) == std::string_view::npos)
    return Expression::parse(s.substr(trimmed_start + 2, trimmed_end - trimmed_start - 3), limits).evaluate(context);
  std::string out;
  std::size_t copied = 0;
  each_template(s, [&](std::string_view expression, std::size_t start, std::size_t end) {
    out.append(s.substr(copied, start - copied));
    auto v = Expression::parse(expression, limits).evaluate(context);
    out += v.is_string() ? std::string(v.get_string()) : v.is_null() ? std::string() : core::to_text(v);
    if (out.size() > limits.max_string) throw type_error("template result too long");
    copied = end;
  });
  out.append(s.substr(copied));
  return json::string(out);
}

void check_templates(const json::value& value, std::vector<std::vector<std::string>>& paths, const Limits& limits) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.get_object()) check_templates(v, paths, limits);
  } else if (value.is_array()) {
    for (const auto& v : value.get_array()) check_templates(v, paths, limits);
  } else if (value.is_string()) {
    each_template(value.get_string(), [&](std::string_view expression, std::size_t, std::size_t) {
      auto p = Expression::parse(expression, limits).paths();
      paths.insert(paths.end(), p.begin(), p.end());
    });
  }
}

}  // namespace de::workflow
