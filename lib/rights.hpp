// User rights (disorder_config(5) "Users And Access Control"): a bit set,
// parsed from and formatted to the comma-separated list used by the
// protocol, the configuration (default_rights) and the user database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace disorder {

using Rights = std::uint32_t;

namespace right {
inline constexpr Rights none = 0;
inline constexpr Rights read = 1u << 0;
inline constexpr Rights play = 1u << 1;
inline constexpr Rights move_any = 1u << 2;
inline constexpr Rights move_mine = 1u << 3;
inline constexpr Rights move_random = 1u << 4;
inline constexpr Rights remove_any = 1u << 5;
inline constexpr Rights remove_mine = 1u << 6;
inline constexpr Rights remove_random = 1u << 7;
inline constexpr Rights scratch_any = 1u << 8;
inline constexpr Rights scratch_mine = 1u << 9;
inline constexpr Rights scratch_random = 1u << 10;
inline constexpr Rights volume = 1u << 11;
inline constexpr Rights admin = 1u << 12;
inline constexpr Rights rescan = 1u << 13;
inline constexpr Rights register_ = 1u << 14;
inline constexpr Rights userinfo = 1u << 15;
inline constexpr Rights prefs = 1u << 16;
inline constexpr Rights global_prefs = 1u << 17;
inline constexpr Rights pause = 1u << 18;
inline constexpr Rights all = (1u << 19) - 1;
inline constexpr Rights move = move_any | move_mine | move_random;
inline constexpr Rights remove = remove_any | remove_mine | remove_random;
inline constexpr Rights scratch = scratch_any | scratch_mine | scratch_random;
// What a new user gets when default_rights is not configured: everything
// but admin and register.
inline constexpr Rights default_set = all & ~(admin | register_);
} // namespace right

// Parse "read,play,move mine,...".  Each name may be written with a
// space (DisOrder's spelling), an underscore or a hyphen between its words
// ("move any", "move_any", "move-any"); "all" stands for every right.
// Throws SyntaxError naming the first unknown right.  An empty string is no
// rights.
Rights parse_rights(std::string_view text);

// How format_rights writes the names of two words.
enum class RightsSpelling {
  disorder,    // "move any", as DisOrder's server writes them and its clients parse them
  underscores, // "move_any", for lists whose fields are separated by spaces
};

// Format as the canonical comma-separated list, in the order of the table
// above ("read,play,move any").
std::string format_rights(Rights rights, RightsSpelling spelling = RightsSpelling::disorder);

} // namespace disorder
