#pragma once
// Per-camera settings of the vision pipeline: zones, schedules, vehicle
// filters, masks, analysis rate and size, detector, tamper and smoke tuning.
// The same mapping is one entry of the gateway's `cameras:` list and the
// whole of a `gridwatch-edge analyze --camera` file; docs/configuration.md
// documents every key and its default.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/config_reader.hpp"

namespace gridwatch::edge::vision {

/// A point in normalised image coordinates (0..1, x right, y down).
struct NormPoint {
  double x = 0;
  double y = 0;
};
using NormPolygon = std::vector<NormPoint>;

/// Local time within a week: day 0 = Monday, minute of the day 0..1439.
struct WeekTime {
  int day = 0;
  int minute = 0;
};

/// One weekly window, e.g. "mon-fri 07:00-20:00". A window whose end is
/// before its start runs over midnight into the next day.
struct ScheduleWindow {
  std::array<bool, 7> days{};  ///< Monday first
  int start_minute = 0;
  int end_minute = 24 * 60;
};

/// Empty = always active.
struct Schedule {
  std::vector<ScheduleWindow> windows;
  bool active_at(WeekTime time) const;
};

struct ZoneSettings {
  std::string id;
  NormPolygon polygon;
  double dwell_s = 60;  ///< allowed standing time before an alert
  Schedule schedule;    ///< when the no-parking rule applies
};

/// Which stationary blobs can be vehicles (normalised to the frame).
struct VehicleFilter {
  double min_width = 0.02;
  double min_height = 0.015;
  double max_width = 0.6;
  double max_height = 0.6;
  double min_aspect = 0.6;  ///< width / height in pixels
  double max_aspect = 5.0;
};

struct AnalysisSettings {
  double fps = 5;  ///< frames analysed per second of video
  int width = 320; ///< analysis width in pixels; height keeps the aspect ratio
};

struct DetectorSettings {
  double min_static_s = 4;        ///< a blob must stand this long before it becomes a tracked object
  double max_occlusion_s = 90;    ///< an object hidden this long without its spot showing road is dropped
  double leave_confirm_s = 2;     ///< road visible this long in an object's place: it has left
  double warmup_s = 8;            ///< background learning before any object is created
  double difference = 0.9;        ///< structure difference threshold (normalised units)
};

struct TamperSettings {
  bool enabled = true;
  double hold_s = 4;           ///< a fault must persist this long to raise
  double frozen_s = 5;         ///< identical frames for this long: frozen image
  double dark_level = 18;      ///< mean luma (0-255) below this with no structure: covered
  double defocus_ratio = 0.35; ///< sharpness below this fraction of the learnt level: defocus
  double moved_match = 0.4;    ///< fewer reference edges than this fraction found: view moved
};

/// Video smoke detection (edge/vision/smoke_detector.hpp); on by default.
struct SmokeSettings {
  bool enabled = true;
  double sensitivity = 0.5;        ///< 0 strict (fewest alerts) .. 1 eager (earliest alerts)
  double persistence_s = 3;        ///< time constant of each block's smoke vote
  double confirm_s = 3;            ///< a region must last this long, and grow, before the alert
  double clear_s = 15;             ///< no smoke seen this long: the episode ends
  int blocks_across = 40;          ///< block size = analysis width / this (8 px at the default 320)
  int min_blocks = 3;              ///< smallest region, in blocks
  double max_global_share = 0.25;  ///< more candidate blocks than this share: a global change, no votes
  double warmup_s = 10;            ///< background learning before any vote
  std::vector<NormPolygon> masks;  ///< ignored for smoke only (chimney, vent); `masks` apply as well
};

/// Optional confirmation of a parked vehicle by an OpenCV-dnn detector.
struct DnnSettings {
  std::string model;   ///< .weights or .onnx
  std::string config;  ///< .cfg for Darknet; empty for ONNX
  std::string names;   ///< class names file (one per line), e.g. coco.names
  std::vector<std::string> classes{"car", "bus", "truck", "motorbike"};
  double confidence = 0.25;
  int input_size = 320;
};

struct CameraSettings {
  std::string id;
  std::vector<ZoneSettings> zones;
  std::vector<NormPolygon> masks;  ///< ignored regions (OSD clock, trees)
  VehicleFilter vehicle;
  AnalysisSettings analysis;
  DetectorSettings detector;
  TamperSettings tamper;
  SmokeSettings smoke;
  std::optional<DnnSettings> dnn;
};

/// Reads every vision key of one camera mapping. It does not call
/// finish(): the caller reads its own keys (e.g. `source`) first.
CameraSettings read_camera_settings(YamlSection& section);

/// Parses a mapping holding only the keys of a camera's `dnn:` section
/// (for `evaluate parking --dnn`, which adds it to every camera); throws
/// ConfigInvalid listing every problem.
DnnSettings parse_dnn_settings(const std::string& yaml_text, const std::string& name);

/// Parses a whole camera mapping from YAML text, ignoring `source` (which
/// only the gateway uses); throws ConfigInvalid listing every problem.
CameraSettings parse_camera_settings(const std::string& yaml_text, const std::string& name);

/// Parses "mon-fri 07:00-20:00" style windows; nullopt on a malformed one.
std::optional<ScheduleWindow> parse_schedule_window(const std::string& text);

}  // namespace gridwatch::edge::vision
