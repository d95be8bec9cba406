// SPDX-License-Identifier: Apache-2.0
// A small evaluator for the part of CEL (the Common Expression Language) that dependsOn[].readyExpr
// expressions use: field access on `self` and `dep`, comparisons, `&&` `||` `!`, `in`, `has()`, `size()`,
// the exists/all/exists_one/filter/map macros, string/int/double/bool/null literals, lists, maps,
// arithmetic, `?:` and the string methods startsWith/endsWith/contains. No CEL library is packaged in
// Debian 12, hence this one. Pure: no engine types, no I/O.
//
// compile() is what Flux's cel.NewExpression(WithCompile, WithOutputType(bool), WithStructVariables("self",
// "dep")) does (fluxcd/pkg runtime/cel/expression.go): a syntax error, an undeclared identifier or a
// result that is not statically a bool is an Invalid expression (Flux: terminal, Stalled
// InvalidCELExpression). Constructs CEL has and this evaluator does not are Unsupported (the caller
// falls back and says so). Hostile input is bounded: at most 100,000 code points (cel-go's default
// limit), nesting at most 250 levels (cel-go's recursion limit), `&&`/`||` chains balanced as cel-go
// balances them, and every evaluation within a fixed cost budget, so parse and evaluation take time
// linear in the input and stack bounded by the nesting limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fluxsim::flux::cel {

class Value;
using List = std::vector<Value>;
using Map = std::vector<std::pair<std::string, Value>>;  ///< string keys, in insertion order

/// A CEL value: null, bool, int, double, string, list or map (Kubernetes objects as
/// runtime.DefaultUnstructuredConverter gives them to CEL).
class Value {
 public:
  enum class Type : std::uint8_t { Null, Bool, Int, Double, String, List, Map };

  Value() = default;
  static Value boolean(bool b) { return Value(Data(b)); }
  static Value integer(std::int64_t i) { return Value(Data(i)); }
  static Value number(double d) { return Value(Data(d)); }
  static Value string(std::string s) { return Value(Data(std::move(s))); }
  static Value list(List items) { return Value(Data(std::make_shared<const List>(std::move(items)))); }
  static Value map(Map fields) { return Value(Data(std::make_shared<const Map>(std::move(fields)))); }

  Type type() const { return static_cast<Type>(data_.index()); }
  bool as_bool() const { return std::get<bool>(data_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(data_); }
  double as_double() const { return std::get<double>(data_); }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const List& as_list() const { return *std::get<5>(data_); }
  const Map& as_map() const { return *std::get<6>(data_); }
  /// A map's entry, nullptr when absent (or when this is not a map).
  const Value* field(std::string_view key) const;

 private:
  using Data = std::variant<std::monostate, bool, std::int64_t, double, std::string, std::shared_ptr<const List>,
                            std::shared_ptr<const Map>>;
  explicit Value(Data d) : data_(std::move(d)) {}
  Data data_;
};

/// "null", "bool", "int", "double", "string", "list", "map": as CEL names types in messages.
const char* type_name(Value::Type t);

/// Where in the expression: 1-based line and column (code points).
struct Position {
  int line = 1;
  int column = 1;
};

struct Problem {
  enum class Kind : std::uint8_t {
    Invalid,      ///< CEL rejects it (syntax, undeclared reference, not a bool, too large): Flux stalls
    Unsupported,  ///< valid CEL this evaluator does not implement
  };
  Kind kind = Kind::Invalid;
  Position at;
  std::string message;
};

/// "1:23: message".
std::string to_string(const Problem& p);

/// A compiled expression; cheap to share between runs (immutable).
class Program {
 public:
  struct Node;
  Program(std::vector<Node> nodes, std::uint32_t root, std::string text);
  ~Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  const std::string& text() const { return text_; }

  /// Evaluates with `self` and `dep` bound: the bool, or an error message as cel-go words it
  /// ("no such key: observedGeneration"). Flux: an error leaves the dependency not ready.
  struct Result {
    bool ok = false;
    bool value = false;
    std::string error;
  };
  Result evaluate(const Value& self, const Value& dep) const;

 private:
  std::vector<Node> nodes_;
  std::uint32_t root_ = 0;
  std::string text_;
};

struct Compiled {
  std::shared_ptr<const Program> program;  ///< set when compilation succeeded
  Problem problem;                         ///< otherwise why not
  bool ok() const { return program != nullptr; }
};

/// Parses and checks `expr` (variables `self` and `dep`; result bool).
Compiled compile(std::string_view expr);

/// Limits (cel-go's defaults where cel-go has one).
inline constexpr std::size_t kMaxCodePoints = 100'000;
inline constexpr int kMaxDepth = 250;
inline constexpr std::uint64_t kEvaluationBudget = 10'000'000;

}  // namespace fluxsim::flux::cel
