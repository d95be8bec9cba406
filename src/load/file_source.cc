// SPDX-License-Identifier: Apache-2.0
// The disk FileSource: the only place the loader touches the file system. Every path is resolved one
// component at a time; a symbolic link is followed only when its target stays inside the root and is
// not a directory already on the path (a directory cycle), so loops end and nothing outside the root
// is ever read — kustomize's root-only restriction applied to the whole repository.
#include <dirent.h>    // getdents64: a directory's entries with their types
#include <fcntl.h>     // open: one syscall per file read
#include <sys/stat.h>  // fstat
#include <unistd.h>    // read, close

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "fluxsim/load.h"

namespace fluxsim {

namespace {

namespace fs = std::filesystem;

bool inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

/// Larger files read as unreadable: no repository manifest comes near this.
constexpr std::uintmax_t kMaxFileBytes = 256u << 20;

class DiskFileSource final : public FileSource {
 public:
  explicit DiskFileSource(fs::path root) : root_(std::move(root)) {}

  Type type(const std::string& path) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<Resolved> r = resolved(path);
    return r ? r->type : Type::Missing;
  }

  std::vector<std::string> list(const std::string& path) const override {
    std::vector<std::string> names;
    auto real = resolve(path);
    if (!real) return names;
    std::error_code ec;
    if (!fs::is_directory(*real, ec)) return names;
    fs::directory_iterator it(fs::path(*real), ec), end;
    for (; !ec && it != end; it.increment(ec)) names.push_back(it->path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::optional<std::string> read(const std::string& path) const override {
    std::optional<std::string> real;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::optional<Resolved> r = resolved(path);
      if (!r || r->type != Type::File) return std::nullopt;
      real = std::move(r->real);
    }
    // One open, a read or two, one close: this runs for every file of the repository. The walk
    // found a regular file; one larger than any manifest stops being read at the limit (bounded
    // memory) and reads as unreadable.
    const int fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text;
    char buffer[64 * 1024];
    bool ok = true;
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ok = false;
      if (n <= 0) break;
      if (text.size() + static_cast<std::size_t>(n) > kMaxFileBytes) {
        ok = false;
        break;
      }
      text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    return text;
  }

 private:
  /// A path walked: its real path and what lies there.
  struct Resolved {
    std::string real;
    Type type = Type::Missing;
  };

  /// A real directory reached from the root, and the one it was reached from (nullptr at the root):
  /// the directories on its path, for the cycle check.
  struct Chain {
    std::string real;
    const Chain* parent = nullptr;
  };

  /// A directory's entries with their d_type, sorted by name; the names share one string.
  struct Listing {
    struct Entry {
      std::uint32_t offset = 0;
      std::uint32_t length = 0;
      unsigned char type = DT_UNKNOWN;
    };
    std::string names;
    std::vector<Entry> entries;
    std::string_view name(const Entry& e) const { return std::string_view(names).substr(e.offset, e.length); }
  };

  // `name` in `dir`: the directory's listing answers for names it lacks and for plain files and
  // directories, without a syscall of their own; a symbolic link (or an unknown type) takes the full
  // step, as does every name of a directory that cannot be listed.
  std::optional<std::string> child(const Chain& dir, const std::string& name, Type* type) const {
    const Listing* listing = listing_of(dir);
    if (!listing) return step(dir, name, type);
    auto entry = std::lower_bound(listing->entries.begin(), listing->entries.end(), name,
                                  [&](const Listing::Entry& e, const std::string& n) { return listing->name(e) < n; });
    if (entry == listing->entries.end() || listing->name(*entry) != name) return std::nullopt;
    if (entry->type != DT_REG && entry->type != DT_DIR) return step(dir, name, type);
    std::string real = dir.real;
    if (real.empty() || real.back() != '/') real += '/';
    real += name;
    *type = entry->type == DT_REG ? Type::File : Type::Directory;
    return real;
  }

  // The listing of a directory, read once (one getdents for all its entries instead of an lstat per
  // name asked about); nullptr when it cannot be read (each name then takes its own lstat).
  const Listing* listing_of(const Chain& dir) const {
    auto it = listings_.find(&dir);
    if (it != listings_.end()) return it->second ? &*it->second : nullptr;
    std::optional<Listing> listing;
    // getdents64 into a buffer on the stack: opendir would allocate (and free) 32 KiB per directory.
    const int fd = ::open(dir.real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      Listing l;
      alignas(8) char buffer[16 * 1024];
      bool ok = true;
      while (true) {
        const ssize_t n = ::getdents64(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) ok = false;
        if (n <= 0) break;
        for (ssize_t at = 0; at < n;) {
          const auto* d = reinterpret_cast<const struct dirent64*>(buffer + at);
          at += d->d_reclen;
          const std::string_view name(d->d_name);
          if (name == "." || name == "..") continue;
          l.entries.push_back({static_cast<std::uint32_t>(l.names.size()), static_cast<std::uint32_t>(name.size()), d->d_type});
          l.names += name;
        }
      }
      ::close(fd);
      if (ok) {
        std::sort(l.entries.begin(), l.entries.end(),
                  [&](const Listing::Entry& a, const Listing::Entry& b) { return l.name(a) < l.name(b); });
        listing = std::move(l);
      }
    }
    auto pos = listings_.emplace(&dir, std::move(listing)).first;
    return pos->second ? &*pos->second : nullptr;
  }

  // The walk of `path`; nullopt when it does not resolve inside the root. Caller holds mu_. Its
  // directories and their listings are memoised, so after the first path of a directory this costs no
  // syscall (a symbolic link costs its lstat and stat each time).
  std::optional<Resolved> resolved(const std::string& path) const {
    std::optional<Resolved> r;
    Type type = Type::Missing;
    std::optional<std::string> real;
    if (path.find("..") != std::string::npos) {
      real = resolve_walk(path, &type);
    } else if (const Chain* dir = chain_of(parent_of(path))) {
      std::string last = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
      if (last.empty() || last == ".") {
        real = dir->real;
        struct stat st {};
        type = ::stat(real->c_str(), &st) != 0 ? Type::Missing : type_of(st.st_mode);
      } else {
        real = child(*dir, last, &type);
      }
    }
    if (real && type != Type::Missing) r = Resolved{std::move(*real), type};
    return r;
  }

  // Walks `path` below the root. Returns the real path, or nullopt when a component is missing, a
  // link leaves the root, a link loops, or a link leads back to a directory already on the path.
  // Directories and their listings are memoised: a plain file costs no syscall of its own.
  std::optional<std::string> resolve(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<Resolved> r = resolved(path);
    if (!r) return std::nullopt;
    return std::move(r->real);
  }

  static std::string parent_of(const std::string& path) {
    std::string p = path;
    while (!p.empty() && p.back() == '/') p.pop_back();
    std::size_t slash = p.rfind('/');
    return slash == std::string::npos ? std::string{} : p.substr(0, slash);
  }

  static Type type_of(mode_t mode) {
    if (S_ISDIR(mode)) return Type::Directory;
    if (S_ISREG(mode)) return Type::File;
    return Type::Missing;
  }

  // One component below `dir`, following a symlink only inside the root and never back to a
  // directory on the path. `type`, when given, receives what lies there (from the same lstat, or
  // the link target's stat).
  std::optional<std::string> step(const Chain& dir, const std::string& part, Type* type = nullptr) const {
    std::string next = dir.real;
    if (next.empty() || next.back() != '/') next += '/';
    next += part;
    struct stat st {};
    if (::lstat(next.c_str(), &st) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      fs::path target = fs::canonical(next, ec);  // ELOOP and dangling links fail here
      if (ec || !inside(root_, target)) return std::nullopt;
      next = target.string();
      if (::stat(next.c_str(), &st) != 0) return std::nullopt;
      if (S_ISDIR(st.st_mode))
        for (const Chain* c = &dir; c; c = c->parent)
          if (c->real == next) return std::nullopt;  // a directory cycle
    }
    if (type) *type = type_of(st.st_mode);
    return next;
  }

  const Chain* chain_of(const std::string& dir) const {
    auto it = chains_.find(dir);
    if (it != chains_.end()) return it->second ? &*it->second : nullptr;
    std::optional<Chain> result;
    if (dir.empty() || dir == ".") {
      result = Chain{root_.string(), nullptr};
    } else if (const Chain* parent = chain_of(parent_of(dir))) {
      std::string last = dir.substr(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/') + 1);
      if (last.empty() || last == ".") {
        result = *parent;
      } else {
        Type type = Type::Missing;
        if (auto next = child(*parent, last, &type)) result = Chain{std::move(*next), parent};
      }
    }
    auto pos = chains_.emplace(dir, std::move(result)).first;
    return pos->second ? &*pos->second : nullptr;
  }

  // The general walk, for paths with "..".
  std::optional<std::string> resolve_walk(const std::string& path, Type* type) const {
    std::deque<Chain> visited{Chain{root_.string(), nullptr}};
    *type = Type::Directory;  // the root, when nothing follows
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t slash = path.find('/', start);
      if (slash == std::string::npos) slash = path.size();
      std::string part = path.substr(start, slash - start);
      start = slash + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (visited.size() <= 1) return std::nullopt;
        visited.pop_back();
        *type = Type::Directory;
        continue;
      }
      auto next = step(visited.back(), part, type);
      if (!next) return std::nullopt;
      visited.push_back(Chain{std::move(*next), &visited.back()});
    }
    return visited.back().real;
  }

  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::optional<Chain>> chains_;  // node-based: chains stay where they are
  mutable std::unordered_map<const Chain*, std::optional<Listing>> listings_;
  fs::path root_;
};

}  // namespace

std::unique_ptr<FileSource> make_disk_file_source(const std::string& root) {
  std::error_code ec;
  fs::path canon = fs::canonical(fs::path(root.empty() ? "." : root), ec);
  if (ec) canon = fs::path("/nonexistent-fluxsim-root") / root;  // every lookup reads as Missing
  return std::make_unique<DiskFileSource>(canon);
}

}  // namespace fluxsim
