// SQLite-backed global preferences.
#include "global_prefs.hpp"

namespace disorder {

std::optional<std::string> GlobalPrefs::get(std::string_view name) {
  auto& st = db_.cached("SELECT value FROM globals WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  std::string v = st.column_text(0);
  st.reset();
  return v;
}

void GlobalPrefs::set(std::string_view name, std::string_view value) {
  db_.cached("INSERT INTO globals (name, value) VALUES (?, ?) "
             "ON CONFLICT(name) DO UPDATE SET value = excluded.value")
      .bind(1, name)
      .bind(2, value)
      .run();
}

bool GlobalPrefs::unset(std::string_view name) {
  db_.cached("DELETE FROM globals WHERE name = ?").bind(1, name).run();
  return db_.changes() > 0;
}

bool GlobalPrefs::flag(std::string_view name) {
  auto v = get(name);
  return !v || *v == "yes";
}

} // namespace disorder
