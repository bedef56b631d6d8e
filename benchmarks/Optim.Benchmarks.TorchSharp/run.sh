#!/usr/bin/env bash
# Builds and runs the TorchSharp peer (README.md beside this file). TorchSharp 0.107's native library needs
# GLIBCXX_3.4.32 (GCC 13 or later); Debian 12 ships GCC 12's libstdc++. This script takes Debian 13's libstdc++, and the
# libgcc and glibc it is built against, from deb.debian.org into a cache folder (each .deb checked against the SHA-256
# of the signed-for package index), and runs the peer's own executable with that folder as its loader and library path.
# Nothing is installed on the system and nothing else on the machine uses those libraries.
#
#     benchmarks/Optim.Benchmarks.TorchSharp/run.sh [seed] [epochs] [gemm] [--epochs N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${OPTIM_PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/optim-torchsharp-peer}"
libs="$cache/root/usr/lib/x86_64-linux-gnu"
mirror="http://deb.debian.org/debian"

if [ ! -e "$libs/libstdc++.so.6" ] || [ ! -e "$libs/ld-linux-x86-64.so.2" ]; then
  mkdir -p "$cache/root"
  echo "Fetching Debian 13's libstdc++6, libgcc-s1 and libc6 into $cache"
  curl -fsS "$mirror/dists/trixie/main/binary-amd64/Packages.xz" | xz -dc > "$cache/Packages"
  for package in libstdc++6 libgcc-s1 libc6; do
    read -r file sum < <(awk -v p="$package" '
      $0 == "Package: " p { found = 1 }
      found && /^Filename:/ { file = $2 }
      found && /^SHA256:/ { print file, $2; exit }' "$cache/Packages")
    curl -fsS "$mirror/$file" -o "$cache/$package.deb"
    echo "$sum  $cache/$package.deb" | sha256sum -c --quiet
    dpkg-deb -x "$cache/$package.deb" "$cache/root"
  done
fi

built="$(dotnet build -c Release -v q --nologo "$here" 2>&1)" || { echo "$built"; exit 1; }
bin="$here/bin/Release/net10.0"
# The apphost with the new loader as its interpreter (a copy; patchelf comes from Debian's package of that name).
cp "$bin/Optim.Benchmarks.TorchSharp" "$bin/peer"
patchelf --set-interpreter "$libs/ld-linux-x86-64.so.2" --set-rpath "$libs" "$bin/peer"
DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}" LD_LIBRARY_PATH="$libs" exec "$bin/peer" "$@"
