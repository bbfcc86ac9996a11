#!/usr/bin/env bash
# deb_test.sh BUILD_DIR STEP [ARCH [EMULATOR...]]   (STEP: build | contents | install | online)
#
# The Debian packages of cmake/GridwatchPackaging.cmake, built from the
# binaries of BUILD_DIR for ARCH (default amd64; a cross build packages
# only gridwatch-edge, and EMULATOR, e.g. "qemu-aarch64 -L SYSROOT", runs
# its binary):
#   build     runs cpack; the debs land in BUILD_DIR/packages
#   contents  checks the debs with dpkg-deb: files, control fields, Depends
#             of every linked library, maintainer scripts, the unit,
#             conffiles, and that the packaged gateway passes the packaged
#             sample config with --check-config
#   install   dpkg -i gridwatch-edge on this machine, checks the unit, the
#             gridwatch user, the state directories and their owners, runs
#             the installed binary as that user, then dpkg -P and checks
#             that everything is gone. Needs root; skipped (exit 77) when
#             not root or when a GridWatch package is already installed,
#             because it must not touch a real installation.
#   online    issue 9's "done when": dpkg -i gridwatch-edge, then
#             scripts/gateway-online-local --installed (provision as root,
#             doctor and the gateway as the gridwatch user) brings the
#             installed gateway online at a local central over mutual TLS;
#             then dpkg -P. Same guards as install.
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
step="$2"
arch="${3:-amd64}"
shift $(($# < 3 ? $# : 3))
emulator=("$@")
packages="$build_dir/packages"
if [[ "$arch" == amd64 ]]; then
  all_packages=(gridwatch-edge gridwatch-central)
else
  all_packages=(gridwatch-edge)
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "ok: $*"; }
expect_stat() {  # expect_stat PATH FORMAT EXPECTED: stat -c FORMAT PATH must print EXPECTED
  local actual
  actual="$(stat -c "$2" "$1" 2>&1)" || true
  [[ "$actual" == "$3" ]] || fail "$1 is '$actual', expected '$3'"
}

deb_of() {  # deb_of PACKAGE: the newest deb of PACKAGE in $packages
  local found
  found="$(ls -t "$packages"/"$1"_*_"$arch".deb 2>/dev/null | head -n 1 || true)"
  [[ -n "$found" ]] || fail "no $1 deb in $packages (run the build step)"
  echo "$found"
}

case "$step" in
  build)
    rm -rf "$packages"
    (cd "$build_dir" && cpack -G DEB) || fail "cpack failed"
    for package in "${all_packages[@]}"; do deb_of "$package" >/dev/null; done
    pass "cpack built $(ls "$packages"/*.deb | xargs -n1 basename | paste -sd' ')"
    ;;

  contents)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    for package in "${all_packages[@]}"; do
      deb="$(deb_of "$package")"
      service="${package#gridwatch-}"
      [[ "$(dpkg-deb -f "$deb" Package)" == "$package" ]] || fail "$deb: Package field"
      [[ "$(dpkg-deb -f "$deb" Architecture)" == "$arch" ]] || fail "$deb: Architecture field"
      depends="$(dpkg-deb -f "$deb" Depends)"
      # dpkg-shlibdeps found every library the binary links.
      for needed in libc6 libstdc++6 libpaho-mqttpp3-1 libsqlite3-0 libyaml-cpp0.7 libspdlog1.10 libssl3; do
        [[ "$depends" == *"$needed"* ]] || fail "$deb: Depends lacks $needed: $depends"
      done
      contents="$(dpkg-deb -c "$deb")"
      for path in ./usr/bin/$package ./lib/systemd/system/$package.service ./etc/gridwatch/$service.yaml; do
        grep -q " $path\$" <<<"$contents" || fail "$deb lacks $path"
      done
      control="$work/$package.control"
      dpkg-deb -e "$deb" "$control"
      for script in postinst prerm postrm; do
        [[ -x "$control/$script" ]] || fail "$deb: $script missing or not executable"
        sh -n "$control/$script" || fail "$deb: $script is not valid sh"
      done
      grep -qx "/etc/gridwatch/$service.yaml" "$control/conffiles" || fail "$deb: $service.yaml is not a conffile"
      grep -q 'useradd --system' "$control/postinst" || fail "$deb: postinst creates no system user"
      root="$work/$package.root"
      dpkg-deb -x "$deb" "$root"
      unit="$root/lib/systemd/system/$package.service"
      for line in Restart=on-failure User=gridwatch Group=gridwatch RestartPreventExitStatus=2 \
                  "ExecStart=/usr/bin/$package --config /etc/gridwatch/$service.yaml"; do
        grep -qx "$line" "$unit" || fail "$unit lacks '$line'"
      done
      pass "$package: fields, Depends ($depends), files, scripts, conffiles, unit"
    done
    # The packaged gateway validates the packaged sample config.
    "${emulator[@]}" "$work/gridwatch-edge.root/usr/bin/gridwatch-edge" --check-config \
      --config "$work/gridwatch-edge.root/etc/gridwatch/edge.yaml" >/dev/null ||
      fail "the packaged edge.yaml does not pass the packaged gridwatch-edge --check-config"
    for package in "${all_packages[@]}"; do
      unit="$work/$package.root/lib/systemd/system/$package.service"
      for line in Type=notify NotifyAccess=main WatchdogSec=30s; do
        grep -qx "$line" "$unit" || fail "$package.service lacks '$line'"
      done
    done
    units=()
    for package in "${all_packages[@]}"; do units+=("$work/$package.root/lib/systemd/system/$package.service"); done
    if command -v systemd-analyze >/dev/null; then
      # Unit syntax; "not executable" is expected: the binary is not installed here.
      errors="$(systemd-analyze verify "${units[@]}" 2>&1 | grep -v 'is not executable' || true)"
      [[ -z "$errors" ]] || fail "systemd-analyze verify: $errors"
    fi
    pass "the units are Type=notify with WatchdogSec; the packaged gateway accepts the packaged config"
    if [[ "$arch" == amd64 ]]; then
      examples="$work/gridwatch-central.root/usr/share/doc/gridwatch-central/examples"
      for sample in mosquitto-gridwatch.conf gridwatch-tls.conf; do
        grep -q '^max_queued_messages 1000000$' "$examples/$sample" ||
          fail "gridwatch-central lacks $sample with explicit queue limits"
      done
      grep -q '^use_identity_as_username true$' "$examples/gridwatch-tls.conf" ||
        fail "the packaged gridwatch-tls.conf does not map certificates to usernames"
      grep -q '^pattern write gridwatch/v1/%u/' "$examples/gridwatch.acl" ||
        fail "gridwatch-central lacks the per-gateway ACL sample"
      [[ -x "$work/gridwatch-central.root/usr/bin/gridwatch-ca" ]] || fail "gridwatch-central lacks /usr/bin/gridwatch-ca"
      "$work/gridwatch-central.root/usr/bin/gridwatch-ca" init "$work/ca" --days 2 >/dev/null ||
        fail "the packaged gridwatch-ca cannot create a CA"
      pass "gridwatch-central ships gridwatch-ca and the Mosquitto samples (loopback; mutual TLS with its ACL)"
    fi
    ;;

  install | online)
    [[ "$arch" == "$(dpkg --print-architecture)" ]] || skip "a $arch package does not install on this machine"
    [[ $(id -u) -eq 0 ]] || skip "dpkg -i needs root"
    for package in gridwatch-edge gridwatch-central; do
      if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$'; then
        skip "$package is already installed on this machine; not touching it"
      fi
    done
    [[ ! -e /var/lib/gridwatch ]] || skip "/var/lib/gridwatch exists; not touching a real installation"
    [[ ! -e /etc/gridwatch ]] || skip "/etc/gridwatch exists; not touching a real installation"
    user_existed=0
    getent passwd gridwatch >/dev/null && user_existed=1
    deb="$(deb_of gridwatch-edge)"
    work="$(mktemp -d)"
    cleanup() {
      dpkg -P gridwatch-edge >/dev/null 2>&1 || true
      # provision's key, CSR and certificates are not the package's files.
      rm -rf /etc/gridwatch/tls
      rmdir /etc/gridwatch 2>/dev/null || true
      if ((user_existed == 0)); then
        userdel gridwatch 2>/dev/null || true
        groupdel gridwatch 2>/dev/null || true
      fi
      rm -rf "$work"
    }
    trap cleanup EXIT

    dpkg -i "$deb" || fail "dpkg -i $deb"
    if [[ "$step" == online ]]; then
      source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
      # This container's clock is not NTP-disciplined; doctor's clock line
      # has its own test (tests/integration/doctor_test.cpp).
      DOCTOR_ARGS="--skip clock" "$source_dir/scripts/gateway-online-local" --installed "$build_dir/bin" ||
        fail "the installed gateway did not come online"
      expect_stat /etc/gridwatch/edge.yaml '%U:%G %a' "root:gridwatch 640"
      expect_stat /etc/gridwatch/tls/gateway.key '%U %a' "gridwatch 600"
      pass "dpkg -i, provision and doctor brought the installed gateway online; config and key keep their owners"
      exit 0
    fi
    [[ "$(dpkg-query -W -f='${db:Status-Status}' gridwatch-edge)" == installed ]] || fail "not installed"
    [[ -x /usr/bin/gridwatch-edge ]] || fail "/usr/bin/gridwatch-edge missing"
    grep -qx 'WatchdogSec=30s' /lib/systemd/system/gridwatch-edge.service || fail "unit missing or without watchdog"
    [[ -L /etc/systemd/system/multi-user.target.wants/gridwatch-edge.service ]] || fail "unit not enabled"
    getent passwd gridwatch >/dev/null || fail "no gridwatch user"
    [[ "$(getent passwd gridwatch | cut -d: -f7)" == /usr/sbin/nologin ]] || fail "gridwatch user has a login shell"
    (($(id -u gridwatch) < 1000)) || fail "gridwatch is not a system user"
    expect_stat /var/lib/gridwatch '%U:%G %a' "gridwatch:gridwatch 750"
    expect_stat /var/lib/gridwatch/evidence '%U:%G %a' "gridwatch:gridwatch 750"
    expect_stat /etc/gridwatch/edge.yaml '%U:%G %a' "root:gridwatch 640"
    pass "dpkg -i: binary, enabled unit, system user gridwatch, state and evidence dirs owned by it"

    # The service user reads the installed config...
    runuser -u gridwatch -- /usr/bin/gridwatch-edge --config /etc/gridwatch/edge.yaml --check-config >/dev/null ||
      fail "the gridwatch user cannot validate /etc/gridwatch/edge.yaml"
    # ...and runs the installed gateway, which creates its outbox in the
    # state directory. No sensors or cameras; nothing listens on loopback
    # port 1, so the uplink only retries.
    chmod 755 "$work"
    cat >"$work/edge.yaml" <<YAML
