// SPDX-License-Identifier: Apache-2.0
// The CEL subset of cel.h: a lexer, a recursive-descent parser following CEL's grammar
// (cel-spec doc/langdef.md "Syntax") with an explicit depth bound, a light type check standing for
// cel-go's checker, and a tree-walking evaluator with CEL's error semantics (commutative && and ||,
// errors absorbed by exists/all) under a cost budget.
#include "flux/cel.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace fluxsim::flux::cel {

const Value* Value::field(std::string_view key) const {
  if (type() != Type::Map) return nullptr;
  for (const auto& [k, v] : as_map())
    if (k == key) return &v;
  return nullptr;
}

const char* type_name(Value::Type t) {
  switch (t) {
    case Value::Type::Null: return "null_type";
    case Value::Type::Bool: return "bool";
    case Value::Type::Int: return "int";
    case Value::Type::Double: return "double";
    case Value::Type::String: return "string";
    case Value::Type::List: return "list";
    case Value::Type::Map: return "map";
  }
  return "dyn";
}

std::string to_string(const Problem& p) { return fmt::format("{}:{}: {}", p.at.line, p.at.column, p.message); }

// ----- the tree --------------------------------------------------------------------------------------

enum class Op : std::uint8_t {
  Literal,
  Var,
  Local,
  Select,
  Index,
  Not,
  Neg,
  And,
  Or,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  In,
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  Ternary,
  ListLit,
  MapLit,
  Has,
  Size,
  StartsWith,
  EndsWith,
  Contains,
  ToInt,
  ToString,
  ToDouble,
  Exists,
  All,
  ExistsOne,
  Filter,
  MapMacro,
};

// Static types, as far as the check needs them (cel-go's checker, reduced).
enum class Ty : std::uint8_t { Dyn, Null, Bool, Int, Double, String, List, Map };

static const char* ty_name(Ty t) {
  switch (t) {
    case Ty::Dyn: return "dyn";
    case Ty::Null: return "null_type";
    case Ty::Bool: return "bool";
    case Ty::Int: return "int";
    case Ty::Double: return "double";
    case Ty::String: return "string";
    case Ty::List: return "list(dyn)";
    case Ty::Map: return "map(string, dyn)";
  }
  return "dyn";
}

struct Program::Node {
  Op op = Op::Literal;
  Ty ty = Ty::Dyn;
  Position at;
  int height = 1;
  std::int32_t slot = 0;  // Var: 0 self, 1 dep; Local: scope slot; macros: slot of the bound variable
  Value literal;
  std::string name;  // Select: the field
  std::vector<std::uint32_t> args;
};

using Node = Program::Node;

Program::Program(std::vector<Node> nodes, std::uint32_t root, std::string text)
    : nodes_(std::move(nodes)), root_(root), text_(std::move(text)) {}
Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

