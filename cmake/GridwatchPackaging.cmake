# Debian packages (CPack DEB), one per component:
#   gridwatch-edge     the gateway: binary, systemd unit (Type=notify,
#                      WatchdogSec, Restart=on-failure), /etc/gridwatch/edge.yaml
#   gridwatch-central  central: binary, gridwatch-ca, systemd unit,
#                      /etc/gridwatch/central.yaml, a sample grid file and
#                      sample Mosquitto configs (loopback; mutual TLS + ACL)
# Both run as the unprivileged system user `gridwatch`, created by postinst,
# which also creates /var/lib/gridwatch (state) owned by it.
#
# `./gridwatch package [amd64|arm64|armhf]` builds them; by hand:
#   cmake --build build/release && (cd build/release && cpack)
# Files land in build/<preset>/packages/.
set(gridwatch_packaging_dir ${PROJECT_SOURCE_DIR}/cross/packaging)
# cpack builds only what the packages hold (`./gridwatch package` builds
# those targets first), not every test suite.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# Debian keeps units and /etc outside the /usr prefix; CPack places these
# absolute destinations as they are.
set(gridwatch_unit_dir /lib/systemd/system)

install(FILES ${gridwatch_packaging_dir}/edge/gridwatch-edge.service
        DESTINATION ${gridwatch_unit_dir} COMPONENT edge)
install(FILES config/edge.example.yaml DESTINATION /etc/gridwatch RENAME edge.yaml COMPONENT edge)
if(NOT GRIDWATCH_EDGE_ONLY)
  install(FILES ${gridwatch_packaging_dir}/central/gridwatch-central.service
          DESTINATION ${gridwatch_unit_dir} COMPONENT central)
  install(FILES config/central.example.yaml DESTINATION /etc/gridwatch RENAME central.yaml COMPONENT central)
  install(FILES config/grid.example.geojson DESTINATION /etc/gridwatch RENAME grid.geojson COMPONENT central)
  install(FILES config/gateways.example.yaml DESTINATION /etc/gridwatch RENAME gateways.yaml COMPONENT central)
  # The central broker's samples: mosquitto-gridwatch.conf for central on
  # the broker's host over loopback, gridwatch-tls.conf and gridwatch.acl
  # for gateways over mutual TLS (docs/installation.md), and the CA script
  # that issues every certificate they name.
  install(FILES ${gridwatch_packaging_dir}/central/mosquitto-gridwatch.conf
                config/mosquitto/gridwatch-tls.conf config/mosquitto/gridwatch.acl
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/gridwatch-central/examples COMPONENT central)
  install(PROGRAMS scripts/ca/gridwatch-ca DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT central)
endif()

# Maintainer scripts: the shared user/state-directory part is pasted into
# each package's postinst, so neither package depends on the other.
file(READ ${gridwatch_packaging_dir}/common-postinst.sh GRIDWATCH_COMMON_POSTINST)
set(gridwatch_control_dir ${PROJECT_BINARY_DIR}/packaging)
function(gridwatch_maintainer_scripts component package purge_paths conffiles)
  set(GRIDWATCH_PACKAGE ${package})
  set(GRIDWATCH_PURGE_PATHS "${purge_paths}")
  set(out ${gridwatch_control_dir}/${component})
  configure_file(${gridwatch_packaging_dir}/${component}/postinst.in ${out}/postinst @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  configure_file(${gridwatch_packaging_dir}/prerm.in ${out}/prerm @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  configure_file(${gridwatch_packaging_dir}/postrm.in ${out}/postrm @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  # Edited configs survive upgrades and are kept on remove (dpkg conffiles).
  list(JOIN conffiles "\n" conffile_lines)
  file(WRITE ${out}/conffiles "${conffile_lines}\n")
  string(TOUPPER ${component} upper)
  set(CPACK_DEBIAN_${upper}_PACKAGE_CONTROL_EXTRA "${out}/postinst;${out}/prerm;${out}/postrm;${out}/conffiles"
      PARENT_SCOPE)
endfunction()
gridwatch_maintainer_scripts(edge gridwatch-edge "/var/lib/gridwatch/outbox.db* /var/lib/gridwatch/evidence"
                             "/etc/gridwatch/edge.yaml")
gridwatch_maintainer_scripts(central gridwatch-central "/var/lib/gridwatch/central.db*"
                             "/etc/gridwatch/central.yaml;/etc/gridwatch/grid.geojson;/etc/gridwatch/gateways.yaml")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gridwatch)
set(CPACK_PACKAGE_VENDOR "GridWatch")
set(CPACK_PACKAGE_CONTACT "GridWatch maintainers <gridwatch@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_DEB_COMPONENT_INSTALL ON)
if(GRIDWATCH_EDGE_ONLY)
  set(CPACK_COMPONENTS_ALL edge)
else()
  set(CPACK_COMPONENTS_ALL edge central)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_EDGE_PACKAGE_NAME gridwatch-edge)
set(CPACK_COMPONENT_EDGE_DESCRIPTION
    "GridWatch edge gateway\n Reads smoke sensors (Modbus TCP) and cameras on a street pole, detects smoke, fire,\n illegal parking and camera tampering, stores every alert in a SQLite outbox and\n delivers it to GridWatch central over MQTT. Runs as the gridwatch user under\n systemd with a watchdog.")
set(CPACK_DEBIAN_CENTRAL_PACKAGE_NAME gridwatch-central)
set(CPACK_COMPONENT_CENTRAL_DESCRIPTION
    "GridWatch central aggregator\n Receives the gateways' alerts over MQTT, turns each alert episode into a dispatch\n event, routes it to grid cells and duty units, and serves the HTTP API.\n Includes gridwatch-ca, the deployment's small certificate authority, and sample\n Mosquitto configurations for the central broker (mutual TLS with a per-gateway ACL).")
set(CPACK_DEBIAN_CENTRAL_PACKAGE_SUGGESTS "mosquitto")
# gridwatch-ca runs the openssl command; dpkg-shlibdeps cannot see that.
set(CPACK_DEBIAN_CENTRAL_PACKAGE_DEPENDS "openssl")

if(CMAKE_CROSSCOMPILING)
  # dpkg-shlibdeps reads the host's dpkg database and cannot look into a
  # sysroot, so cross/deb-depends maps the binary's NEEDED libraries to
  # packages through the sysroot's shlibs files (cpack-project.cmake).
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${GRIDWATCH_DEB_ARCH})
  set(CPACK_GRIDWATCH_DEPENDS_COMMAND
      ${PROJECT_SOURCE_DIR}/cross/deb-depends ${GRIDWATCH_SYSROOT} ${GRIDWATCH_CROSS_TRIPLET})
  set(CPACK_GRIDWATCH_BIN_DIR ${PROJECT_BINARY_DIR}/bin)
  set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cross/cpack-project.cmake)
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()

include(CPack)