gateway: {id: gw-package-test, lat: 30.0, lon: 104.0}
state_dir: /var/lib/gridwatch
mqtt: {broker: "tcp://127.0.0.1:1"}
YAML
    chmod 644 "$work/edge.yaml"
    set +e
    timeout -s TERM 3 runuser -u gridwatch -- /usr/bin/gridwatch-edge --config "$work/edge.yaml" >"$work/run.log" 2>&1
    status=$?
    set -e
    [[ $status -eq 124 || $status -eq 0 ]] || { cat "$work/run.log" >&2; fail "installed gateway exited with $status"; }
    [[ "$(stat -c '%U' /var/lib/gridwatch/outbox.db 2>/dev/null)" == gridwatch ]] ||
      { cat "$work/run.log" >&2; fail "the gateway run as gridwatch wrote no outbox in /var/lib/gridwatch"; }
    pass "the installed gateway runs as gridwatch and keeps its outbox in /var/lib/gridwatch"

    dpkg -P gridwatch-edge || fail "dpkg -P gridwatch-edge"
    for path in /usr/bin/gridwatch-edge /lib/systemd/system/gridwatch-edge.service /etc/gridwatch/edge.yaml \
                /etc/systemd/system/multi-user.target.wants/gridwatch-edge.service /var/lib/gridwatch; do
      [[ ! -e "$path" && ! -L "$path" ]] || fail "$path is left after dpkg -P"
    done
    pass "dpkg -P removes the binary, unit, enablement, config, outbox and state directory"
    ;;

  *) echo "usage: $0 BUILD_DIR build|contents|install|online" >&2; exit 2 ;;
esac
