# Shared by the gridwatch-edge and gridwatch-central maintainer scripts
# (cmake/GridwatchPackaging.cmake pastes it into each postinst).
# Creates the unprivileged system user both services run as, and the
# state directory it owns.
gridwatch_create_user() {
  if ! getent group gridwatch >/dev/null; then
    groupadd --system gridwatch
  fi
  if ! getent passwd gridwatch >/dev/null; then
    useradd --system --gid gridwatch --home-dir /var/lib/gridwatch --no-create-home \
      --shell /usr/sbin/nologin --comment "GridWatch services" gridwatch
  fi
  install -d -o gridwatch -g gridwatch -m 0750 /var/lib/gridwatch
  # Configs may hold broker credentials: readable by the service, not by all.
  install -d -o root -g gridwatch -m 0750 /etc/gridwatch
}

# gridwatch_enable_unit UNIT: enable at boot, and (re)start when systemd runs.
gridwatch_enable_unit() {
  if command -v systemctl >/dev/null; then
    systemctl enable "$1" >/dev/null 2>&1 || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl restart "$1" || echo "$1 did not start: see journalctl -u $1" >&2
  fi
}
