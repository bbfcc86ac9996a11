// CAP 1.2 and Open311 GeoReport v2 views of incidents, and their routes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "central/http/api_router.hpp"
#include "central/http/interop.hpp"
#include "central/sqlite_store.hpp"
#include "tests/support/test_env.hpp"
#include "tests/unit/central/alert_builder.hpp"

using namespace gridwatch::central;

namespace {

IncidentRecord sample_incident() {
  IncidentRecord incident;
  incident.id = 42;
  incident.gateway_id = "gw-7";
  incident.kind = "smoke";
  incident.severity = "severe";
  incident.urgency = "Immediate";
  incident.certainty = "Likely";
  incident.state = "new";
  incident.detected_at_ms = 1'795'000'000'000;  // 2026-11-19T...
  incident.updated_ms = 1'795'000'001'000;
  incident.lat = 30.6598;
  incident.lon = 104.0633;
  incident.sensor = "smoke-1";
  incident.summary = "smoke <rising> & \"thick\"";
  incident.alert_count = 1;
  return incident;
}

}  // namespace

TEST_CASE("an incident as a CAP 1.2 alert carries every required element, escaped", "[http][cap]") {
  auto incident = sample_incident();
  const auto xml = to_cap_xml(incident, "gridwatch@central-1");
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">", 0) == 0);
  for (const char* element : {"<identifier>gridwatch@central-1-incident-42</identifier>", "<sender>gridwatch@central-1</sender>",
                              "<sent>2026-11-18T", "<status>Actual</status>", "<msgType>Alert</msgType>",
                              "<scope>Restricted</scope>", "<category>Fire</category>", "<event>Smoke detected</event>",
                              "<urgency>Immediate</urgency>", "<severity>Severe</severity>",
                              "<certainty>Likely</certainty>", "<circle>30.659800,104.063300 0.1</circle>",
                              "<description>smoke &lt;rising&gt; &amp; &quot;thick&quot;</description>",
                              "<valueName>gridwatch:sensor</valueName>"}) {
    INFO(element);
    CHECK(xml.find(element) != std::string::npos);
  }
  CHECK(xml.find("<rising>") == std::string::npos);
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00+00:00");
  incident.state = "false_alarm";
  CHECK(to_cap_xml(incident, "x").find("<msgType>Cancel</msgType>") != std::string::npos);
  incident.state = "dispatched";
  CHECK(to_cap_xml(incident, "x").find("<msgType>Update</msgType>") != std::string::npos);
}

TEST_CASE("an incident as an Open311 GeoReport v2 service request", "[http][open311]") {
  auto incident = sample_incident();
  incident.cell_id = "grid-1";
  incident.department = "fire";
  incident.unit = "baihe-fire-station";
  auto request = to_open311(incident);
  CHECK(request["service_request_id"] == "42");
  CHECK(request["status"] == "open");
  CHECK(request["service_code"] == "smoke");
  CHECK(request["agency_responsible"] == "fire");
  CHECK(request["lat"] == 30.6598);
  CHECK(request["long"] == 104.0633);
  CHECK(request["address_id"] == "grid-1");
  CHECK(request["status_notes"] == "state: new; unit: baihe-fire-station");
  incident.state = "closed";
  CHECK(to_open311(incident)["status"] == "closed");
  CHECK(open311_services().size() == 7);
}

TEST_CASE("the CAP and Open311 routes serve stored incidents and refuse bad queries", "[http][open311][cap]") {
  gridwatch::test::TempDir dir;
  SqliteStore store(dir.file("central.db"));
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    auto alert = gridwatch::test::make_alert("gw-1", seq, gridwatch::Phase::start);
    if (seq == 2) alert.kind = gridwatch::AlertKind::parking;
    store.record_alert(alert, gridwatch::encode(alert), alert.detected_at_ms);
  }
  ApiRouter router(store, nullptr);
  router.set_sender("gridwatch@test");
  const HttpStats stats{};
  auto reply = router.handle("GET", "/api/v1/incidents/1/cap.xml", stats);
  CHECK(reply.status == 200);
  CHECK(reply.content_type == "application/cap+xml");
  CHECK(reply.body.find("<sender>gridwatch@test</sender>") != std::string::npos);
  CHECK(router.handle("GET", "/api/v1/incidents/9/cap.xml", stats).status == 404);

  reply = router.handle("GET", "/open311/v2/requests.json", stats);
  REQUIRE(reply.status == 200);
  CHECK(nlohmann::json::parse(reply.body).size() == 3);
  reply = router.handle("GET", "/open311/v2/requests.json?service_code=parking&status=open", stats);
  auto list = nlohmann::json::parse(reply.body);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["service_request_id"] == "2");
  list = nlohmann::json::parse(router.handle("GET", "/open311/v2/requests.json?service_request_id=1,3", stats).body);
  CHECK(list.size() == 2);
  list = nlohmann::json::parse(router.handle("GET", "/open311/v2/requests/3.json", stats).body);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["service_request_id"] == "3");
  CHECK(router.handle("GET", "/open311/v2/requests/77.json", stats).status == 404);
  CHECK(router.handle("GET", "/open311/v2/requests/x.json", stats).status == 400);
  CHECK(router.handle("GET", "/open311/v2/requests.json?status=maybe", stats).status == 400);
  CHECK(router.handle("GET", "/open311/v2/requests.json?colour=red", stats).status == 400);
  CHECK(nlohmann::json::parse(router.handle("GET", "/open311/v2/services.json", stats).body).size() == 7);
}
