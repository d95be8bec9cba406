// SPDX-License-Identifier: Apache-2.0
#include "load/repo_files.h"

#include <algorithm>

namespace fluxsim::load {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string join_parts(const std::vector<std::string_view>& parts) {
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace

std::optional<std::string> normalize_path(std::string_view path) {
  if (!path.empty() && path[0] == '/') return std::nullopt;
  std::vector<std::string_view> out;
  for (std::string_view p : split(path)) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (out.empty()) return std::nullopt;
      out.pop_back();
      continue;
    }
    out.push_back(p);
  }
  return join_parts(out);
}

std::string clamp_path(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::string_view p : split(path)) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(p);
  }
  return join_parts(out);
}

std::string join_path(std::string_view dir, std::string_view rel) {
  if (dir.empty()) return std::string(rel);
  if (rel.empty()) return std::string(dir);
  std::string out(dir);
  out += '/';
  out += rel;
  return out;
}

std::string parent_dir(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string{} : std::string(path.substr(0, slash));
}

std::string base_name(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool is_under(std::string_view path, std::string_view dir) {
  if (dir.empty()) return true;
  if (path.size() < dir.size() || path.substr(0, dir.size()) != dir) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

std::string display_path(std::string_view path) { return path.empty() ? std::string(".") : std::string(path); }

RepoFiles::RepoFiles(const FileSource& source, ParseLimits limits) : source_(source), limits_(limits) {}

FileSource::Type RepoFiles::type(const std::string& path) {
  auto it = types_.find(path);
  if (it != types_.end()) return it->second;
  FileSource::Type t = source_.type(path);
  types_.emplace(path, t);
  return t;
}

const std::vector<std::string>& RepoFiles::list(const std::string& path) {
  auto it = lists_.find(path);
  if (it != lists_.end()) return it->second;
  return lists_.emplace(path, source_.list(path)).first->second;
}

const std::string* RepoFiles::read(const std::string& path) {
  auto it = texts_.find(path);
  if (it == texts_.end()) {
    it = texts_.emplace(path, source_.read(path)).first;
    if (it->second) {
      ++files_read_;
      bytes_read_ += it->second->size();
    }
  } else if (!it->second && parsed_.count(path)) {
    it->second = source_.read(path);  // dropped once its tree was kept: read again
  }
  return it->second ? &*it->second : nullptr;
}

const ParsedYaml* RepoFiles::parse_into(const std::string& path, Parsed& entry, bool first) {
  const std::string* text = read(path);
  if (!text) return nullptr;
  entry.tree = std::make_unique<ParsedYaml>(parse_yaml(*text, limits_));
  if (first) {
    documents_parsed_ += entry.tree->documents.size();
    if (on_first_parse_) on_first_parse_(path, *entry.tree);
  }
  // Until its tree is taken a second time the text stays: the tree may move out to a build, and a
  // second reader then parses the text again (the file is read once). From then on the tree is
  // kept, and the text is read again only if asked for.
  if (!first) texts_[path].reset();
  return entry.tree.get();
}

const ParsedYaml* RepoFiles::parse(const std::string& path) {
  auto it = parsed_.find(path);
  if (it != parsed_.end()) {
    if (it->second.tree) return it->second.tree.get();
    return parse_into(path, it->second, false);  // taken before: parsed again and kept
  }
  Parsed entry;
  const ParsedYaml* p = parse_into(path, entry, true);
  if (!p) return nullptr;
  return parsed_.emplace(path, std::move(entry)).first->second.tree.get();
}

std::optional<ParsedYaml> RepoFiles::take(const std::string& path) {
  auto it = parsed_.find(path);
  if (it == parsed_.end()) {
    Parsed entry;
    if (!parse_into(path, entry, true)) return std::nullopt;
    ParsedYaml out = std::move(*entry.tree);
    entry.tree.reset();
    entry.taken = true;
    parsed_.emplace(path, std::move(entry));
    return out;
  }
  Parsed& entry = it->second;
  if (!entry.taken && entry.tree) {  // parsed (looked at) but never handed out: nobody else holds it
    ParsedYaml out = std::move(*entry.tree);
    entry.tree.reset();
    entry.taken = true;
    return out;
  }
  const ParsedYaml* kept = entry.tree ? entry.tree.get() : parse_into(path, entry, false);
  if (!kept) return std::nullopt;
  entry.taken = true;
  return *kept;
}

std::vector<std::string> RepoFiles::parsed_paths() const {
  std::vector<std::string> out;
  out.reserve(parsed_.size());
  for (const auto& [path, parsed] : parsed_) out.push_back(path);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fluxsim::load