namespace {

// ----- lexer -----------------------------------------------------------------------------------------

enum class Tok : std::uint8_t {
  End,
  Ident,
  Int,
  Double,
  String,
  True,
  False,
  Null,
  In,
  Dot,
  Comma,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Question,
  Colon,
  Not,
  And,
  Or,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
};

struct Token {
  Tok kind = Tok::End;
  Position at;
  std::string text;  // identifier or string value
  std::int64_t i = 0;
  double d = 0;
};

struct Fail {
  Problem problem;
};

[[noreturn]] void invalid(Position at, std::string message) {
  throw Fail{Problem{Problem::Kind::Invalid, at, std::move(message)}};
}
[[noreturn]] void unsupported(Position at, std::string message) {
  throw Fail{Problem{Problem::Kind::Unsupported, at, std::move(message)}};
}

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10; }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      Token t;
      t.at = pos_;
      if (i_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      lex(t);
      out.push_back(std::move(t));
    }
  }

 private:
  char peek(std::size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void advance() {
    const char c = s_[i_++];
    if (c == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++pos_.column;  // columns count code points
    }
  }
  void skip_space() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        advance();
      } else if (c == '/' && peek(1) == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') advance();
      } else {
        break;
      }
    }
  }

  void lex(Token& t) {
    const char c = peek();
    if (is_ident_start(c)) {
      // String prefixes: r/R raw, b/B bytes.
      if ((c == 'r' || c == 'R' || c == 'b' || c == 'B') && (peek(1) == '\'' || peek(1) == '"')) return string(t);
      if ((c == 'r' || c == 'R' || c == 'b' || c == 'B') &&
          (peek(1) == 'b' || peek(1) == 'B' || peek(1) == 'r' || peek(1) == 'R') && (peek(2) == '\'' || peek(2) == '"'))
        return string(t);
      std::size_t b = i_;
      while (i_ < s_.size() && (is_ident_start(s_[i_]) || is_digit(s_[i_]))) advance();
      t.text = std::string(s_.substr(b, i_ - b));
      t.kind = Tok::Ident;
      if (t.text == "true")
        t.kind = Tok::True;
      else if (t.text == "false")
        t.kind = Tok::False;
      else if (t.text == "null")
        t.kind = Tok::Null;
      else if (t.text == "in")
        t.kind = Tok::In;
      return;
    }
    if (is_digit(c) || (c == '.' && is_digit(peek(1)))) return number(t);
    if (c == '\'' || c == '"') return string(t);
    auto two = [&](char second, Tok both, Tok one) {
      advance();
      if (peek() == second) {
        advance();
        t.kind = both;
      } else {
        t.kind = one;
      }
    };
    switch (c) {
      case '.':
        advance();
        t.kind = Tok::Dot;
        return;
      case ',':
        advance();
        t.kind = Tok::Comma;
        return;
      case '(':
        advance();
        t.kind = Tok::LParen;
        return;
      case ')':
        advance();
        t.kind = Tok::RParen;
        return;
      case '[':
        advance();
        t.kind = Tok::LBracket;
        return;
      case ']':
        advance();
        t.kind = Tok::RBracket;
        return;
      case '{':
        advance();
        t.kind = Tok::LBrace;
        return;
      case '}':
        advance();
        t.kind = Tok::RBrace;
        return;
      case '?':
        advance();
        t.kind = Tok::Question;
        return;
      case ':':
        advance();
        t.kind = Tok::Colon;
        return;
      case '+':
        advance();
        t.kind = Tok::Plus;
        return;
      case '-':
        advance();
        t.kind = Tok::Minus;
        return;
      case '*':
        advance();
        t.kind = Tok::Star;
        return;
      case '/':
        advance();
        t.kind = Tok::Slash;
        return;
      case '%':
        advance();
        t.kind = Tok::Percent;
        return;
      case '!': two('=', Tok::Ne, Tok::Not); return;
      case '<': two('=', Tok::Le, Tok::Lt); return;
      case '>': two('=', Tok::Ge, Tok::Gt); return;
      case '=':
        if (peek(1) == '=') {
          advance();
          advance();
          t.kind = Tok::Eq;
          return;
        }
        invalid(pos_, "Syntax error: token recognition error at: '='");
      case '&':
        if (peek(1) == '&') {
          advance();
          advance();
          t.kind = Tok::And;
          return;
        }
        invalid(pos_, "Syntax error: token recognition error at: '&'");
      case '|':
        if (peek(1) == '|') {
          advance();
          advance();
          t.kind = Tok::Or;
          return;
        }
        invalid(pos_, "Syntax error: token recognition error at: '|'");
      default: break;
    }
    std::size_t len = 1;
    while (i_ + len < s_.size() && (static_cast<unsigned char>(s_[i_ + len]) & 0xC0) == 0x80) ++len;
    invalid(pos_, fmt::format("Syntax error: token recognition error at: '{}'", s_.substr(i_, len)));
  }

  void number(Token& t) {
    const Position at = pos_;
    std::size_t b = i_;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
      advance();
      advance();
      std::uint64_t v = 0;
      bool any = false;
      while (is_hex(peek())) {
        if (v > (std::numeric_limits<std::uint64_t>::max() >> 4)) invalid(at, "invalid int literal");
        v = v * 16 + static_cast<std::uint64_t>(hex_value(peek()));
        any = true;
        advance();
      }
      if (!any) invalid(at, "Syntax error: invalid hexadecimal literal");
      const bool u = peek() == 'u' || peek() == 'U';
      if (u) advance();
      if (!u && v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) invalid(at, "invalid int literal");
      if (u) unsupported(at, "uint literals are not supported");
      t.kind = Tok::Int;
      t.i = static_cast<std::int64_t>(v);
      return;
    }
    bool is_double = false;
    while (is_digit(peek())) advance();
    if (peek() == '.' && is_digit(peek(1))) {
      is_double = true;
      advance();
      while (is_digit(peek())) advance();
    }
    if (peek() == 'e' || peek() == 'E') {
      std::size_t k = 1;
      if (peek(k) == '+' || peek(k) == '-') ++k;
      if (is_digit(peek(k))) {
        is_double = true;
        for (std::size_t j = 0; j < k; ++j) advance();
        while (is_digit(peek())) advance();
      }
    }
    const std::string_view text = s_.substr(b, i_ - b);
    if (is_double) {
      t.kind = Tok::Double;
      // std::from_chars for double: locale-free.
      auto r = std::from_chars(text.data(), text.data() + text.size(), t.d);
      if (r.ec == std::errc::result_out_of_range)
        t.d = std::numeric_limits<double>::infinity();
      else if (r.ec != std::errc())
        invalid(at, "invalid double literal");
      return;
    }
    if (peek() == 'u' || peek() == 'U') unsupported(at, "uint literals are not supported");
    t.kind = Tok::Int;
    auto r = std::from_chars(text.data(), text.data() + text.size(), t.i);
    if (r.ec != std::errc())
      invalid(at, fmt::format("invalid int literal: {}",
                              text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text)));
  }

  void string(Token& t) {
    const Position at = pos_;
    bool raw = false, bytes = false;
    while (peek() != '\'' && peek() != '"') {
      if (peek() == 'r' || peek() == 'R') raw = true;
      if (peek() == 'b' || peek() == 'B') bytes = true;
      advance();
    }
    if (bytes) unsupported(at, "bytes literals are not supported");
    const char q = peek();
    const bool triple = peek(1) == q && peek(2) == q;
    for (int k = 0; k < (triple ? 3 : 1); ++k) advance();
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) invalid(at, "Syntax error: unterminated string literal");
      const char c = peek();
      if (c == q && (!triple || (peek(1) == q && peek(2) == q))) {
        for (int k = 0; k < (triple ? 3 : 1); ++k) advance();
        break;
      }
      if (!triple && (c == '\n' || c == '\r')) invalid(at, "Syntax error: unterminated string literal");
      if (c == '\\' && !raw) {
        const Position esc = pos_;
        advance();
        if (i_ >= s_.size()) invalid(at, "Syntax error: unterminated string literal");
        const char e = peek();
        advance();
        switch (e) {
          case 'a': out += '\a'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'v': out += '\v'; break;
          case '\\':
          case '\'':
          case '"':
          case '`':
          case '?': out += e; break;
          case 'x':
          case 'X':
          case 'u':
          case 'U': {
            const int n = (e == 'x' || e == 'X') ? 2 : e == 'u' ? 4 : 8;
            std::uint32_t cp = 0;
            for (int k = 0; k < n; ++k) {
              if (!is_hex(peek())) invalid(esc, "Syntax error: invalid escape sequence");
              cp = cp * 16 + static_cast<std::uint32_t>(hex_value(peek()));
              advance();
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) invalid(esc, "Syntax error: invalid unicode code point");
            append_utf8(out, cp);
            break;
          }
          default:
            if (e >= '0' && e <= '3' && peek() >= '0' && peek() <= '7' && peek(1) >= '0' && peek(1) <= '7') {
              std::uint32_t cp = static_cast<std::uint32_t>((e - '0') * 64 + (peek() - '0') * 8 + (peek(1) - '0'));
              advance();
              advance();
              append_utf8(out, cp);
              break;
            }
            invalid(esc, "Syntax error: invalid escape sequence");
        }
        continue;
      }
      out += c;
      advance();
    }
    t.kind = Tok::String;
    t.text = std::move(out);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  Position pos_;
};

// ----- parser ----------------------------------------------------------------------------------------

bool reserved(std::string_view w) {
  static constexpr std::string_view kReserved[] = {"as",        "break",  "const",  "continue", "else", "for",
                                                   "function",  "if",     "import", "let",      "loop", "package",
                                                   "namespace", "return", "var",    "void",     "while"};
  return std::find(std::begin(kReserved), std::end(kReserved), w) != std::end(kReserved);
}

