// Directory traversal for the rescanner.
#include "collection_walker.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "unicode.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <memory>
#include <unistd.h>

namespace disorder {

namespace {

// Deeper than any real collection; each level holds a file descriptor.
constexpr std::size_t kMaxDepth = 128;

// Appends a component to a path or name ("/" + component, except after the
// file system root itself).
void append_component(std::string& s, std::string_view component) {
  if (s != "/") s += '/';
  s.append(component);
}

std::string what_failed(std::string_view path, const char* what) {
  return printable(path) + ": " + what;
}

std::string what_failed(std::string_view path, int errnum) {
  return what_failed(path, std::strerror(errnum));
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

} // namespace

CollectionWalker::CollectionWalker(const Collection& collection, const TrackFilter& filter,
                                   std::vector<std::string> skip)
    : collection_(collection), filter_(filter), namer_(collection.encoding),
      skip_(std::move(skip)) {}

void CollectionWalker::incomplete(const std::string& name) {
  outcome_->incomplete.push_back(name);
}

WalkOutcome CollectionWalker::walk(std::string_view dir, WalkVisitor& visitor) {
  WalkOutcome outcome;
  outcome_ = &outcome;
  visitor_ = &visitor;
  ancestors_.clear();
  int fd = -1;
  if (open_start(dir, fd)) {
    outcome.started = true;
    walk_directory(fd, 0);
  }
  outcome_ = nullptr;
  visitor_ = nullptr;
  return outcome;
}

bool CollectionWalker::open_start(std::string_view dir, int& fd_out) {
  path_ = collection_.root;
  name_ = collection_.root;
  path_is_name_ = true;
  Fd fd(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    log_error(what_failed(path_, errno));
    return false;
  }
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) throw_errno("fstat " + path_);
  ancestors_.emplace_back(st.st_dev, st.st_ino);
  // Down to dir, one component at a time, matching names rather than
  // converting dir back to bytes: the bytes on disk need not be NFC.
  std::string_view rest = dir.substr(std::min(dir.size(), collection_.root.size()));
  if (levels_.empty()) levels_.emplace_back();
  while (!rest.empty()) {
    if (rest[0] == '/') rest.remove_prefix(1);
    std::string_view component = rest.substr(0, rest.find('/'));
    rest.remove_prefix(component.size());
    if (component.empty()) continue;
    Level& level = levels_[0];
    if (!read_entries(fd.get(), level)) {
      incomplete(name_);
      return false;
    }
    const Entry* found = nullptr;
    for (std::size_t i : level.order) {
      const Entry& e = level.entries[i];
      if (std::string_view(level.names).substr(e.name, e.name_size) == component && e.name_size) {
        found = &e;
        break;
      }
    }
    if (!found) {
      // Gone: everything that was known below it goes too.
      append_component(name_, component);
      outcome_->started = true;
      outcome_->absent = true;
      return false;
    }
    std::string raw = level.raw_names.substr(found->raw, found->raw_size);
    append_component(path_, raw);
    append_component(name_, component);
    path_is_name_ = path_is_name_ && raw == component;
    Fd sub(::openat(fd.get(), raw.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY));
    if (!sub) {
      log_error(what_failed(path_, errno));
      return false;
    }
    if (::fstat(sub.get(), &st) < 0) throw_errno("fstat " + path_);
    ancestors_.emplace_back(st.st_dev, st.st_ino);
    fd = std::move(sub);
  }
  fd_out = fd.release();
  return true;
}

void CollectionWalker::walk_directory(int fd_in, std::size_t depth) {
  Fd fd(fd_in);
  while (levels_.size() <= depth)
    levels_.emplace_back(); // a deque: references to the other levels stay valid
  Level& level = levels_[depth];
  if (!read_entries(fd.get(), level)) incomplete(name_);
  if (depth == 0 && level.total > 0) outcome_->empty = false;
  visit_entries(fd.get(), level, depth);
}

bool CollectionWalker::read_entries(int fd, Level& level) {
  level.raw_names.clear();
  level.names.clear();
  level.entries.clear();
  level.order.clear();
  level.total = 0;
  // readdir through a duplicate, so that fd stays ours for openat/fstatat.
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) {
    log_warning(what_failed(path_, errno));
    return false;
  }
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dup));
  if (!dir) {
    int e = errno;
    ::close(dup);
    log_warning(what_failed(path_, e));
    return false;
  }
  bool complete = true;
  for (;;) {
    errno = 0;
    const dirent* de = ::readdir(dir.get());
    if (!de) {
      if (errno != 0) {
        log_warning(what_failed(path_, errno));
        complete = false;
      }
      break;
    }
    const char* raw = de->d_name;
    if (raw[0] == '.') continue; // ".", ".." and hidden names
    ++level.total;
    unsigned char type = de->d_type;
    if (type != DT_REG && type != DT_DIR && type != DT_LNK && type != DT_UNKNOWN) continue;
    if (type == DT_REG && !filter_.may_match(raw)) continue;
    Entry e;
    e.raw = level.raw_names.size();
    e.raw_size = std::strlen(raw);
    e.type = type;
    level.raw_names.append(raw, e.raw_size + 1);
    level.entries.push_back(e);
  }
  std::string_view raws = level.raw_names;
  for (Entry& e : level.entries) {
    if (namer_.component(raws.substr(e.raw, e.raw_size), scratch_)) {
      e.name = level.names.size();
      e.name_size = scratch_.size();
      level.names += scratch_;
    }
  }
  // Sorted by name, and among names that normalise to the same one the file
  // already spelled that way first, then by bytes: the first of a group is
  // the one that becomes the track, whatever order readdir gave.
  std::string_view names = level.names;
  level.order.resize(level.entries.size());
  for (std::size_t i = 0; i < level.order.size(); ++i)
    level.order[i] = i;
  std::sort(level.order.begin(), level.order.end(), [&](std::size_t a, std::size_t b) {
    const Entry& x = level.entries[a];
    const Entry& y = level.entries[b];
    std::string_view xn = names.substr(x.name, x.name_size), yn = names.substr(y.name, y.name_size);
    if (xn != yn) return xn < yn;
    std::string_view xr = raws.substr(x.raw, x.raw_size), yr = raws.substr(y.raw, y.raw_size);
    bool x_exact = xr == xn, y_exact = yr == yn;
    if (x_exact != y_exact) return x_exact;
    return xr < yr;
  });
  return complete;
}

