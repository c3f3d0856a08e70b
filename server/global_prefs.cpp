// SQLite-backed global preferences.
#include "global_prefs.hpp"

#include "error.hpp"
#include "names/tags.hpp"

#include <algorithm>

namespace disorder {

namespace {

bool is_tag_list(std::string_view name) {
  return name == "required-tags" || name == "prohibited-tags";
}

} // namespace

std::optional<std::string> GlobalPrefs::get(std::string_view name) {
  auto& st = db_.cached("SELECT value FROM globals WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  std::string v = st.column_text(0);
  st.reset();
  // Lists stored before tags were normalised are normalised as they are
  // read, so that no migration is needed.
  if (is_tag_list(name)) v = normalised_tags_or_same(v);
  return v;
}

std::string GlobalPrefs::set(std::string_view name, std::string_view given) {
  const std::string value = is_tag_list(name) ? normalise_tags(given) : std::string(given);
  db_.cached("INSERT INTO globals (name, value) VALUES (?, ?) "
             "ON CONFLICT(name) DO UPDATE SET value = excluded.value")
      .bind(1, name)
      .bind(2, value)
      .run();
  return value;
}

bool GlobalPrefs::unset(std::string_view name) {
  db_.cached("DELETE FROM globals WHERE name = ?").bind(1, name).run();
  return db_.changes() > 0;
}

bool GlobalPrefs::flag(std::string_view name) {
  auto v = get(name);
  return !v || *v == "yes";
}

std::vector<std::string> GlobalPrefs::tag_keys(std::string_view name) {
  std::vector<std::string> keys;
  auto v = get(name);
  if (!v) return keys;
  for (const auto& tag : split_tags(*v)) {
    try {
      std::string key = tag_key(tag);
      if (!key.empty()) keys.push_back(std::move(key));
    } catch (const SyntaxError&) {
      // A list stored by an older version that is not UTF-8: that tag
      // matches nothing.
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

} // namespace disorder
