# Bash completion for disorder(1): options, command names (from
# `disorder --help-commands`), the flags a command takes, and track and
# directory names of the server's collection (from `disorder dirs` and
# `disorder files`, asked with the options already typed).

# The global options; those of the first list take an argument.
_disorder_options_with_arg="--config -c --user-config -u --user --password"
_disorder_options="--config -c --user-config -u --no-per-user-config -N --local -l --user
  --password --table --json --debug -d --help -h --version -V --help-commands -H"

# Commands whose arguments are tracks or directories of the collection.
_disorder_path_commands=" adopt allfiles dirs exists files get length move part play play-dir
  playafter prefs remove resolve schedule-play set unset "

# The command table: "NAME USAGE..." lines, from the client itself.
_disorder_table() {
  "$1" --help-commands 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\)\(.*\)$/\1\2/p'
}

# Adds the tracks and directories whose names start with $2 (unquoted),
# listed by the client $1 with the options in the rest of the arguments.
_disorder_paths() {
  local prog=$1 cur=$2
  shift 2
  [[ $cur == /* ]] || return 0
  local dir=${cur%/*}
  [[ -n $dir ]] || dir=/
  local line quoted
  while IFS= read -r line; do
    [[ $line == "$cur"* ]] || continue
    printf -v quoted '%q' "$line"
    COMPREPLY+=("$quoted/")
  done < <("$prog" "$@" dirs "$dir" 2>/dev/null)
  # A directory is completed without the space, so that its tracks can
  # follow.
  if ((${#COMPREPLY[@]})); then compopt -o nospace 2>/dev/null; fi
  while IFS= read -r line; do
    [[ $line == "$cur"* ]] || continue
    printf -v quoted '%q' "$line"
    COMPREPLY+=("$quoted")
  done < <("$prog" "$@" files "$dir" 2>/dev/null)
}

_disorder() {
  COMPREPLY=()
  local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # The word as the user means it: without its backslashes or opening
  # quote.
  local word=$cur
  word=${word#[\"\']}
  word=${word//\\/}

  case $prev in
  --config | -c | --user-config | -u)
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
    ;;
  --user | --password)
    return 0
    ;;
  esac

  # The options before the first command go with every query; the last
  # command named before the cursor decides what is completed.
  local -a options=()
  local i=1 command="" w
  while ((i < COMP_CWORD)); do
    w=${COMP_WORDS[i]}
    if [[ -z $command && $w == -* ]]; then
      options+=("$w")
      if [[ " $_disorder_options_with_arg " == *" $w "* ]] && ((i + 1 < COMP_CWORD)); then
        ((i++))
        options+=("${COMP_WORDS[i]}")
      fi
    elif [[ -z $command ]]; then
      command=$w
    fi
    ((i++))
  done
  local table
  table=$(_disorder_table "$prog")
  local names
  names=$(printf '%s\n' "$table" | cut -d' ' -f1)
  # The last word before the cursor that names a command.
  for ((i = COMP_CWORD - 1; i > 0; i--)); do
    if printf '%s\n' "$names" | grep -qxF -- "${COMP_WORDS[i]}"; then
      command=${COMP_WORDS[i]}
      break
    fi
  done

  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$_disorder_options" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    # The flags the command's usage shows, such as queue's --long.
    local usage
    usage=$(printf '%s\n' "$table" | awk -v c="$command" '$1 == c' | grep -o -- '--[a-z-]*')
    mapfile -t COMPREPLY < <(compgen -W "$usage" -- "$cur")
    return 0
  fi
  if [[ $command == play-playlist || $command == playlist-get || $command == playlist-del ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$("$prog" "${options[@]}" playlists 2>/dev/null)" \
      -- "$cur")
    return 0
  fi
  if [[ $_disorder_path_commands == *" $command "* && $word == /* ]]; then
    _disorder_paths "$prog" "$word" "${options[@]}"
    return 0
  fi
  # Another command may follow.
  mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
  return 0
}

complete -F _disorder disorder