void CollectionWalker::visit_entries(int fd, Level& level, std::size_t depth) {
  std::string_view names = level.names, raws = level.raw_names;
  std::string_view previous_name, previous_raw;
  for (std::size_t i : level.order) {
    const Entry& e = level.entries[i];
    // NUL-terminated in the arena, which nested directories (other levels)
    // leave alone.
    std::string_view raw = raws.substr(e.raw, e.raw_size);
    unsigned char type = e.type;
    struct stat st;
    bool have_stat = false;
    if (type == DT_LNK || type == DT_UNKNOWN) {
      if (::fstatat(fd, raw.data(), &st, 0) < 0) {
        int error = errno;
        std::string path = path_;
        append_component(path, raw);
        if (error == ENOENT || error == ELOOP) {
          // A broken link matters only where a track could have been.
          if (filter_.may_match(raw))
            log_warning(what_failed(path, error == ENOENT ? "dangling symbolic link"
                                                          : "too many levels of symbolic links"));
        } else {
          log_warning(what_failed(path, error));
          if (e.name_size) {
            std::string name = name_;
            append_component(name, names.substr(e.name, e.name_size));
            incomplete(name);
          }
        }
        continue;
      }
      have_stat = true;
      if (S_ISDIR(st.st_mode))
        type = DT_DIR;
      else if (S_ISREG(st.st_mode))
        type = DT_REG;
      else
        continue;
    }
    if (e.name_size == 0) {
      // Not valid in the encoding: say so when it would have mattered.
      std::string path = path_;
      append_component(path, raw);
      if (type == DT_DIR || (filter_.built_in() ? filter_.may_match(raw) : filter_.matches(path))) {
        log_warning(printable(path) + ": name is not valid " + namer_.encoding() + "; skipped" +
                    (type == DT_DIR ? " with everything below it" : ""));
      }
      continue;
    }
    std::string_view name = names.substr(e.name, e.name_size);
    if (name.find('\n') != std::string_view::npos) {
      // A track name is a line of a reply body (files, new, search): one
      // with a line feed could never be listed, and would make every
      // listing it belongs to fail.
      std::string path = path_;
      append_component(path, raw);
      if (type == DT_DIR || (filter_.built_in() ? filter_.may_match(raw) : filter_.matches(path))) {
        log_warning(printable(path) + ": name contains a line feed, which the protocol cannot" +
                    " carry; skipped" + (type == DT_DIR ? " with everything below it" : ""));
      }
      continue;
    }
    if (name == previous_name) {
      std::string path = path_, kept = path_;
      append_component(path, raw);
      append_component(kept, previous_raw);
      log_warning(printable(path) + ": same name as " + printable(kept) +
                  " once normalised to NFC; skipped");
      continue;
    }
    previous_name = name;
    previous_raw = raws.substr(e.raw, e.raw_size);
    if (type == DT_DIR)
      enter_directory(fd, raw, name, depth);
    else if (type == DT_REG)
      visit_file(fd, raw, name, have_stat ? &st : nullptr);
  }
}