// Functions of Flux's CEL environment (the standard library, ext.Strings, ext.Sets, ext.Encoders,
// optional types) that this evaluator does not implement: Unsupported, not Invalid.
bool known_function(std::string_view f) {
  static constexpr std::string_view kKnown[] = {
      "matches",    "uint",        "bytes",         "timestamp",       "duration",      "dyn",          "type",
      "bool",       "getFullYear", "getMonth",      "getDate",         "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
      "getHours",   "getMinutes",  "getSeconds",    "getMilliseconds", "charAt",        "indexOf",      "lastIndexOf",
      "lowerAscii", "upperAscii",  "replace",       "split",           "substring",     "trim",         "join",
      "format",     "quote",       "reverse",       "orValue",         "hasValue",      "value",        "optMap",
      "optFlatMap", "or",          "transformList", "transformMap",    "sort",          "distinct",     "flatten",
      "slice",      "range"};
  return std::find(std::begin(kKnown), std::end(kKnown), f) != std::end(kKnown);
}

bool type_identifier(std::string_view w) {
  static constexpr std::string_view kTypes[] = {"int",  "uint", "double",    "bool", "string", "bytes",
                                                "list", "map",  "null_type", "type", "dyn"};
  return std::find(std::begin(kTypes), std::end(kTypes), w) != std::end(kTypes);
}

