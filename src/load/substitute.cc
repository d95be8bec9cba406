// SPDX-License-Identifier: Apache-2.0
#include "load/substitute.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "load/limits.h"

namespace fluxsim::load {

bool valid_var_name(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alpha(c) || std::isdigit(static_cast<unsigned char>(c)); });
}

namespace {

// Go's path.Match patterns, as the trim operators (${v#p}, ${v##p}, ${v%p}, ${v%%p}) use them: '*' is
// any run of non-'/' bytes, '?' one non-'/' byte, [...] a class ([^...] negated, a-z ranges), '\\x' a
// literal x. A '[' with no ']' matches nothing.
struct GlobToken {
  enum class Kind : std::uint8_t { Star, Any, Class, Literal, Never } kind;
  char c = 0;
  std::string_view cls;  // Kind::Class, without the brackets and the '^'
  bool negated = false;

  bool matches(char x) const {
    switch (kind) {
      case Kind::Star:
      case Kind::Any: return x != '/';
      case Kind::Literal: return x == c;
      case Kind::Never: return false;
      case Kind::Class: {
        bool in = false;
        for (std::size_t k = 0; k < cls.size(); ++k) {
          if (k + 2 < cls.size() && cls[k + 1] == '-') {
            if (x >= cls[k] && x <= cls[k + 2]) in = true;
            k += 2;
          } else if (cls[k] == x) {
            in = true;
          }
        }
        return in != negated;
      }
    }
    return false;
  }
};

std::vector<GlobToken> glob_tokens(std::string_view pat) {
  std::vector<GlobToken> out;
  for (std::size_t p = 0; p < pat.size(); ++p) {
    char c = pat[p];
    if (c == '*') {
      out.push_back({GlobToken::Kind::Star, 0, {}, false});
    } else if (c == '?') {
      out.push_back({GlobToken::Kind::Any, 0, {}, false});
    } else if (c == '[') {
      std::size_t close = pat.find(']', p + 1);
      if (close == std::string_view::npos) {
        out.push_back({GlobToken::Kind::Never, 0, {}, false});
        continue;
      }
      std::string_view cls = pat.substr(p + 1, close - p - 1);
      bool negated = !cls.empty() && cls[0] == '^';
      if (negated) cls.remove_prefix(1);
      out.push_back({GlobToken::Kind::Class, 0, cls, negated});
      p = close;
    } else if (c == '\\' && p + 1 < pat.size()) {
      out.push_back({GlobToken::Kind::Literal, pat[++p], {}, false});
    } else {
      out.push_back({GlobToken::Kind::Literal, c, {}, false});
    }
  }
  return out;
}

/// Matching more than this many (state, byte) pairs in one trim is an error rather than minutes of work.
constexpr std::size_t kMaxGlobSteps = std::size_t{1} << 27;

/// The lengths of the prefixes of `s` the pattern matches, shortest first: one pass over `s` that keeps
/// the set of pattern positions reached (a Thompson simulation), so `${v##*z}` is linear in the value
/// where trying every prefix would be quadratic. `shortest` stops at the first match.
std::vector<std::size_t> matching_prefixes(const std::vector<GlobToken>& tokens, std::string_view s, bool shortest) {
  const std::size_t m = tokens.size();
  std::vector<std::size_t> out, current, next;
  std::vector<std::size_t> mark(m + 1, static_cast<std::size_t>(-1));
  std::size_t steps = 0;
  // Adds state j and what '*' lets it skip, once per generation `gen`.
  auto add = [&](std::vector<std::size_t>& set, std::size_t j, std::size_t gen) {
    while (mark[j] != gen) {
      mark[j] = gen;
      set.push_back(j);
      if (j == m || tokens[j].kind != GlobToken::Kind::Star) break;
      ++j;
    }
  };
  add(current, 0, 0);
  for (std::size_t i = 0;; ++i) {
    if (mark[m] == i) {
      out.push_back(i);
      if (shortest) break;
    }
    if (i == s.size() || current.empty()) break;
    next.clear();
    for (std::size_t j : current) {
      if (j == m || !tokens[j].matches(s[i])) continue;
      add(next, tokens[j].kind == GlobToken::Kind::Star ? j : j + 1, i + 1);
    }
    steps += current.size();
    if (steps > kMaxGlobSteps) throw std::length_error("pattern too costly to match against the value");
    current.swap(next);
  }
  return out;
}

std::string trim_prefix(const std::string& s, const std::vector<GlobToken>& tokens, bool longest) {
  auto lengths = matching_prefixes(tokens, s, !longest);
  if (lengths.empty()) return s;
  return s.substr(longest ? lengths.back() : lengths.front());
}

// Every non-overlapping occurrence of `pat` in `s`, left to right (Knuth-Morris-Pratt: linear, where
// std::string::find can take |s|·|pat|).
std::vector<std::size_t> occurrences(std::string_view s, std::string_view pat, bool first_only) {
  std::vector<std::size_t> out;
  if (pat.empty() || pat.size() > s.size()) return out;
  std::vector<std::size_t> fail(pat.size(), 0);
  for (std::size_t i = 1, k = 0; i < pat.size(); ++i) {
    while (k > 0 && pat[i] != pat[k]) k = fail[k - 1];
    if (pat[i] == pat[k]) ++k;
    fail[i] = k;
  }
  for (std::size_t i = 0, k = 0; i < s.size(); ++i) {
    while (k > 0 && s[i] != pat[k]) k = fail[k - 1];
    if (s[i] == pat[k]) ++k;
    if (k == pat.size()) {
      out.push_back(i + 1 - pat.size());
      if (first_only) break;
      k = 0;  // non-overlapping: start afresh after the match
    }
  }
  return out;
}

std::string reverse(std::string s) {
  std::reverse(s.begin(), s.end());
  return s;
}

struct Failure {
  bool missing;
  std::string what;
};

const std::string kTooLong = "the substituted text grows past fluxsim's limit (" + std::to_string(kMaxObjectGrowth >> 20) +
                              " MiB more per object, " + std::to_string(kMaxBuildBytes >> 20) + " MiB per build)";

class Expander {
 public:
  /// `max_output`: the longest result allowed (longer is an error, so 200,000 `${x}` of a 4 kB value
  /// stop at the bound instead of building gigabytes).
  Expander(std::string_view text, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved,
           std::size_t max_output)
      : s_(text), lookup_(lookup), strict_(strict), unresolved_(unresolved), max_output_(max_output) {}

