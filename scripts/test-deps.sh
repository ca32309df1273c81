#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (tmux for interactive flows, zsh and fish for
# shell integration, a C compiler for the Keychain stand-in, ruby to syntax-check the Homebrew
# formula) when they are missing and we can.
set -euo pipefail
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v ruby >/dev/null 2>&1 || need+=(ruby)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (Debian packages the tests use)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
else
  echo "The tests need: ${need[*]}. Install them with your package manager and run again." >&2
  exit 1
fi
