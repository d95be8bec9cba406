// SPDX-License-Identifier: Apache-2.0
#include "load/substitute.h"

#include <algorithm>
#include <cctype>

namespace fluxsim::load {

bool valid_var_name(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alpha(c) || std::isdigit(static_cast<unsigned char>(c)); });
}

namespace {

// Go's path.Match: '*' is any run of non-'/' bytes, '?' one non-'/' byte, [...] a class.
bool glob(std::string_view pat, std::string_view s) {
  std::size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star_p = p++;
      star_i = i;
      continue;
    }
    bool ok = false;
    std::size_t next_p = p + 1;
    if (p < pat.size()) {
      if (pat[p] == '?') {
        ok = s[i] != '/';
      } else if (pat[p] == '[') {
        std::size_t close = pat.find(']', p + 1);
        if (close != std::string_view::npos) {
          std::string_view cls = pat.substr(p + 1, close - p - 1);
          bool neg = !cls.empty() && cls[0] == '^';
          if (neg) cls.remove_prefix(1);
          bool in = false;
          for (std::size_t k = 0; k < cls.size(); ++k) {
            if (k + 2 < cls.size() && cls[k + 1] == '-') {
              if (s[i] >= cls[k] && s[i] <= cls[k + 2]) in = true;
              k += 2;
            } else if (cls[k] == s[i]) {
              in = true;
            }
          }
          ok = in != neg;
          next_p = close + 1;
        }
      } else if (pat[p] == '\\' && p + 1 < pat.size()) {
        ok = pat[p + 1] == s[i];
        next_p = p + 2;
      } else {
        ok = pat[p] == s[i];
      }
    }
    if (ok) {
      p = next_p;
      ++i;
      continue;
    }
    if (star_p != std::string_view::npos && s[star_i] != '/') {
      p = star_p + 1;
      i = ++star_i;
      continue;
    }
    return false;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

std::string trim_prefix(const std::string& s, const std::string& pat, bool longest) {
  if (longest) {
    for (std::size_t n = s.size();; --n) {
      if (glob(pat, std::string_view(s).substr(0, n))) return s.substr(n);
      if (n == 0) break;
    }
    return s;
  }
  for (std::size_t n = 0; n <= s.size(); ++n)
    if (glob(pat, std::string_view(s).substr(0, n))) return n == 0 ? s : s.substr(n);
  return s;
}

std::string reverse(std::string s) {
  std::reverse(s.begin(), s.end());
  return s;
}

struct Failure {
  bool missing;
  std::string what;
};

class Expander {
 public:
  Expander(std::string_view text, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved)
      : s_(text), lookup_(lookup), strict_(strict), unresolved_(unresolved) {}

  std::string top() {
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{') {
        pos_ += 2;
        out += func();
      } else if (c == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '$') {
        out += '$';
        pos_ += 2;
      } else {
        out += c;
        ++pos_;
      }
    }
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& what) { throw Failure{false, what}; }

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

  std::string func() {
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
        for (const std::string& a : args) v += a;
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
      return v ? replace(*v, op, pattern, repl) : kept(name);
    }
    if (c == '#' || c == '%') {
      std::string op(1, c);
      ++pos_;
      if (at(c)) op += s_[pos_++];
      std::string pattern = param("}", false);
      close();
      auto got = value_of(name, false);
      if (!got) return kept(name);
      std::string v = *got;
      bool longest = op.size() == 2;
      if (c == '#') return trim_prefix(v, pattern, longest);
      return reverse(trim_prefix(reverse(v), reverse(pattern), longest));
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

  static std::string replace(std::string s, const std::string& op, const std::string& pat, const std::optional<std::string>& repl) {
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
    if (pat.empty()) return op == "//" ? s : s;
    std::string out;
    std::size_t start = 0;
    while (true) {
      std::size_t at = s.find(pat, start);
      if (at == std::string::npos) break;
      out += s.substr(start, at - start);
      out += r;
      start = at + pat.size();
      if (op == "/") break;
    }
    out += s.substr(start);
    return out;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const VarLookup& lookup_;
  bool strict_;
  std::set<std::string>* unresolved_;
};

}  // namespace

SubstituteOutcome envsubst(std::string_view text, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved) {
  SubstituteOutcome out;
  if (text.find('$') == std::string_view::npos) {
    out.text = std::string(text);
    return out;
  }
  try {
    Expander e(text, lookup, strict, unresolved);
    out.text = e.top();
  } catch (const Failure& f) {
    out.text = std::string(text);
    if (f.missing) out.missing = f.what;
    else out.error = f.what;
  }
  return out;
}

SubstituteOutcome substitute_tree(Node& node, const VarLookup& lookup, bool strict, std::set<std::string>* unresolved) {
  SubstituteOutcome result;
  auto fix = [&](std::string& s) -> bool {
    if (s.find('$') == std::string::npos) return true;
    SubstituteOutcome o = envsubst(s, lookup, strict, unresolved);
    if (o.missing || o.error) {
      result = std::move(o);
      return false;
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