bool library_namespace(std::string_view w) {
  return w == "sets" || w == "base64" || w == "optional" || w == "math" || w == "strings" || w == "google";
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  std::uint32_t parse() {
    const std::uint32_t root = expr();
    if (cur().kind != Tok::End) invalid(cur().at, fmt::format("Syntax error: extraneous input {}", describe(cur())));
    return root;
  }
  std::vector<Node> take() { return std::move(nodes_); }
  const Node& node(std::uint32_t i) const { return nodes_[i]; }

 private:
  // Recursion guard: every rule that can recurse counts one level, as cel-go's parser does.
  struct Depth {
    explicit Depth(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) invalid(p_.cur().at, fmt::format("expression recursion limit exceeded: {}", kMaxDepth));
    }
    ~Depth() { --p_.depth_; }
    Parser& p_;
  };

  const Token& cur() const { return t_[k_]; }
  const Token& next() const { return t_[std::min(k_ + 1, t_.size() - 1)]; }
  bool accept(Tok kind) {
    if (cur().kind != kind) return false;
    if (kind != Tok::End) ++k_;
    return true;
  }
  void expect(Tok kind, const char* what) {
    if (!accept(kind)) invalid(cur().at, fmt::format("Syntax error: missing {} at {}", what, describe(cur())));
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::End: return "'<EOF>'";
      case Tok::Ident: return "'" + t.text + "'";
      case Tok::String: return "a string";
      case Tok::Int:
      case Tok::Double: return "a number";
      default: return "an operator";
    }
  }

  std::uint32_t add(Node n) {
    for (std::uint32_t a : n.args) n.height = std::max(n.height, nodes_[a].height + 1);
    if (n.height > kMaxDepth) invalid(n.at, fmt::format("expression recursion limit exceeded: {}", kMaxDepth));
    nodes_.push_back(std::move(n));
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  std::uint32_t make(Op op, Ty ty, Position at, std::vector<std::uint32_t> args) {
    Node n;
    n.op = op;
    n.ty = ty;
    n.at = at;
    n.args = std::move(args);
    return add(std::move(n));
  }
  Ty ty(std::uint32_t n) const { return nodes_[n].ty; }

  // cel-go's checker: operands of && || ! ?: must be bool (or dyn).
  void want_bool(std::uint32_t n, const char* op) const {
    if (ty(n) != Ty::Bool && ty(n) != Ty::Dyn)
      invalid(nodes_[n].at, fmt::format("found no matching overload for '{}' applied to '({})'", op, ty_name(ty(n))));
  }

  std::uint32_t expr() {
    Depth d(*this);
    const std::uint32_t c = logical(Tok::Or);
    if (cur().kind != Tok::Question) return c;
    const Position at = cur().at;
    ++k_;
    want_bool(c, "_?_:_");
    const std::uint32_t a = logical(Tok::Or);
    expect(Tok::Colon, "':'");
    const std::uint32_t b = expr();
    return make(Op::Ternary, ty(a) == ty(b) ? ty(a) : Ty::Dyn, at, {c, a, b});
  }

  // a || b || c and a && b && c: collected, then built as a balanced tree (as cel-go's parser does), so
  // a long chain costs log depth.
  std::uint32_t logical(Tok op) {
    Depth d(*this);
    std::vector<std::uint32_t> terms{op == Tok::Or ? logical(Tok::And) : relation()};
    std::vector<Position> ats;
    while (cur().kind == op) {
      ats.push_back(cur().at);
      ++k_;
      terms.push_back(op == Tok::Or ? logical(Tok::And) : relation());
    }
    if (terms.size() == 1) return terms[0];
    for (std::uint32_t t : terms) want_bool(t, op == Tok::Or ? "_||_" : "_&&_");
    return balance(op == Tok::Or ? Op::Or : Op::And, terms, ats, 0, terms.size());
  }
  std::uint32_t balance(Op op, const std::vector<std::uint32_t>& terms, const std::vector<Position>& ats, std::size_t lo,
                        std::size_t hi) {
    if (hi - lo == 1) return terms[lo];
    const std::size_t mid = lo + (hi - lo) / 2;
    const std::uint32_t l = balance(op, terms, ats, lo, mid);
    const std::uint32_t r = balance(op, terms, ats, mid, hi);
    return make(op, Ty::Bool, ats[mid - 1], {l, r});
  }

  std::uint32_t relation() {
    Depth d(*this);
    std::uint32_t l = addition();
    for (;;) {
      Op op;
      switch (cur().kind) {
        case Tok::Eq: op = Op::Eq; break;
        case Tok::Ne: op = Op::Ne; break;
        case Tok::Lt: op = Op::Lt; break;
        case Tok::Le: op = Op::Le; break;
        case Tok::Gt: op = Op::Gt; break;
        case Tok::Ge: op = Op::Ge; break;
        case Tok::In: op = Op::In; break;
        default: return l;
      }
      const Position at = cur().at;
      ++k_;
      const std::uint32_t r = addition();
      l = make(op, Ty::Bool, at, {l, r});
    }
  }

  std::uint32_t addition() {
    Depth d(*this);
    std::uint32_t l = multiplication();
    while (cur().kind == Tok::Plus || cur().kind == Tok::Minus) {
      const Op op = cur().kind == Tok::Plus ? Op::Add : Op::Sub;
      const Position at = cur().at;
      ++k_;
      const std::uint32_t r = multiplication();
      l = make(op, ty(l) == ty(r) ? ty(l) : Ty::Dyn, at, {l, r});
    }
    return l;
  }

  std::uint32_t multiplication() {
    Depth d(*this);
    std::uint32_t l = unary();
    while (cur().kind == Tok::Star || cur().kind == Tok::Slash || cur().kind == Tok::Percent) {
      const Op op = cur().kind == Tok::Star ? Op::Mul : cur().kind == Tok::Slash ? Op::Div : Op::Mod;
      const Position at = cur().at;
      ++k_;
      const std::uint32_t r = unary();
      l = make(op, ty(l) == ty(r) ? ty(l) : Ty::Dyn, at, {l, r});
    }
    return l;
  }

  std::uint32_t unary() {
    Depth d(*this);
    const Position at = cur().at;
    if (accept(Tok::Not)) {
      const std::uint32_t o = unary();
      want_bool(o, "!_");
      return make(Op::Not, Ty::Bool, at, {o});
    }
    if (accept(Tok::Minus)) {
      // A negative int literal folds into one literal.
      if (cur().kind == Tok::Int && next().kind != Tok::Dot && next().kind != Tok::LBracket) {
        const Token& t = cur();
        ++k_;
        Node n;
        n.at = at;
        n.ty = Ty::Int;
        n.literal = Value::integer(-t.i);
        return add(std::move(n));
      }
      const std::uint32_t o = unary();
      return make(Op::Neg, ty(o), at, {o});
    }
    return member();
  }

  std::uint32_t member() {
    Depth d(*this);
    std::uint32_t m = primary();
    for (;;) {
      const Position at = cur().at;
      if (accept(Tok::Dot)) {
        if (cur().kind == Tok::Question) unsupported(cur().at, "optional field selection (.?) is not supported");
        if (cur().kind != Tok::Ident)
          invalid(cur().at, fmt::format("Syntax error: no viable alternative at input '.{}'", describe(cur())));
        std::string name = cur().text;
        const Position name_at = cur().at;
        ++k_;
        if (accept(Tok::LParen)) {
          m = method(m, name, name_at);
        } else {
          Node n;
          n.op = Op::Select;
          n.at = name_at;
          n.name = std::move(name);
          n.args = {m};
          m = add(std::move(n));
        }
      } else if (accept(Tok::LBracket)) {
        if (cur().kind == Tok::Question) unsupported(cur().at, "optional index ([?) is not supported");
        const std::uint32_t i = expr();
        expect(Tok::RBracket, "']'");
        m = make(Op::Index, Ty::Dyn, at, {m, i});
      } else {
        return m;
      }
    }
  }

  std::vector<std::uint32_t> arguments() {
    std::vector<std::uint32_t> args;
    if (accept(Tok::RParen)) return args;
    do {
      args.push_back(expr());
    } while (accept(Tok::Comma));
    expect(Tok::RParen, "')'");
    return args;
  }

  // The bound variable of a macro: a simple name.
  std::string macro_variable(const char* macro, Position at) {
    if (cur().kind != Tok::Ident || (next().kind != Tok::Comma))
      invalid(at, fmt::format("{}() variable name must be a simple identifier", macro));
    std::string v = cur().text;
    k_ += 2;
    return v;
  }

  std::uint32_t method(std::uint32_t target, const std::string& name, Position at) {
    static constexpr std::pair<std::string_view, Op> kMacros[] = {
        {"exists", Op::Exists}, {"all", Op::All}, {"exists_one", Op::ExistsOne}, {"filter", Op::Filter}, {"map", Op::MapMacro}};
    for (const auto& [mname, op] : kMacros) {
      if (name != mname) continue;
      const std::string var = macro_variable(mname.data(), at);
      scope_.push_back(var);
      const auto slot = static_cast<std::int32_t>(scope_.size() - 1);
      std::vector<std::uint32_t> args{target};
      args.push_back(expr());
      if (op == Op::MapMacro && accept(Tok::Comma)) args.push_back(expr());  // map(x, filter, transform)
      scope_.pop_back();
      expect(Tok::RParen, "')'");
      if (op != Op::MapMacro || args.size() == 3) want_bool(args[1], mname.data());
      Ty t = Ty::Bool;
      if (op == Op::Filter || op == Op::MapMacro) t = Ty::List;
      Node n;
      n.op = op;
      n.ty = t;
      n.at = at;
      n.slot = slot;
      n.args = std::move(args);
      return add(std::move(n));
    }
    std::vector<std::uint32_t> args = arguments();
    auto one = [&](Op op, Ty t) {
      if (args.size() != 1) invalid(at, fmt::format("found no matching overload for '{}' with {} arguments", name, args.size()));
      return make(op, t, at, {target, args[0]});
    };
    if (name == "startsWith") return one(Op::StartsWith, Ty::Bool);
    if (name == "endsWith") return one(Op::EndsWith, Ty::Bool);
    if (name == "contains") return one(Op::Contains, Ty::Bool);
    if (name == "size") {
      if (!args.empty()) invalid(at, "found no matching overload for 'size'");
      return make(Op::Size, Ty::Int, at, {target});
    }
    if (known_function(name) || name == "int" || name == "string" || name == "double")
      unsupported(at, fmt::format("the function '{}' is not supported", name));
    invalid(at, fmt::format("undeclared reference to '{}'", name));
  }

  std::uint32_t global_call(const std::string& name, Position at) {
    if (name == "has") {
      const std::uint32_t a = expr();
      expect(Tok::RParen, "')'");
      if (nodes_[a].op != Op::Select) invalid(at, "invalid argument to has() macro");
      return make(Op::Has, Ty::Bool, at, {nodes_[a].args[0], a});
    }
    std::vector<std::uint32_t> args = arguments();
    auto one = [&](Op op, Ty t) {
      if (args.size() != 1) invalid(at, fmt::format("found no matching overload for '{}' with {} arguments", name, args.size()));
      return make(op, t, at, {args[0]});
    };
    if (name == "size") return one(Op::Size, Ty::Int);
    if (name == "int") return one(Op::ToInt, Ty::Int);
    if (name == "string") return one(Op::ToString, Ty::String);
    if (name == "double") return one(Op::ToDouble, Ty::Double);
    if (name == "exists" || name == "all" || name == "exists_one" || name == "filter" || name == "map")
      invalid(at, fmt::format("undeclared reference to '{}'", name));
    if (known_function(name)) unsupported(at, fmt::format("the function '{}' is not supported", name));
    invalid(at, fmt::format("undeclared reference to '{}'", name));
  }

  std::uint32_t primary() {
    Depth d(*this);
    const Token& t = cur();
    const Position at = t.at;
    Node n;
    n.at = at;
    switch (t.kind) {
      case Tok::Int:
        n.ty = Ty::Int;
        n.literal = Value::integer(t.i);
        ++k_;
        return add(std::move(n));
      case Tok::Double:
        n.ty = Ty::Double;
        n.literal = Value::number(t.d);
        ++k_;
        return add(std::move(n));
      case Tok::String:
        n.ty = Ty::String;
        n.literal = Value::string(t.text);
        ++k_;
        return add(std::move(n));
      case Tok::True:
        n.ty = Ty::Bool;
        n.literal = Value::boolean(true);
        ++k_;
        return add(std::move(n));
      case Tok::False:
        n.ty = Ty::Bool;
        n.literal = Value::boolean(false);
        ++k_;
        return add(std::move(n));
      case Tok::Null:
        n.ty = Ty::Null;
        ++k_;
        return add(std::move(n));
      case Tok::LParen: {
        ++k_;
        const std::uint32_t e = expr();
        expect(Tok::RParen, "')'");
        return e;
      }
      case Tok::LBracket: return list_literal();
      case Tok::LBrace: return map_literal();
      case Tok::Dot:
        ++k_;  // a leading dot: the name is resolved from the root scope
        if (cur().kind != Tok::Ident) invalid(cur().at, "Syntax error: no viable alternative at input '.'");
        return identifier(true);
      case Tok::Ident: return identifier(false);
      default: break;
    }
    invalid(at, fmt::format("Syntax error: mismatched input {}", describe(t)));
  }

  std::uint32_t identifier(bool root) {
    const Token& t = cur();
    const Position at = t.at;
    std::string name = t.text;
    ++k_;
    if (reserved(name)) invalid(at, fmt::format("reserved identifier: {}", name));
    if (accept(Tok::LParen)) return global_call(name, at);
    if (cur().kind == Tok::LBrace) unsupported(at, "message construction is not supported");
    Node n;
    n.at = at;
    if (!root)
      for (std::size_t s = scope_.size(); s-- > 0;)
        if (scope_[s] == name) {
          n.op = Op::Local;
          n.slot = static_cast<std::int32_t>(s);
          return add(std::move(n));
        }
    if (name == "self" || name == "dep") {
      n.op = Op::Var;
      n.slot = name == "self" ? 0 : 1;
      return add(std::move(n));
    }
    if (type_identifier(name)) unsupported(at, fmt::format("type values ('{}') are not supported", name));
    if (library_namespace(name)) unsupported(at, fmt::format("the '{}' functions are not supported", name));
    invalid(at, fmt::format("undeclared reference to '{}' (in container '')", name));
  }

  // Homogeneous aggregate literals (Flux's environment turns the option on).
  void homogeneous(const std::vector<std::uint32_t>& items, std::size_t from, std::size_t step) {
    Ty seen = Ty::Dyn;
    for (std::size_t i = from; i < items.size(); i += step) {
      const Ty t = ty(items[i]);
      if (t == Ty::Dyn) continue;
      if (seen == Ty::Dyn)
        seen = t;
      else if (t != seen)
        invalid(nodes_[items[i]].at, fmt::format("expected type '{}' but found '{}'", ty_name(seen), ty_name(t)));
    }
  }

  std::uint32_t list_literal() {
    const Position at = cur().at;
    ++k_;
    std::vector<std::uint32_t> items;
    if (!accept(Tok::RBracket)) {
      do {
        if (cur().kind == Tok::RBracket) break;  // trailing comma
        if (cur().kind == Tok::Question) unsupported(cur().at, "optional list elements are not supported");
        items.push_back(expr());
      } while (accept(Tok::Comma));
      expect(Tok::RBracket, "']'");
    }
    homogeneous(items, 0, 1);
    return make(Op::ListLit, Ty::List, at, std::move(items));
  }

  std::uint32_t map_literal() {
    const Position at = cur().at;
    ++k_;
    std::vector<std::uint32_t> items;
    if (!accept(Tok::RBrace)) {
      do {
        if (cur().kind == Tok::RBrace) break;
        if (cur().kind == Tok::Question) unsupported(cur().at, "optional map entries are not supported");
        const std::uint32_t key = expr();
        if (ty(key) != Ty::String && ty(key) != Ty::Dyn)
          unsupported(nodes_[key].at, "map keys other than strings are not supported");
        expect(Tok::Colon, "':'");
        items.push_back(key);
        items.push_back(expr());
      } while (accept(Tok::Comma));
      expect(Tok::RBrace, "'}'");
    }
    homogeneous(items, 0, 2);
    homogeneous(items, 1, 2);
    return make(Op::MapLit, Ty::Map, at, std::move(items));
  }

  std::vector<Token> t_;
  std::size_t k_ = 0;
  int depth_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::string> scope_;
};

