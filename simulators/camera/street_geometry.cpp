#include "simulators/camera/street_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gridwatch::sim {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

// Sutherland-Hodgman against one edge of the unit square.
template <typename Inside, typename Cross>
std::vector<Point2> clip_edge(const std::vector<Point2>& in, Inside inside, Cross cross) {
  std::vector<Point2> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const Point2 current = in[i];
    const Point2 previous = in[(i + in.size() - 1) % in.size()];
    if (inside(current)) {
      if (!inside(previous)) out.push_back(cross(previous, current));
      out.push_back(current);
    } else if (inside(previous)) {
      out.push_back(cross(previous, current));
    }
  }
  return out;
}

std::vector<Point2> clip_to_unit_square(std::vector<Point2> polygon) {
  auto cross_x = [](double edge) {
    return [edge](Point2 a, Point2 b) {
      const double t = (edge - a.x) / (b.x - a.x);
      return Point2{edge, a.y + t * (b.y - a.y)};
    };
  };
  auto cross_y = [](double edge) {
    return [edge](Point2 a, Point2 b) {
      const double t = (edge - a.y) / (b.y - a.y);
      return Point2{a.x + t * (b.x - a.x), edge};
    };
  };
  polygon = clip_edge(polygon, [](Point2 p) { return p.x >= 0; }, cross_x(0));
  polygon = clip_edge(polygon, [](Point2 p) { return p.x <= 1; }, cross_x(1));
  polygon = clip_edge(polygon, [](Point2 p) { return p.y >= 0; }, cross_y(0));
  polygon = clip_edge(polygon, [](Point2 p) { return p.y <= 1; }, cross_y(1));
  return polygon;
}

}  // namespace

namespace street {
double lane_left(Lane lane) {
  switch (lane) {
    case Lane::oncoming: return kLeftKerbX;
    case Lane::outgoing: return kCentreLineX;
    case Lane::kerb: return kParkingLineX;
  }
  return 0;
}
double lane_right(Lane lane) {
  switch (lane) {
    case Lane::oncoming: return kCentreLineX;
    case Lane::outgoing: return kParkingLineX;
    case Lane::kerb: return kRightKerbX;
  }
  return 0;
}
double lane_centre(Lane lane) {
  // Parked cars hug the kerb rather than the middle of their lane.
  if (lane == Lane::kerb) return kRightKerbX - 1.15;
  return (lane_left(lane) + lane_right(lane)) / 2;
}
}  // namespace street

VehicleSize vehicle_size(VehicleKind kind) {
  switch (kind) {
    case VehicleKind::car: return {4.4, 1.8, 1.45};
    case VehicleKind::hatchback: return {3.9, 1.72, 1.5};
    case VehicleKind::suv: return {4.7, 1.9, 1.75};
    case VehicleKind::van: return {5.3, 2.0, 2.4};
    case VehicleKind::truck: return {8.5, 2.5, 3.4};
    case VehicleKind::bus: return {12.0, 2.55, 3.2};
  }
  return {4.4, 1.8, 1.45};
}

CameraModel::CameraModel(const CameraPose& pose, double aspect)
    : pose_(pose),
      aspect_(aspect),
      cos_yaw_(std::cos(pose.yaw_deg * kDegToRad)),
      sin_yaw_(std::sin(pose.yaw_deg * kDegToRad)),
      cos_pitch_(std::cos(pose.pitch_deg * kDegToRad)),
      sin_pitch_(std::sin(pose.pitch_deg * kDegToRad)) {}

CameraModel::CameraPoint CameraModel::to_camera(double x, double y, double z) const {
  const double dx = x - pose_.x_m;
  const double dy = y - pose_.height_m;
  const double dz = z;
  const double x1 = cos_yaw_ * dx - sin_yaw_ * dz;
  const double z1 = sin_yaw_ * dx + cos_yaw_ * dz;
  return {x1, dy * cos_pitch_ + z1 * sin_pitch_, -dy * sin_pitch_ + z1 * cos_pitch_};
}

double CameraModel::depth(double x, double y, double z) const { return to_camera(x, y, z).z; }

std::optional<Point2> CameraModel::project(double x, double y, double z) const {
  const CameraPoint p = to_camera(x, y, z);
  if (p.z < kNearPlaneM) return std::nullopt;
  return project_camera(p);
}

NormBox CameraModel::box_of(double centre_x, double centre_z, double width, double length, double height) const {
  double min_u = std::numeric_limits<double>::max();
  double min_v = min_u;
  double max_u = -min_u;
  double max_v = -min_u;
  for (int corner = 0; corner < 8; ++corner) {
    const double x = centre_x + ((corner & 1) ? width / 2 : -width / 2);
    const double z = centre_z + ((corner & 2) ? length / 2 : -length / 2);
    const double y = (corner & 4) ? height : 0.0;
    const auto p = project(x, y, z);
    if (!p) return {};
    min_u = std::min(min_u, p->x);
    max_u = std::max(max_u, p->x);
    min_v = std::min(min_v, p->y);
    max_v = std::max(max_v, p->y);
  }
  min_u = std::clamp(min_u, 0.0, 1.0);
  max_u = std::clamp(max_u, 0.0, 1.0);
  min_v = std::clamp(min_v, 0.0, 1.0);
  max_v = std::clamp(max_v, 0.0, 1.0);
  return {min_u, min_v, max_u - min_u, max_v - min_v};
}

std::vector<Point2> span_polygon(const ZoneSpec::Span& span, const CameraModel& camera) {
  if (span.lanes.empty()) return {};
  const double left = street::lane_left(span.lanes.front());
  const double right = street::lane_right(span.lanes.back());
  std::vector<Point2> polygon;
  for (const auto& [x, z] : {std::pair{left, span.from_m}, std::pair{right, span.from_m},
                              std::pair{right, span.to_m}, std::pair{left, span.to_m}}) {
    const auto p = camera.project(x, 0, z);
    if (!p) return {};
    polygon.push_back(*p);
  }
  return clip_to_unit_square(std::move(polygon));
}

CameraModel nominal_camera(const Scenario& scenario) {
  return CameraModel(scenario.camera, static_cast<double>(scenario.width) / scenario.height);
}

std::vector<std::vector<Point2>> zone_polygons(const Scenario& scenario) {
  const CameraModel camera = nominal_camera(scenario);
  std::vector<std::vector<Point2>> out;
  for (const auto& zone : scenario.zones) {
    out.push_back(zone.span ? span_polygon(*zone.span, camera) : zone.polygon);
  }
  return out;
}

bool point_in_polygon(Point2 point, const std::vector<Point2>& polygon) {
  bool inside = false;
  for (std::size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    const Point2 a = polygon[i];
    const Point2 b = polygon[j];
    if ((a.y > point.y) != (b.y > point.y) && point.x < (b.x - a.x) * (point.y - a.y) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

}  // namespace gridwatch::sim
