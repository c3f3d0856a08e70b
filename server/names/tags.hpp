// Tags (disorder_preferences(5) `tags`, disorder_config(5) "Searching And
// Tags"): the tags preference is a comma-separated list.  The server keeps
// and shows tags in one form, as DisOrder does (normalise_tag), and two tags
// are the same tag when they differ only in letter case, accents,
// surrounding whitespace or the length of internal whitespace runs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace disorder {

// The tags of a tags preference value, in order: split at commas, each
// trimmed of surrounding whitespace; empty ones are left out.  value must be
// UTF-8.
std::vector<std::string> split_tags(std::string_view value);

// The form two tags are compared in: case-folded, accents (combining
// diacritical marks after canonical decomposition) removed, surrounding
// whitespace removed and internal whitespace runs made one space.  Equal
// keys mean the same tag.  Throws SyntaxError when tag is not valid UTF-8.
std::string tag_key(std::string_view tag);

// A tag as the server stores and shows it: case-folded, surrounding
// whitespace removed and internal whitespace runs made one space (DisOrder's
// form: "  First   Tag " is "first tag").  Unlike tag_key() it keeps
// accents.  Throws SyntaxError when tag is not valid UTF-8.
std::string normalise_tag(std::string_view tag);

// A tags preference value in that form: its tags normalised, in order,
// empty ones and repeats left out, joined by ", ".  Throws SyntaxError when
// value is not valid UTF-8.
std::string normalise_tags(std::string_view value);

// normalise_tags(), or value unchanged when it is not valid UTF-8: for
// values read back from the database, which older versions stored as given.
std::string normalised_tags_or_same(std::string_view value);

} // namespace disorder