  std::string top() {
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{') {
        pos_ += 2;
        append(out, func());
      } else if (c == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '$') {
        out += '$';
        pos_ += 2;
      } else {
        if (out.size() >= max_output_) too_long();
        out += c;
        ++pos_;
      }
    }
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& what) { throw Failure{false, what}; }

  void append(std::string& out, const std::string& piece) {
    if (out.size() + piece.size() > max_output_) too_long();
    out += piece;
  }
  [[noreturn]] static void too_long() { throw Failure{false, kTooLong}; }

  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  std::string ident() {
    std::size_t start = pos_;
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (std::isalnum(c) || c == '_' || c >= 0x80) ++pos_;
      else break;
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  void close() {
    if (!at('}')) bad("bad substitution");
    ++pos_;
  }

  // One parameter: a nested ${...} or a run of text ending before `stop` characters or `${`.
  std::string param(std::string_view stops, bool escapes) {
    if (pos_ + 1 < s_.size() && s_[pos_] == '$' && s_[pos_ + 1] == '{') {
      pos_ += 2;
      return func();
    }
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{') break;
      if (escapes && c == '\\' && pos_ + 1 < s_.size() && (s_[pos_ + 1] == '/' || s_[pos_ + 1] == '\\')) {
        out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (stops.find(c) != std::string_view::npos) break;
      out += c;
      ++pos_;
    }
    return out;
  }

  // The value of a variable; nullopt when it is unknown offline and must stay as written.
  std::optional<std::string> value_of(const std::string& name, bool default_op) {
    std::optional<std::string> v = lookup_(name);
    if (!v) {
      if (strict_ && !default_op) {
        if (!unresolved_) throw Failure{true, name};
        unresolved_->insert(name);
        return std::nullopt;
      }
      return std::string{};
    }
    return v;
  }

  static std::string kept(const std::string& name) { return "${" + name + "}"; }

  // One `${...}` after its "${". Nested ones (in defaults and patterns) recurse, at most
  // kMaxSubstitutionNesting deep.
  std::string func() {
    if (++nesting_ > kMaxSubstitutionNesting)
      bad("more than " + std::to_string(kMaxSubstitutionNesting) + " nested ${...} (fluxsim's limit)");
    std::string out = func_body();
    --nesting_;
    return out;
  }

  std::string func_body() {
    if (at('#')) {
      ++pos_;
      std::string name = ident();
      if (name.empty()) bad("bad substitution");
      close();
      auto v = value_of(name, false);
      return v ? std::to_string(v->size()) : kept(name);
    }
    std::string name = ident();
    if (name.empty()) bad("unable to parse variable name");
    if (pos_ >= s_.size()) bad("missing closing brace");
    char c = s_[pos_];
    if (c == '}') {
      ++pos_;
      return value_of(name, false).value_or(kept(name));
    }
    if ((c == ':' && pos_ + 1 < s_.size() && std::string_view("=-?+").find(s_[pos_ + 1]) != std::string_view::npos) || c == '=') {
      pos_ += c == ':' ? 2 : 1;
      std::vector<std::string> args;
      while (!at('}')) {
        if (pos_ >= s_.size()) bad("missing closing brace");
        args.push_back(param("}", false));
      }
      ++pos_;
      std::string v = *value_of(name, true);
      if (v.empty()) {
        for (const std::string& a : args) append(v, a);
      }
      return v;
    }
    if (c == ':') {  // ${var:offset} / ${var:offset:length}
      ++pos_;
      std::string off = param(":}", false);
      std::optional<std::string> len;
      if (at(':')) {
        ++pos_;
        len = param("}", false);
      }
      close();
      auto v = value_of(name, false);
      return v ? substr(*v, off, len) : kept(name);
    }
    if (c == ',' || c == '^') {
      std::string op(1, c);
      ++pos_;
      if (at(',') || at('^')) op += s_[pos_++];
      close();
      auto got = value_of(name, false);
      if (!got) return kept(name);
      std::string v = *got;
      if (v.empty()) return v;
      if (op == "^^") std::transform(v.begin(), v.end(), v.begin(), [](unsigned char x) { return static_cast<char>(std::toupper(x)); });
      else if (op == ",,") std::transform(v.begin(), v.end(), v.begin(), [](unsigned char x) { return static_cast<char>(std::tolower(x)); });
      else if (op[0] == '^') v[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(v[0])));
      else v[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(v[0])));
      return v;
    }
    if (c == '/') {
      std::string op = "/";
      ++pos_;
      if (at('/') || at('#') || at('%')) op += s_[pos_++];
      std::string pattern = at('/') ? std::string{} : param("/", true);
      if (!at('/')) bad("bad substitution");
      ++pos_;
      std::optional<std::string> repl;
      if (!at('}')) repl = param("}", true);
      close();
      auto v = value_of(name, false);
      return v ? replace(*v, op, pattern, repl, max_output_) : kept(name);
    }
    if (c == '#' || c == '%') {
      std::string op(1, c);
      ++pos_;
      if (at(c)) op += s_[pos_++];
      std::string pattern = param("}", false);
      close();
      auto got = value_of(name, false);
      if (!got) return kept(name);
      bool longest = op.size() == 2;
      std::vector<GlobToken> tokens = glob_tokens(pattern);
      try {
        if (c == '#') return trim_prefix(*got, tokens, longest);
        // A suffix is a prefix of the reversed value, matched by the reversed pattern.
        std::reverse(tokens.begin(), tokens.end());
        return reverse(trim_prefix(reverse(*got), tokens, longest));
      } catch (const std::length_error& e) {
        bad(e.what());
      }
    }
    bad("missing closing brace");
  }

