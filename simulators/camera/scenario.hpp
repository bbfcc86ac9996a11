#pragma once
// A camera scenario: everything needed to render a scene and its ground
// truth, read from YAML (format: docs/scenarios.md). Plain data, no OpenCV,
// so that anything may include it.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gridwatch::sim {

struct Point2 {
  double x = 0;
  double y = 0;
};

/// The lanes of the simulated street, left to right as the camera sees them.
/// Traffic drives on the right: "oncoming" comes towards the camera,
/// "outgoing" drives away, "kerb" is the parking lane along the right kerb.
enum class Lane { oncoming, outgoing, kerb };

enum class VehicleKind { car, hatchback, suv, van, truck, bus };

enum class TimeOfDay { day, dusk, night };

enum class SmokeShade { light, dark };

enum class TamperKind { covered, defocus, turned, frozen };

/// B, G, R in 0..255, the order OpenCV draws in.
using Colour = std::array<std::uint8_t, 3>;

struct CameraPose {
  double x_m = -8.0;       ///< across the street; the kerb lane is at 0..2.5
  double height_m = 6.5;   ///< above the road
  double yaw_deg = 16.0;   ///< positive turns right, towards the kerb lane
  double pitch_deg = 11.0; ///< positive looks down
  double focal = 0.85;     ///< focal length in image widths
};

struct ZoneSpec {
  std::string id;
  double dwell_s = 60;
  /// Normalised image polygon, either given or generated from `span`.
  std::vector<Point2> polygon;
  /// Generated zones cover `lanes` between two distances from the camera.
  struct Span {
    double from_m = 0;
    double to_m = 0;
    std::vector<Lane> lanes;
  };
  std::optional<Span> span;
};

struct VehicleStop {
  double at_m = 0;                  ///< distance from the camera of the vehicle's centre when stopped
  std::optional<double> for_s;      ///< nullopt: stays until the end
};

struct VehicleSpec {
  std::string id;
  VehicleKind kind = VehicleKind::car;
  /// One of vehicle_colour_names(); empty: drawn from the seed.
  std::string colour_name;
  Lane lane = Lane::outgoing;
  double enter_s = 0;
  double speed_mps = 11;
  std::optional<VehicleStop> stop;
  bool parked_at_start = false;     ///< already standing at stop.at_m at t=0
};

struct TrafficSpec {
  double outgoing_per_min = 6;
  double oncoming_per_min = 6;
  double speed_mps = 11;
  double trucks_share = 0.08;
  double buses_share = 0.04;
  double start_s = 0;
};

struct JamSpec {
  Lane lane = Lane::outgoing;
  double at_m = 70;     ///< a stop line (say, a light beyond the view)
  double start_s = 0;
  double end_s = 0;
  double red_s = 15;
  double green_s = 8;
};

struct PedestrianSpec {
  double per_min = 3;
  double crossing_share = 0.15;
};

struct CloudShadowSpec {
  double start_s = 0;
  double duration_s = 8;   ///< time the shadow takes to sweep across the view
  double darkness = 0.35;  ///< fraction of light removed in the umbra
  double softness = 0.15;  ///< edge width as a fraction of the frame width
};

struct WorldPoint {
  double x_m = 0;
  double z_m = 30;
  double height_m = 0;
};

struct SmokeSpec {
  double start_s = 0;
  double end_s = 0;         ///< emission stops; the plume then disperses
  WorldPoint source;
  SmokeShade shade = SmokeShade::light;
  double rate = 1.0;        ///< relative density
  double growth_s = 20;     ///< time from first wisp to full strength
  Point2 wind_mps{1.0, 0.0};  ///< drift along x (across) and z (along the street)
  double turbulence = 0.5;
};

/// Short-lived things that look a little like smoke but are not (negatives).
enum class DistractorKind { steam, dust };

struct PuffSpec {
  DistractorKind kind = DistractorKind::steam;
  double start_s = 0;
  double duration_s = 4;
  WorldPoint source;
  Point2 wind_mps{0.5, 0.0};
};

struct FogSpec {
  double start_s = 0;
  double ramp_s = 30;   ///< time to reach full density, and to clear again
  double hold_s = 30;
  double density = 0.5; ///< fraction of the image replaced by haze at full density
};

struct TamperSpec {
  TamperKind kind = TamperKind::covered;
  double start_s = 0;
  std::optional<double> end_s;  ///< nullopt: lasts until the end
  double turn_deg = 14;         ///< turned: yaw change
};

struct Scenario {
  std::string source_file;
  std::string name;
  std::string purpose;
  std::uint64_t seed = 1;
  double duration_s = 120;
  int fps = 10;
  int width = 1280;
  int height = 720;
  std::string camera_id = "cam_sim";
  CameraPose camera;
  TimeOfDay time_of_day = TimeOfDay::day;
  double noise = 0.015;              ///< sensor noise sigma as a fraction of full scale
  double illumination_drift = 0.08;  ///< amplitude of slow gain changes
  double illumination_period_s = 200;
  double rain = 0;                   ///< 0..1
  double shake_px = 0;               ///< camera shake amplitude at 1280 px width
  int building_count = 14;
  int tree_count = 5;
  int parked_decor_count = 0;        ///< extra cars parked outside every zone, for realism
  TrafficSpec traffic;
  PedestrianSpec pedestrians;
  std::vector<ZoneSpec> zones;
  std::vector<VehicleSpec> vehicles;
  std::vector<JamSpec> jams;
  std::vector<CloudShadowSpec> cloud_shadows;
  std::vector<SmokeSpec> smoke;
  std::vector<PuffSpec> puffs;
  std::vector<FogSpec> fog;
  std::vector<TamperSpec> tamper;
  /// Optional self-check: how many violations the truth must contain.
  std::optional<int> expect_violations;

  int frame_count() const;
  double frame_time(int frame) const { return frame / static_cast<double>(fps); }
};

/// Reads and validates a scenario; throws gridwatch::ConfigInvalid listing
/// every problem with file:line.
Scenario parse_scenario_file(const std::string& path);
/// Same from text; `name` stands in for the file in errors.
Scenario parse_scenario_text(const std::string& text, const std::string& name);

/// The colours a vehicle may be given by name.
const std::vector<std::string>& vehicle_colour_names();
Colour vehicle_colour(const std::string& name);

const char* to_string(Lane lane);
const char* to_string(VehicleKind kind);
const char* to_string(TamperKind kind);
const char* to_string(DistractorKind kind);
const char* to_string(SmokeShade shade);
const char* to_string(TimeOfDay time_of_day);

}  // namespace gridwatch::sim
