// Aliases (disorder_config(5) alias): a track renamed with trackname_
// preferences can also be named by its alias, its collection root followed
// by the alias pattern expanded with its display name parts.  Every command
// that takes a track accepts an alias for it.
#pragma once

#include "name_parts.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace disorder {

// root followed by pattern, with {NAME} replaced by part(NAME) and {/NAME}
// by "/" + part(NAME) when that is not empty.  A '{' without its '}' stands
// for itself (the configuration parser refuses such patterns anyway).
std::string expand_alias(std::string_view pattern, std::string_view root,
                         const std::function<std::string(std::string_view)>& part);

// Whether the track has a preference that renames it (trackname_...): only
// such tracks have aliases.
bool has_trackname_prefs(const TrackFacts& track);

// The alias of track: expand_alias() with its display parts.  Call only
// when has_trackname_prefs(track).
std::string alias_of(const NameParts& parts, std::string_view pattern, const TrackFacts& track);

} // namespace disorder