  static std::string substr(const std::string& s, const std::string& off, const std::optional<std::string>& len) {
    auto to_int = [](const std::string& x) -> std::optional<long long> {
      if (x.empty() || x.size() > 18) return std::nullopt;
      std::size_t i = x[0] == '-' || x[0] == '+' ? 1 : 0;
      if (i == x.size()) return std::nullopt;
      long long v = 0;
      for (; i < x.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(x[i]))) return std::nullopt;
        v = v * 10 + (x[i] - '0');
      }
      return x[0] == '-' ? -v : v;
    };
    auto p = to_int(off);
    if (!p) return s;
    long long n = static_cast<long long>(s.size());
    long long pos = *p < 0 ? std::max(0LL, n + *p) : *p;
    if (!len) return pos < n ? s.substr(static_cast<std::size_t>(pos)) : std::string{};
    auto l = to_int(*len);
    if (!l) return s;
    if (*l < 0) {
      long long end = n + *l;
      if (end < pos) return {};
      return s.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(end - pos));
    }
    if (pos + *l >= n) return pos < n ? s.substr(static_cast<std::size_t>(pos)) : std::string{};
    return s.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(*l));
  }

  static std::string replace(std::string s, const std::string& op, const std::string& pat, const std::optional<std::string>& repl,
                             std::size_t max_output) {
    std::string r = repl.value_or("");
    if (op == "/#") {
      if (!repl) return s;
      return s.rfind(pat, 0) == 0 ? r + s.substr(pat.size()) : s;
    }
    if (op == "/%") {
      if (!repl) return s;
      return s.size() >= pat.size() && s.compare(s.size() - pat.size(), pat.size(), pat) == 0
                 ? s.substr(0, s.size() - pat.size()) + r
                 : s;
    }
    if (pat.empty()) return s;
    std::vector<std::size_t> found = occurrences(s, pat, op == "/");
    if (!found.empty() && r.size() > pat.size() &&
        s.size() + found.size() * (r.size() - pat.size()) > max_output)
      too_long();
    std::string out;
    std::size_t start = 0;
    for (std::size_t at : found) {
      out.append(s, start, at - start);
      out += r;
      start = at + pat.size();
    }
    out.append(s, start, std::string::npos);
    return out;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const VarLookup& lookup_;
  bool strict_;
  std::set<std::string>* unresolved_;
  std::size_t max_output_;
  int nesting_ = 0;
};

