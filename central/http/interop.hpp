#pragma once
// Interop views of an incident for other systems: a CAP 1.2 alert (OASIS
// Common Alerting Protocol, XML) for public-warning and emergency systems,
// and an Open311 GeoReport v2 service request for city 12345-hotline and
// work-order systems. Pure functions over stored records.
#include <nlohmann/json.hpp>

#include <string>

#include "central/store.hpp"

namespace gridwatch::central {

/// A CAP 1.2 <alert> document for one incident. `sender` identifies this
/// central (e.g. "gridwatch@central-1").
std::string to_cap_xml(const IncidentRecord& incident, const std::string& sender);

/// An Open311 GeoReport v2 service request object.
nlohmann::json to_open311(const IncidentRecord& incident);

/// The Open311 service list: one service per alert kind.
nlohmann::json open311_services();

/// "2026-11-22T06:00:00+00:00" (CAP and Open311 want a numeric offset).
std::string iso8601_utc(EpochMs ms);

}  // namespace gridwatch::central
