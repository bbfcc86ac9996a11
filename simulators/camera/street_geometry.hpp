#pragma once
// The simulated street and the pinhole camera looking along it. World
// coordinates are metres: x across the street (kerb lane at 0..2.5, the
// camera on the left pavement), y up from the road, z along the street away
// from the camera. Image coordinates are normalised to 0..1 so that ground
// truth does not depend on the rendered resolution.
#include <optional>
#include <vector>

#include "simulators/camera/scenario.hpp"

namespace gridwatch::sim {

namespace street {
constexpr double kLeftFacadeX = -12.0;
constexpr double kLeftKerbX = -6.5;
constexpr double kCentreLineX = -3.25;
constexpr double kParkingLineX = 0.0;  ///< between the outgoing lane and the kerb lane
constexpr double kRightKerbX = 2.5;
constexpr double kRightFacadeX = 6.5;
constexpr double kNearZ = -20.0;
constexpr double kFarZ = 230.0;

/// Left and right edges of a lane.
double lane_left(Lane lane);
double lane_right(Lane lane);
double lane_centre(Lane lane);
}  // namespace street

struct VehicleSize {
  double length_m;
  double width_m;
  double height_m;
};
VehicleSize vehicle_size(VehicleKind kind);

/// Axis-aligned box in normalised image coordinates.
struct NormBox {
  double x = 0;
  double y = 0;
  double w = 0;
  double h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
  Point2 bottom_centre() const { return {x + w / 2, y + h}; }
};

class CameraModel {
 public:
  /// `aspect` is width / height; pixels are square.
  CameraModel(const CameraPose& pose, double aspect);

  /// Normalised image position of a world point; nullopt when it is behind
  /// (or nearly at) the camera.
  std::optional<Point2> project(double x, double y, double z) const;
  /// Distance along the optical axis, for drawing far things first.
  double depth(double x, double y, double z) const;
  /// Bounding box of a world-aligned cuboid, clipped to the image; empty
  /// when any corner is behind the camera or the box is off-screen.
  NormBox box_of(double centre_x, double centre_z, double width, double length, double height) const;
  const CameraPose& pose() const { return pose_; }
  double aspect() const { return aspect_; }
  /// Image height fraction per unit of (height / depth), for sizing sprites.
  double focal_y() const { return pose_.focal * aspect_; }
  double focal_x() const { return pose_.focal; }

  struct CameraPoint {
    double x, y, z;
  };
  CameraPoint to_camera(double x, double y, double z) const;
  /// Normalised image position of a point already in camera coordinates (z > 0).
  Point2 project_camera(const CameraPoint& p) const {
    return {0.5 + pose_.focal * p.x / p.z, 0.5 - pose_.focal * aspect_ * p.y / p.z};
  }
  static constexpr double kNearPlaneM = 0.5;

 private:

  CameraPose pose_;
  double aspect_;
  double cos_yaw_, sin_yaw_, cos_pitch_, sin_pitch_;
};

/// The ground rectangle of `span` projected and clipped to the image.
std::vector<Point2> span_polygon(const ZoneSpec::Span& span, const CameraModel& camera);
/// Zone polygons in normalised image coordinates (given or generated).
std::vector<std::vector<Point2>> zone_polygons(const Scenario& scenario);
CameraModel nominal_camera(const Scenario& scenario);

bool point_in_polygon(Point2 point, const std::vector<Point2>& polygon);

}  // namespace gridwatch::sim