SubstituteOutcome expand(std::string_view text, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved,
                         std::size_t max_growth) {
  SubstituteOutcome out;
  if (text.find('$') == std::string_view::npos) {
    out.text = std::string(text);
    return out;
  }
  try {
    Expander e(text, lookup, strict, unresolved, text.size() + max_growth);
    out.text = e.top();
  } catch (const Failure& f) {
    out.text = std::string(text);
    if (f.missing) out.missing = f.what;
    else out.error = f.what;
  }
  return out;
}

}  // namespace

SubstituteOutcome envsubst(std::string_view text, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved) {
  return expand(text, lookup, strict, unresolved, kMaxObjectGrowth);
}

SubstituteOutcome substitute_tree(Node& node, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved,
                                  std::size_t* budget) {
  SubstituteOutcome result;
  // What the substitution may add to this object: kMaxObjectGrowth, or less when the build's budget
  // has less left.
  std::size_t room = budget ? std::min(*budget, kMaxObjectGrowth) : kMaxObjectGrowth;
  auto fix = [&](std::string& s) -> bool {
    if (s.find('$') == std::string::npos) return true;
    SubstituteOutcome o = expand(s, lookup, strict, unresolved, room);
    if (o.missing || o.error) {
      result = std::move(o);
      return false;
    }
    if (o.text.size() > s.size()) {
      const std::size_t added = o.text.size() - s.size();
      room -= added;
      if (budget) *budget -= added;
    }
    s = std::move(o.text);
    return true;
  };
  // Iterative walk: objects can be deep.
  std::vector<Node*> todo{&node};
  while (!todo.empty()) {
    Node* n = todo.back();
    todo.pop_back();
    switch (n->kind) {
      case Node::Kind::Scalar:
        if (!fix(n->value)) return result;
        break;
      case Node::Kind::Seq:
        for (auto it = n->items.rbegin(); it != n->items.rend(); ++it) todo.push_back(&*it);
        break;
      case Node::Kind::Map:
        for (Field& f : n->fields)
          if (!fix(f.key)) return result;
        for (auto it = n->fields.rbegin(); it != n->fields.rend(); ++it) todo.push_back(&it->value);
        break;
      case Node::Kind::Null:
        break;
    }
  }
  return result;
}

}  // namespace fluxsim::load