void CollectionWalker::enter_directory(int parent_fd, std::string_view raw, std::string_view name,
                                       std::size_t depth) {
  std::size_t path_size = path_.size(), name_size = name_.size();
  bool path_was_name = path_is_name_;
  append_component(path_, raw);
  append_component(name_, name);
  path_is_name_ = path_is_name_ && raw == name;
  struct Restore {
    CollectionWalker& w;
    std::size_t p, n;
    bool pin;
    ~Restore() {
      w.path_.resize(p);
      w.name_.resize(n);
      w.path_is_name_ = pin;
    }
  } restore{*this, path_size, name_size, path_was_name};

  if (std::find(skip_.begin(), skip_.end(), name_) != skip_.end()) {
    log_debug(printable(path_) + ": another collection root, walked on its own");
    return;
  }
  if (depth + 1 >= kMaxDepth) {
    log_warning(what_failed(path_, "too deep; skipped"));
    incomplete(name_);
    return;
  }
  // raw is NUL-terminated: it points into a Level's arena.
  Fd sub(::openat(parent_fd, raw.data(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY));
  if (!sub) {
    log_warning(what_failed(path_, errno));
    incomplete(name_);
    return;
  }
  struct stat st;
  if (::fstat(sub.get(), &st) < 0) {
    log_warning(what_failed(path_, errno));
    incomplete(name_);
    return;
  }
  auto id = std::make_pair(st.st_dev, st.st_ino);
  if (std::find(ancestors_.begin(), ancestors_.end(), id) != ancestors_.end()) {
    log_warning(what_failed(path_, "symbolic link loop (leads back to a directory above it); "
                                   "not followed"));
    return;
  }
  ancestors_.push_back(id);
  walk_directory(sub.release(), depth + 1);
  ancestors_.pop_back();
}

void CollectionWalker::visit_file(int dir_fd, std::string_view raw, std::string_view name,
                                  struct stat* known) {
  std::size_t path_size = path_.size(), name_size = name_.size();
  append_component(path_, raw);
  append_component(name_, name);
  struct Restore {
    std::string &p, &n;
    std::size_t ps, ns;
    ~Restore() {
      p.resize(ps);
      n.resize(ns);
    }
  } restore{path_, name_, path_size, name_size};

  if (!filter_.matches(name_)) return;
  struct stat st;
  if (!known) {
    if (::fstatat(dir_fd, raw.data(), &st, 0) < 0) {
      int error = errno;
      log_warning(what_failed(path_, error));
      if (error != ENOENT) incomplete(name_); // still there, maybe; keep it
      return;
    }
    known = &st;
  }
  if (known->st_size == 0) {
    log_warning(what_failed(path_, "empty file; not a track"));
    return;
  }
  std::string_view dir = std::string_view(name_).substr(0, name_size);
  FoundFile file{path_, name_, dir, path_is_name_ && raw == name, *known};
  visitor_->track(file);
}

} // namespace disorder
