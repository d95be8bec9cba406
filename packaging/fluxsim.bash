# SPDX-License-Identifier: Apache-2.0
# bash completion for fluxsim. Commands and options are read from fluxsim's own help, so they follow the
# installed version; arguments complete as files and directories (scenarios, repositories).
_fluxsim() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local commands
  commands=$(fluxsim --help 2>/dev/null | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands help --help --version" -- "$cur"))
    return
  fi
  local command=${COMP_WORDS[1]}
  if [ "$command" = help ]; then
    [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(fluxsim "$command" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)" -- "$cur"))
    return
  fi
  case $prev in
    -o|--output)
      # the formats named in the --output description (it may wrap over several lines)
      COMPREPLY=($(compgen -W "$(fluxsim "$command" --help 2>/dev/null | awk '/--output/ {on = 1; print; next} /^  -/ {on = 0} on' |
        grep -oE '[ :,(](table|text|json|mermaid|svg|trace|dot|markdown)\b' | tr -d ' :,(' | sort -u)" -- "$cur"))
      [ ${#COMPREPLY[@]} -gt 0 ] && return ;;
  esac
  COMPREPLY=()  # files and directories (complete -o default)
}
complete -o default -F _fluxsim fluxsim