// ----- evaluation ------------------------------------------------------------------------------------

struct Out {
  Value v;
  std::string error;  // non-empty: an error value
  bool failed() const { return !error.empty(); }
};

Out ok(Value v) { return Out{std::move(v), {}}; }
Out err(std::string message) { return Out{Value(), std::move(message)}; }

bool is_number(const Value& v) { return v.type() == Value::Type::Int || v.type() == Value::Type::Double; }
double as_number(const Value& v) { return v.type() == Value::Type::Int ? static_cast<double>(v.as_int()) : v.as_double(); }

class Evaluator {
 public:
  Evaluator(const std::vector<Node>& nodes, const Value& self, const Value& dep) : nodes_(nodes), vars_{&self, &dep} {}

  Out eval(std::uint32_t i) {
    if (!charge(1)) return over();
    const Node& n = nodes_[i];
    switch (n.op) {
      case Op::Literal: return ok(n.literal);
      case Op::Var: return ok(*vars_[static_cast<std::size_t>(n.slot)]);
      case Op::Local: return ok(locals_[static_cast<std::size_t>(n.slot)]);
      case Op::Select: {
        Out o = eval(n.args[0]);
        if (o.failed()) return o;
        return select(o.v, n.name);
      }
      case Op::Index: return index(n);
      case Op::Not: {
        Out o = eval(n.args[0]);
        if (o.failed()) return o;
        if (o.v.type() != Value::Type::Bool) return no_overload("!_", o.v);
        return ok(Value::boolean(!o.v.as_bool()));
      }
      case Op::Neg: {
        Out o = eval(n.args[0]);
        if (o.failed()) return o;
        if (o.v.type() == Value::Type::Double) return ok(Value::number(-o.v.as_double()));
        if (o.v.type() != Value::Type::Int) return no_overload("-_", o.v);
        if (o.v.as_int() == std::numeric_limits<std::int64_t>::min()) return err("integer overflow");
        return ok(Value::integer(-o.v.as_int()));
      }
      case Op::And:
      case Op::Or: return logical(n);
      case Op::Eq:
      case Op::Ne:
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
      case Op::In: return relation(n);
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
      case Op::Mod: return arithmetic(n);
      case Op::Ternary: {
        Out c = eval(n.args[0]);
        if (c.failed()) return c;
        if (c.v.type() != Value::Type::Bool) return no_overload("_?_:_", c.v);
        return eval(n.args[c.v.as_bool() ? 1 : 2]);
      }
      case Op::ListLit: {
        List items;
        items.reserve(n.args.size());
        for (std::uint32_t a : n.args) {
          Out o = eval(a);
          if (o.failed()) return o;
          items.push_back(std::move(o.v));
        }
        return ok(Value::list(std::move(items)));
      }
      case Op::MapLit: {
        Map fields;
        for (std::size_t k = 0; k + 1 < n.args.size(); k += 2) {
          Out key = eval(n.args[k]);
          if (key.failed()) return key;
          if (key.v.type() != Value::Type::String) return err(fmt::format("unsupported key type: {}", type_name(key.v.type())));
          Out val = eval(n.args[k + 1]);
          if (val.failed()) return val;
          if (!charge(fields.size())) return over();
          for (const auto& f : fields)
            if (f.first == key.v.as_string()) return err(fmt::format("Failed with repeated key: {}", key.v.as_string()));
          fields.emplace_back(key.v.as_string(), std::move(val.v));
        }
        return ok(Value::map(std::move(fields)));
      }
      case Op::Has: {
        Out o = eval(n.args[0]);
        if (o.failed()) return o;
        if (o.v.type() != Value::Type::Map)
          return err(fmt::format("invalid type for field selection: {}", type_name(o.v.type())));
        if (!charge(o.v.as_map().size())) return over();
        return ok(Value::boolean(o.v.field(nodes_[n.args[1]].name) != nullptr));
      }
      case Op::Size: {
        Out o = eval(n.args[0]);
        if (o.failed()) return o;
        switch (o.v.type()) {
          case Value::Type::String: {
            const std::string& s = o.v.as_string();
            if (!charge(s.size())) return over();
            return ok(Value::integer(static_cast<std::int64_t>(
                std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }))));
          }
          case Value::Type::List: return ok(Value::integer(static_cast<std::int64_t>(o.v.as_list().size())));
          case Value::Type::Map: return ok(Value::integer(static_cast<std::int64_t>(o.v.as_map().size())));
          default: return no_overload("size", o.v);
        }
      }
      case Op::StartsWith:
      case Op::EndsWith:
      case Op::Contains: return string_test(n);
      case Op::ToInt:
      case Op::ToString:
      case Op::ToDouble: return convert(n);
      case Op::Exists:
      case Op::All:
      case Op::ExistsOne:
      case Op::Filter:
      case Op::MapMacro: return comprehension(n);
    }
    return err("internal error: unknown operation");
  }

 private:
  bool charge(std::uint64_t n) {
    spent_ += n;
    return spent_ <= kEvaluationBudget;
  }
  static Out over() { return err("operation cancelled: actual cost limit exceeded"); }
  static Out no_overload(const char* op, const Value& a) {
    return err(fmt::format("no such overload: {}({})", op, type_name(a.type())));
  }
  static Out no_overload(const char* op, const Value& a, const Value& b) {
    return err(fmt::format("no such overload: {}({}, {})", op, type_name(a.type()), type_name(b.type())));
  }

  Out select(const Value& v, const std::string& name) {
    if (v.type() != Value::Type::Map) return err(fmt::format("type '{}' does not support field selection", type_name(v.type())));
    if (!charge(v.as_map().size())) return over();
    if (const Value* f = v.field(name)) return ok(*f);
    return err(fmt::format("no such key: {}", name));
  }

  Out index(const Node& n) {
    Out o = eval(n.args[0]);
    if (o.failed()) return o;
    Out i = eval(n.args[1]);
    if (i.failed()) return i;
    if (o.v.type() == Value::Type::Map) {
      if (i.v.type() != Value::Type::String) return err(fmt::format("no such key: {}", type_name(i.v.type())));
      return select(o.v, i.v.as_string());
    }
    if (o.v.type() == Value::Type::List) {
      std::int64_t k = 0;
      if (i.v.type() == Value::Type::Int)
        k = i.v.as_int();
      else if (i.v.type() == Value::Type::Double && std::trunc(i.v.as_double()) == i.v.as_double() &&
               std::abs(i.v.as_double()) < 9e18)
        k = static_cast<std::int64_t>(i.v.as_double());
      else
        return no_overload("_[_]", o.v, i.v);
      const List& l = o.v.as_list();
      if (k < 0 || static_cast<std::uint64_t>(k) >= l.size()) return err(fmt::format("index out of range: {}", k));
      return ok(l[static_cast<std::size_t>(k)]);
    }
    return no_overload("_[_]", o.v, i.v);
  }

  // CEL's && and ||: commutative; a definite operand decides even when the other is an error.
  Out logical(const Node& n) {
    const bool is_or = n.op == Op::Or;
    Out l = eval(n.args[0]);
    if (!l.failed() && l.v.type() == Value::Type::Bool && l.v.as_bool() == is_or) return l;
    Out r = eval(n.args[1]);
    if (!r.failed() && r.v.type() == Value::Type::Bool && r.v.as_bool() == is_or) return r;
    if (l.failed()) return l;
    if (r.failed()) return r;
    if (l.v.type() != Value::Type::Bool) return no_overload(is_or ? "_||_" : "_&&_", l.v, r.v);
    if (r.v.type() != Value::Type::Bool) return no_overload(is_or ? "_||_" : "_&&_", l.v, r.v);
    return ok(Value::boolean(!is_or));
  }

  // Heterogeneous equality (CEL): numbers compare by value across int and double; other types differ.
  bool equal(const Value& a, const Value& b) {
    if (is_number(a) && is_number(b)) {
      if (a.type() == Value::Type::Int && b.type() == Value::Type::Int) return a.as_int() == b.as_int();
      return as_number(a) == as_number(b);
    }
    if (a.type() != b.type()) return false;
    switch (a.type()) {
      case Value::Type::Null: return true;
      case Value::Type::Bool: return a.as_bool() == b.as_bool();
      case Value::Type::String: charge(a.as_string().size() / 16); return a.as_string() == b.as_string();
      case Value::Type::List: {
        const List& x = a.as_list();
        const List& y = b.as_list();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i) {
          if (!charge(1)) return false;
          if (!equal(x[i], y[i])) return false;
        }
        return true;
      }
      case Value::Type::Map: {
        const Map& x = a.as_map();
        if (x.size() != b.as_map().size()) return false;
        for (const auto& [k, v] : x) {
          if (!charge(x.size())) return false;
          const Value* w = b.field(k);
          if (!w || !equal(v, *w)) return false;
        }
        return true;
      }
      default: return false;
    }
  }

  Out relation(const Node& n) {
    Out l = eval(n.args[0]);
    if (l.failed()) return l;
    Out r = eval(n.args[1]);
    if (r.failed()) return r;
    const Value& a = l.v;
    const Value& b = r.v;
    switch (n.op) {
      case Op::Eq:
      case Op::Ne: {
        const bool e = equal(a, b);
        if (spent_ > kEvaluationBudget) return over();
        return ok(Value::boolean(n.op == Op::Eq ? e : !e));
      }
      case Op::In: {
        if (b.type() == Value::Type::List) {
          for (const Value& x : b.as_list()) {
            if (!charge(1)) return over();
            if (equal(a, x)) return ok(Value::boolean(true));
          }
          if (spent_ > kEvaluationBudget) return over();
          return ok(Value::boolean(false));
        }
        if (b.type() == Value::Type::Map) {
          if (!charge(b.as_map().size())) return over();
          return ok(Value::boolean(a.type() == Value::Type::String && b.field(a.as_string()) != nullptr));
        }
        return no_overload("@in", a, b);
      }
      default: break;
    }
    int c = 0;
    const char* op = n.op == Op::Lt ? "_<_" : n.op == Op::Le ? "_<=_" : n.op == Op::Gt ? "_>_" : "_>=_";
    if (a.type() == Value::Type::Int && b.type() == Value::Type::Int) {
      c = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    } else if (is_number(a) && is_number(b)) {
      const double x = as_number(a), y = as_number(b);
      if (std::isnan(x) || std::isnan(y)) return ok(Value::boolean(false));
      c = x < y ? -1 : x > y ? 1 : 0;
    } else if (a.type() == Value::Type::String && b.type() == Value::Type::String) {
      if (!charge(std::min(a.as_string().size(), b.as_string().size()) / 16)) return over();
      const int k = a.as_string().compare(b.as_string());
      c = k < 0 ? -1 : k > 0 ? 1 : 0;
    } else if (a.type() == Value::Type::Bool && b.type() == Value::Type::Bool) {
      c = static_cast<int>(a.as_bool()) - static_cast<int>(b.as_bool());
    } else {
      return no_overload(op, a, b);
    }
    bool v = false;
    switch (n.op) {
      case Op::Lt: v = c < 0; break;
      case Op::Le: v = c <= 0; break;
      case Op::Gt: v = c > 0; break;
      default: v = c >= 0; break;
    }
    return ok(Value::boolean(v));
  }

  Out arithmetic(const Node& n) {
    Out l = eval(n.args[0]);
    if (l.failed()) return l;
    Out r = eval(n.args[1]);
    if (r.failed()) return r;
    const Value& a = l.v;
    const Value& b = r.v;
    const char* op = n.op == Op::Add   ? "_+_"
                     : n.op == Op::Sub ? "_-_"
                     : n.op == Op::Mul ? "_*_"
                     : n.op == Op::Div ? "_/_"
                                       : "_%_";
    if (a.type() == Value::Type::Int && b.type() == Value::Type::Int) {
      const std::int64_t x = a.as_int(), y = b.as_int();
      std::int64_t z = 0;
      switch (n.op) {
        case Op::Add:
          if (__builtin_add_overflow(x, y, &z)) return err("integer overflow");
          break;
        case Op::Sub:
          if (__builtin_sub_overflow(x, y, &z)) return err("integer overflow");
          break;
        case Op::Mul:
          if (__builtin_mul_overflow(x, y, &z)) return err("integer overflow");
          break;
        case Op::Div:
          if (y == 0) return err("division by zero");
          if (x == std::numeric_limits<std::int64_t>::min() && y == -1) return err("integer overflow");
          z = x / y;
          break;
        default:
          if (y == 0) return err("modulus by zero");
          if (x == std::numeric_limits<std::int64_t>::min() && y == -1) return err("integer overflow");
          z = x % y;
          break;
      }
      return ok(Value::integer(z));
    }
    if (a.type() == Value::Type::Double && b.type() == Value::Type::Double && n.op != Op::Mod) {
      const double x = a.as_double(), y = b.as_double();
      switch (n.op) {
        case Op::Add: return ok(Value::number(x + y));
        case Op::Sub: return ok(Value::number(x - y));
        case Op::Mul: return ok(Value::number(x * y));
        default: return ok(Value::number(x / y));
      }
    }
    if (n.op == Op::Add && a.type() == Value::Type::String && b.type() == Value::Type::String) {
      if (!charge(a.as_string().size() + b.as_string().size())) return over();
      return ok(Value::string(a.as_string() + b.as_string()));
    }
    if (n.op == Op::Add && a.type() == Value::Type::List && b.type() == Value::Type::List) {
      if (!charge(a.as_list().size() + b.as_list().size())) return over();
      List out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return ok(Value::list(std::move(out)));
    }
    return no_overload(op, a, b);
  }

  Out string_test(const Node& n) {
    Out t = eval(n.args[0]);
    if (t.failed()) return t;
    Out a = eval(n.args[1]);
    if (a.failed()) return a;
    const char* op = n.op == Op::StartsWith ? "startsWith" : n.op == Op::EndsWith ? "endsWith" : "contains";
    if (t.v.type() != Value::Type::String || a.v.type() != Value::Type::String) return no_overload(op, t.v, a.v);
    const std::string& s = t.v.as_string();
    const std::string& p = a.v.as_string();
    if (n.op == Op::StartsWith) return ok(Value::boolean(s.starts_with(p)));
    if (n.op == Op::EndsWith) return ok(Value::boolean(s.ends_with(p)));
    // A substring search costs up to |s|·|p| comparisons: charged before it runs.
    if (!charge(1 + (static_cast<std::uint64_t>(s.size()) * std::max<std::uint64_t>(p.size(), 1)) / 64)) return over();
    return ok(Value::boolean(s.find(p) != std::string::npos));
  }

  Out convert(const Node& n) {
    Out o = eval(n.args[0]);
    if (o.failed()) return o;
    const Value& v = o.v;
    switch (n.op) {
      case Op::ToInt:
        if (v.type() == Value::Type::Int) return o;
        if (v.type() == Value::Type::Double) {
          const double d = v.as_double();
          if (!(d > -9.223372036854775808e18 && d < 9.223372036854775807e18)) return err("double is out of range of int");
          return ok(Value::integer(static_cast<std::int64_t>(d)));
        }
        if (v.type() == Value::Type::String) {
          std::int64_t i = 0;
          const std::string& s = v.as_string();
          auto r = std::from_chars(s.data(), s.data() + s.size(), i);
          if (r.ec != std::errc() || r.ptr != s.data() + s.size())
            return err(fmt::format("cannot convert '{}' to int", s.substr(0, 40)));
          return ok(Value::integer(i));
        }
        return no_overload("int", v);
      case Op::ToDouble:
        if (v.type() == Value::Type::Double) return o;
        if (v.type() == Value::Type::Int) return ok(Value::number(static_cast<double>(v.as_int())));
        if (v.type() == Value::Type::String) {
          double d = 0;
          const std::string& s = v.as_string();
          auto r = std::from_chars(s.data(), s.data() + s.size(), d);
          if (r.ec != std::errc() || r.ptr != s.data() + s.size())
            return err(fmt::format("cannot convert '{}' to double", s.substr(0, 40)));
          return ok(Value::number(d));
        }
        return no_overload("double", v);
      default:
        if (v.type() == Value::Type::String) return o;
        if (v.type() == Value::Type::Int) return ok(Value::string(std::to_string(v.as_int())));
        if (v.type() == Value::Type::Double) return ok(Value::string(fmt::format("{}", v.as_double())));
        if (v.type() == Value::Type::Bool) return ok(Value::string(v.as_bool() ? "true" : "false"));
        return no_overload("string", v);
    }
  }

  // exists / all / exists_one / filter / map over a list's elements or a map's keys. exists and all
  // follow CEL's error absorption: a decisive element wins over an error elsewhere.
  Out comprehension(const Node& n) {
    Out range = eval(n.args[0]);
    if (range.failed()) return range;
    List keys;
    const List* items = nullptr;
    if (range.v.type() == Value::Type::List) {
      items = &range.v.as_list();
    } else if (range.v.type() == Value::Type::Map) {
      for (const auto& f : range.v.as_map()) keys.push_back(Value::string(f.first));
      items = &keys;
    } else {
      return err(fmt::format("expression of type '{}' cannot be range of a comprehension (must be list, map, or dynamic)",
                             type_name(range.v.type())));
    }
    const auto slot = static_cast<std::size_t>(n.slot);
    if (locals_.size() <= slot) locals_.resize(slot + 1);
    std::string first_error;
    std::int64_t count = 0;
    List out;
    for (const Value& x : *items) {
      if (!charge(1)) return over();
      locals_[slot] = x;
      Out p = eval(n.args[1]);
      if (spent_ > kEvaluationBudget) return over();
      if (n.op == Op::MapMacro && n.args.size() == 2) {
        if (p.failed()) return p;
        out.push_back(std::move(p.v));
        continue;
      }
      if (!p.failed() && p.v.type() != Value::Type::Bool) p = no_overload("predicate", p.v);
      if (p.failed()) {
        if (n.op == Op::Exists || n.op == Op::All) {
          if (first_error.empty()) first_error = p.error;
          continue;
        }
        return p;
      }
      const bool b = p.v.as_bool();
      switch (n.op) {
        case Op::Exists:
          if (b) return ok(Value::boolean(true));
          break;
        case Op::All:
          if (!b) return ok(Value::boolean(false));
          break;
        case Op::ExistsOne: count += b ? 1 : 0; break;
        case Op::Filter:
          if (b) out.push_back(x);
          break;
        default:
          if (b) {
            locals_[slot] = x;
            Out t = eval(n.args[2]);
            if (t.failed()) return t;
            out.push_back(std::move(t.v));
          }
          break;
      }
    }
    if (!first_error.empty()) return err(first_error);
    switch (n.op) {
      case Op::Exists: return ok(Value::boolean(false));
      case Op::All: return ok(Value::boolean(true));
      case Op::ExistsOne: return ok(Value::boolean(count == 1));
      default: return ok(Value::list(std::move(out)));
    }
  }

  const std::vector<Node>& nodes_;
  const Value* vars_[2];
  std::vector<Value> locals_;
  std::uint64_t spent_ = 0;
};

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

