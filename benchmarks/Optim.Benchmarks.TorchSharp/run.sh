#!/usr/bin/env bash
# Builds and runs the TorchSharp peer (README.md beside this file). TorchSharp 0.107's native library needs
# GLIBCXX_3.4.32 (GCC 13 or later); Debian 12 ships GCC 12's libstdc++. This script takes Debian 13's libstdc++, and the
# libgcc and glibc it is built against, from deb.debian.org into a cache folder, and runs the peer's own executable with
# that folder as its loader and library path. The chain of trust is apt's: the release file's signature is checked
# with gpgv against Debian's archive keyring, the package index against the release file's SHA-256, each .deb against
# the index's. Nothing is installed on the system and nothing else on the machine uses those libraries.
#
# libtorch's allocator: with glibc's default thresholds libtorch returns its large activations to the kernel and faults
# them back in on every step; GLIBC_TUNABLES below keeps them (the setting docs/benchmarks.md measured, least favourable
# to Optim). Set GLIBC_TUNABLES yourself (even empty) to override it.
#
#     benchmarks/Optim.Benchmarks.TorchSharp/run.sh [seed] [epochs] [gemm] [--epochs N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${OPTIM_PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/optim-torchsharp-peer}"
libs="$cache/root/usr/lib/x86_64-linux-gnu"
mirror="https://deb.debian.org/debian"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

fail() { echo "run.sh: $*" >&2; exit 1; }

if [ ! -e "$cache/complete" ]; then
  rm -rf "$cache/root" && mkdir -p "$cache/root"
  echo "Fetching Debian 13's libstdc++6, libgcc-s1 and libc6 into $cache"
  curl -fsS "$mirror/dists/trixie/InRelease" -o "$cache/InRelease" || fail "cannot download trixie's release file"
  gpgv --keyring "$keyring" "$cache/InRelease" 2>/dev/null || fail "trixie's release file does not carry a valid Debian signature ($keyring)"
  index_sum="$(awk '/^SHA256:/ { sha = 1; next } /^[A-Za-z]/ { sha = 0 } sha && $3 == "main/binary-amd64/Packages.xz" { print $1; exit }' "$cache/InRelease")"
  [ -n "$index_sum" ] || fail "the release file lists no main/binary-amd64/Packages.xz"
  curl -fsS "$mirror/dists/trixie/main/binary-amd64/Packages.xz" -o "$cache/Packages.xz" || fail "cannot download the package index"
  echo "$index_sum  $cache/Packages.xz" | sha256sum -c --quiet || fail "the package index does not match the signed release file"
  xz -dc "$cache/Packages.xz" > "$cache/Packages"
  for package in libstdc++6 libgcc-s1 libc6; do
    read -r file sum < <(awk -v p="$package" '
      $0 == "Package: " p { found = 1 }
      found && /^Filename:/ { file = $2 }
      found && /^SHA256:/ { print file, $2; exit }' "$cache/Packages") || fail "$package is not in trixie's package index"
    curl -fsS "$mirror/$file" -o "$cache/$package.deb" || fail "cannot download $file"
    echo "$sum  $cache/$package.deb" | sha256sum -c --quiet || fail "$file does not match the package index"
    dpkg-deb -x "$cache/$package.deb" "$cache/root"
  done
  touch "$cache/complete"
fi

export GLIBC_TUNABLES="${GLIBC_TUNABLES-glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296:glibc.malloc.top_pad=268435456}"
built="$(dotnet build -c Release -v q --nologo "$here" 2>&1)" || { echo "$built"; exit 1; }
bin="$here/bin/Release/net10.0"
# The apphost with the new loader as its interpreter (a copy; patchelf comes from Debian's package of that name).
cp "$bin/Optim.Benchmarks.TorchSharp" "$bin/peer"
patchelf --set-interpreter "$libs/ld-linux-x86-64.so.2" --set-rpath "$libs" "$bin/peer"
DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}" LD_LIBRARY_PATH="$libs" exec "$bin/peer" "$@"
