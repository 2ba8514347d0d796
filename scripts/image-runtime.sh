#!/usr/bin/env bash
# Lays out what a module's container image holds besides Jib's own files (run by Maven's `images` profile
# after the shaded jar is built; see the root pom and README "Container images"):
#
#   image-runtime.sh JAVA_HOME JAR OUT_DIR [EXTRA_MODULES]
#
#   OUT_DIR/runtime/opt/java      a jlink image of exactly the JDK modules JAR needs (jdeps --print-module-deps),
#                                 plus EXTRA_MODULES (comma-separated: modules JAR reaches only by reflection, which
#                                 jdeps cannot see; the module's pom names them in image.extra.modules)
#   OUT_DIR/runtime/lib*/...      the shared libraries that runtime's ELF files and JAR's own native libraries
#                                 (META-INF/native/*.so, e.g. Netty's epoll) load (ldd), copied from this
#                                 machine: glibc and the dynamic loader (no base image, no registry)
#   OUT_DIR/runtime/etc/{passwd,group,nsswitch.conf}   the non-root user app (10001) and name resolution
#   OUT_DIR/runtime/tmp           an empty, world-writable /tmp
#   OUT_DIR/app/JAR's name        the shaded jar itself
#
# The runtime is headless: jlink leaves out the X11, sound and splash-screen libraries of java.desktop (only
# the loadgen's plots use it, and they draw off-screen). Every other library an ELF file of the runtime links
# must be found here, or this script fails: the image has no other source of libraries (a native library of the
# jar that failed to load at run time would be a silent fallback, such as Netty's from epoll to NIO).
# The jlink step is skipped when OUT_DIR/runtime was built from the same JDK for the same modules, native
# libraries and glibc.
set -euo pipefail

(($# == 3 || $# == 4)) || { echo "usage: image-runtime.sh JAVA_HOME JAR OUT_DIR [EXTRA_MODULES]" >&2; exit 2; }
jdk=$1 jar=$2 out=$3 extra_modules=${4:-}
log() { printf 'image-runtime: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -x $jdk/bin/jlink && -x $jdk/bin/jdeps ]] || die "$jdk has no jlink/jdeps: JAVA_HOME must be a full JDK"
[[ -f $jar ]] || die "$jar is missing: build the module first"
command -v ldd >/dev/null || die "ldd is missing (Debian package libc-bin)"
release=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')

modules=$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release "$release" --print-module-deps "$jar")
[[ $modules =~ ^[a-z.,]+$ ]] || die "jdeps printed no module list for $jar: $modules"
[[ $extra_modules =~ ^[a-z.,]*$ ]] || die "EXTRA_MODULES must be comma-separated module names, got '$extra_modules'"
[[ -z $extra_modules ]] || modules=$(tr ',' '\n' <<<"$modules,$extra_modules" | sed '/^$/d' | sort -u | paste -sd,)
root="$out/runtime"
# The jar's native libraries, extracted to be examined by ldd below (they are loaded from the jar at run time).
natives_dir="$out/native"
rm -rf "$natives_dir"
mkdir -p "$natives_dir"
mapfile -t natives < <("$jdk/bin/jar" tf "$jar" | grep -E '^META-INF/native/.*\.so$' || true)
((${#natives[@]} == 0)) || (cd "$natives_dir" && "$jdk/bin/jar" xf "$(realpath "$jar")" "${natives[@]}")
# sed, not head: head exits after one line and, under pipefail, the writer's SIGPIPE (141) would fail the build.
stamp="$("$jdk/bin/java" -version 2>&1 | sed -n 1p) $jdk $modules $(ldd --version 2>&1 | sed -n 1p)"
((${#natives[@]} == 0)) || stamp+=" $(cd "$natives_dir" && sha256sum "${natives[@]}" | tr -s ' \n' ' ')"
if [[ -d $root && -f $out/runtime.stamp && $(<"$out/runtime.stamp") == "$stamp" ]]; then
  log "$modules: runtime up to date"
else
  rm -rf "$root" "$out/runtime.stamp"
  mkdir -p "$root/opt"
  log "jlink $modules"
  "$jdk/bin/jlink" --add-modules "$modules" --output "$root/opt/java" --strip-debug --no-header-files \
    --no-man-pages --exclude-files='**/libawt_xawt.so,**/libjawt.so,**/libjsound.so,**/libsplashscreen.so'

  # Every ELF file of the runtime and of the jar, and what it links, resolved by this machine's loader. libjvm.so
  # shows as "not found" from the libraries beside it (they find it through the launcher, which loaded it first).
  # A jar's library built for another machine is no dynamic executable to ldd here, and is passed over.
  mapfile -t elves < <(find "$root/opt/java" "$natives_dir" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper \))
  declare -A libs=()
  missing=()
  for elf in "${elves[@]}"; do
    while read -r name arrow path _; do
      if [[ $arrow == '=>' && $path == not ]]; then
        [[ $name == libjvm.so ]] || missing+=("${elf#"$root"} needs $name")
      elif [[ $arrow == '=>' && $path == /* ]]; then
        [[ $path == "$root"/* ]] || libs[$path]=1
      elif [[ $name == /* && $arrow == \(* ]]; then
        libs[$name]=1 # the dynamic loader
      fi
    done < <(ldd "$elf" 2>/dev/null || true)
  done
  ((${#missing[@]} == 0)) || die "libraries not found on this machine: ${missing[*]}"
  for lib in "${!libs[@]}"; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  log "copied ${#libs[@]} system libraries: $(printf '%s\n' "${!libs[@]}" | sort | xargs -n 100 basename -a | tr '\n' ' ')"

  mkdir -p "$root/etc" "$root/tmp"
  printf 'root:x:0:0:root:/:/sbin/nologin\napp:x:10001:10001:app:/tmp:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '%s' "$stamp" >"$out/runtime.stamp"
fi

rm -rf "$out/app" "$natives_dir"
mkdir -p "$out/app"
cp "$jar" "$out/app/"
log "$(du -sh "$root" | cut -f1) runtime + $(du -sh "$jar" | cut -f1) $(basename "$jar") in $out"