Program::Result Program::evaluate(const Value& self, const Value& dep) const {
  Evaluator e(nodes_, self, dep);
  Out o = e.eval(root_);
  Result r;
  if (o.failed()) {
    r.error = std::move(o.error);
    return r;
  }
  if (o.v.type() != Value::Type::Bool) {
    r.error = "failed to evaluate CEL expression as boolean";
    return r;
  }
  r.ok = true;
  r.value = o.v.as_bool();
  return r;
}

Compiled compile(std::string_view expr) {
  Compiled c;
  try {
    if (const std::size_t n = code_points(expr); n > kMaxCodePoints)
      invalid(Position{}, fmt::format("expression code point size exceeds limit: size: {}, limit {}", n, kMaxCodePoints));
    Lexer lexer(expr);
    Parser parser(lexer.run());
    const std::uint32_t root = parser.parse();
    const Node& top = parser.node(root);
    if (top.ty != Ty::Bool)
      invalid(top.at, fmt::format("CEL expression output type mismatch: expected bool, got {}", ty_name(top.ty)));
    c.program = std::make_shared<const Program>(parser.take(), root, std::string(expr));
  } catch (Fail& f) {
    c.problem = std::move(f.problem);
  }
  return c;
}

}  // namespace fluxsim::flux::cel
