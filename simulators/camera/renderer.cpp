#include "simulators/camera/renderer.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "simulators/camera/plume_density.hpp"
#include "simulators/camera/random.hpp"
#include "simulators/camera/world.hpp"

namespace gridwatch::sim {
namespace {

constexpr int kShift = 4;  // fixed-point bits for sub-pixel polygon corners
constexpr double kSubpixel = 16.0;
constexpr double kTwoPi = 6.283185307179586;
constexpr int kNoiseTiles = 4;
constexpr int kNoiseMargin = 32;
constexpr int kLightLayerDivisor = 4;

enum Stream : std::uint64_t {
  kStreamScene = 11,
  kStreamNoiseTiles = 12,
  kStreamNoisePick = 13,
  kStreamRain = 14,
  kStreamCloud = 15,
  kStreamTexture = 16,
  kStreamShake = 17,
  kStreamDrift = 18,
};

struct Vec3 {
  double x, y, z;
};

double smoothstep(double t) {
  t = std::clamp(t, 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

/// Ramps up over `rise_s` from `start` and back down over `rise_s` from `end`.
double envelope(double t, double start, std::optional<double> end, double rise_s) {
  double k = smoothstep((t - start) / rise_s);
  if (end) k *= 1.0 - smoothstep((t - *end) / rise_s);
  return t < start ? 0.0 : k;
}

cv::Scalar scalar(const Colour& c) { return {double(c[0]), double(c[1]), double(c[2])}; }

cv::Scalar times(const cv::Scalar& a, const cv::Scalar& b) { return {a[0] * b[0], a[1] * b[1], a[2] * b[2]}; }

cv::Scalar mix(const cv::Scalar& a, const cv::Scalar& b, double t) { return a * (1 - t) + b * t; }

/// How daylight colours look at each time of day (per B, G, R channel).
cv::Scalar time_of_day_tint(TimeOfDay time_of_day) {
  switch (time_of_day) {
    case TimeOfDay::day: return {1.0, 1.0, 1.0};
    case TimeOfDay::dusk: return {0.50, 0.52, 0.60};
    case TimeOfDay::night: return {0.20, 0.17, 0.15};
  }
  return {1.0, 1.0, 1.0};
}

/// Fills convex world polygons as the camera sees them, clipped at the near plane.
class Painter {
 public:
  Painter(const CameraModel& camera, cv::Mat& image, cv::Scalar tint)
      : camera_(camera), image_(image), tint_(tint), width_(image.cols), height_(image.rows) {}

  std::vector<cv::Point> project(const std::vector<Vec3>& points) const {
    std::vector<CameraModel::CameraPoint> in;
    in.reserve(points.size());
    for (const auto& p : points) in.push_back(camera_.to_camera(p.x, p.y, p.z));
    std::vector<CameraModel::CameraPoint> clipped;
    const double near = CameraModel::kNearPlaneM;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const auto& current = in[i];
      const auto& previous = in[(i + in.size() - 1) % in.size()];
      auto cross = [&] {
        const double t = (near - previous.z) / (current.z - previous.z);
        return CameraModel::CameraPoint{previous.x + t * (current.x - previous.x), previous.y + t * (current.y - previous.y), near};
      };
      if (current.z >= near) {
        if (previous.z < near) clipped.push_back(cross());
        clipped.push_back(current);
      } else if (previous.z >= near) {
        clipped.push_back(cross());
      }
    }
    std::vector<cv::Point> out;
    out.reserve(clipped.size());
    for (const auto& p : clipped) out.push_back(fixed_point(camera_.project_camera(p)));
    return out;
  }

  cv::Point fixed_point(Point2 p) const {
    // Far off-screen corners are clamped so the fixed-point maths cannot overflow.
    const double x = std::clamp(p.x * width_ * kSubpixel, -4e6, 4e6);
    const double y = std::clamp(p.y * height_ * kSubpixel, -4e6, 4e6);
    return {static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))};
  }

  /// Fills in daylight colour `day`, tinted for the time of day.
  void fill(const std::vector<Vec3>& points, const cv::Scalar& day) { fill_raw(points, times(day, tint_)); }
  void fill_raw(const std::vector<Vec3>& points, const cv::Scalar& colour) { fill_on(image_, points, colour); }
  void fill_on(cv::Mat& target, const std::vector<Vec3>& points, const cv::Scalar& colour) const {
    auto pixels = project(points);
    if (pixels.size() < 3) return;
    if (target.cols != width_) {
      const int divisor = width_ / target.cols;
      for (auto& p : pixels) p = {p.x / divisor, p.y / divisor};
    }
    cv::fillConvexPoly(target, pixels, colour, cv::LINE_AA, kShift);
  }

  std::optional<cv::Point2d> pixel(const Vec3& p) const {
    const auto projected = camera_.project(p.x, p.y, p.z);
    if (!projected) return std::nullopt;
    return cv::Point2d(projected->x * width_, projected->y * height_);
  }

  /// Pixels per metre for something at `p`.
  double scale_at(const Vec3& p) const {
    const double depth = camera_.depth(p.x, p.y, p.z);
    return depth <= CameraModel::kNearPlaneM ? 0.0 : camera_.focal_x() * width_ / depth;
  }

  void circle(const Vec3& centre, double radius_m, const cv::Scalar& day) {
    const auto c = pixel(centre);
    const double r = radius_m * scale_at(centre);
    if (!c || r < 0.3) return;
    cv::circle(image_, fixed(*c), static_cast<int>(std::lround(r * kSubpixel)), times(day, tint_), cv::FILLED, cv::LINE_AA, kShift);
  }

  static cv::Point fixed(const cv::Point2d& p) {
    return {static_cast<int>(std::lround(std::clamp(p.x, -2e5, 2e5) * kSubpixel)),
            static_cast<int>(std::lround(std::clamp(p.y, -2e5, 2e5) * kSubpixel))};
  }

  const CameraModel& camera() const { return camera_; }
  cv::Mat& image() { return image_; }
  const cv::Scalar& tint() const { return tint_; }

 private:
  const CameraModel& camera_;
  cv::Mat& image_;
  cv::Scalar tint_;
  int width_;
  int height_;
};

/// Axis-aligned box, drawing only the faces turned towards the camera.
struct Cuboid {
  double x0, x1, y0, y1, z0, z1;
};

void draw_cuboid(Painter& painter, const Cuboid& b, const cv::Scalar& top, const cv::Scalar& side, const cv::Scalar& end) {
  const CameraPose& pose = painter.camera().pose();
  if (pose.x_m < b.x0) painter.fill({{b.x0, b.y0, b.z0}, {b.x0, b.y0, b.z1}, {b.x0, b.y1, b.z1}, {b.x0, b.y1, b.z0}}, side);
  if (pose.x_m > b.x1) painter.fill({{b.x1, b.y0, b.z0}, {b.x1, b.y0, b.z1}, {b.x1, b.y1, b.z1}, {b.x1, b.y1, b.z0}}, side);
  if (b.z0 > 0) painter.fill({{b.x0, b.y0, b.z0}, {b.x1, b.y0, b.z0}, {b.x1, b.y1, b.z0}, {b.x0, b.y1, b.z0}}, end);
  if (b.z1 < 0) painter.fill({{b.x0, b.y0, b.z1}, {b.x1, b.y0, b.z1}, {b.x1, b.y1, b.z1}, {b.x0, b.y1, b.z1}}, end);
  if (pose.height_m > b.y1) painter.fill({{b.x0, b.y1, b.z0}, {b.x1, b.y1, b.z0}, {b.x1, b.y1, b.z1}, {b.x0, b.y1, b.z1}}, top);
}

void draw_cuboid(Painter& painter, const Cuboid& b, const cv::Scalar& colour) {
  draw_cuboid(painter, b, colour * 1.12, colour * 0.88, colour * 0.72);
}

/// A quad on the vertical face x = const, spanning y and z.
void side_quad(Painter& painter, double x, double y0, double y1, double z0, double z1, const cv::Scalar& colour) {
  painter.fill({{x, y0, z0}, {x, y0, z1}, {x, y1, z1}, {x, y1, z0}}, colour);
}
/// A quad on the vertical face z = const, spanning x and y.
void end_quad(Painter& painter, double z, double x0, double x1, double y0, double y1, const cv::Scalar& colour) {
  painter.fill({{x0, y0, z}, {x1, y0, z}, {x1, y1, z}, {x0, y1, z}}, colour);
}

std::vector<Vec3> ground_disc(double x, double z, double radius_x, double radius_z, int points = 14) {
  std::vector<Vec3> out;
  for (int i = 0; i < points; ++i) {
    const double a = kTwoPi * i / points;
    out.push_back({x + radius_x * std::cos(a), 0.0, z + radius_z * std::sin(a)});
  }
  return out;
}

const cv::Scalar kGlass{70, 62, 56};
const cv::Scalar kTyre{22, 22, 24};

void draw_wheels(Painter& painter, const VehicleState& v, double side_x, std::initializer_list<double> offsets) {
  for (double offset : offsets) {
    const Vec3 centre{side_x, 0.34, v.z_m + offset};
    const auto c = painter.pixel(centre);
    const double r = 0.34 * painter.scale_at(centre);
    if (!c || r < 0.6) continue;
    // Seen from the side at an angle: narrower than tall.
    const double squash = std::clamp(std::abs(painter.camera().pose().x_m - side_x) / std::max(1.0, std::abs(v.z_m)), 0.2, 0.9);
    cv::ellipse(painter.image(), Painter::fixed(*c), cv::Size(static_cast<int>(r * squash * kSubpixel), static_cast<int>(r * kSubpixel)), 0, 0,
                360, times(kTyre, painter.tint()), cv::FILLED, cv::LINE_AA, kShift);
  }
}

struct LightLayer {
  cv::Mat image;  // additive light at 1/kLightLayerDivisor resolution
  bool used = false;
};

void glow(LightLayer& layer, const std::optional<cv::Point2d>& at, double radius_px, const cv::Scalar& colour) {
  if (!at) return;
  layer.used = true;
  const cv::Point2d p = *at / kLightLayerDivisor;
  cv::circle(layer.image, Painter::fixed(p), static_cast<int>(std::max(1.0, radius_px / kLightLayerDivisor) * kSubpixel), colour,
             cv::FILLED, cv::LINE_AA, kShift);
}

void draw_vehicle(Painter& painter, const VehicleState& v, double time_of_day_light, LightLayer& lights) {
  const cv::Scalar body = scalar(v.colour);
  const double w = v.width_m;
  const double l = v.length_m;
  const double h = v.height_m;
  const double x0 = v.x_m - w / 2;
  const double x1 = v.x_m + w / 2;
  const double z0 = v.z_m - l / 2;
  const double z1 = v.z_m + l / 2;
  const int dir = v.direction;
  const double front_z = dir > 0 ? z1 : z0;
  const double rear_z = dir > 0 ? z0 : z1;
  const double cam_x = painter.camera().pose().x_m;
  const double side_x = cam_x < x0 ? x0 : x1;
  const bool dark_roof = (v.style & 1u) != 0;
  const cv::Scalar glass = kGlass * (0.8 + 0.4 * ((v.style >> 1) & 3u) / 3.0);

  // Underbody and wheels first: the body is drawn over their upper edge.
  draw_cuboid(painter, {v.x_m - w * 0.44, v.x_m + w * 0.44, 0.1, 0.35, z0 + 0.4, z1 - 0.4}, kTyre);
  double light_y = 0.75;
  switch (v.kind) {
    case VehicleKind::car:
    case VehicleKind::hatchback:
    case VehicleKind::suv: {
      const double cabin_share = v.kind == VehicleKind::car ? 0.5 : (v.kind == VehicleKind::hatchback ? 0.58 : 0.64);
      const double cabin_shift = (v.kind == VehicleKind::hatchback ? -0.12 : -0.05) * l * dir;
      const double waist = h * 0.6;
      draw_wheels(painter, v, side_x, {-0.32 * l, 0.32 * l});
      draw_cuboid(painter, {x0, x1, 0.28, waist, z0, z1}, body);
      const double cz0 = v.z_m + cabin_shift - cabin_share * l / 2;
      const double cz1 = v.z_m + cabin_shift + cabin_share * l / 2;
      const cv::Scalar roof = dark_roof ? cv::Scalar(30, 30, 32) : body * 1.1;
      draw_cuboid(painter, {v.x_m - w * 0.43, v.x_m + w * 0.43, waist, h, cz0, cz1}, roof, mix(glass, body, 0.2), glass * 0.85);
      light_y = waist - 0.15;
      break;
    }
    case VehicleKind::van: {
      draw_wheels(painter, v, side_x, {-0.34 * l, 0.34 * l});
      draw_cuboid(painter, {x0, x1, 0.3, h, z0, z1}, body);
      const double window_from = front_z - dir * 0.25 * l;
      side_quad(painter, side_x, h * 0.55, h * 0.85, std::min(window_from, front_z - dir * 0.05 * l),
                std::max(window_from, front_z - dir * 0.05 * l), glass);
      if (front_z < rear_z) end_quad(painter, front_z, x0 + 0.15, x1 - 0.15, h * 0.55, h * 0.88, glass);
      light_y = 0.9;
      break;
    }
    case VehicleKind::truck: {
      draw_wheels(painter, v, side_x, {-0.38 * l, -0.25 * l, 0.36 * l});
      const double cab_z0 = std::min(front_z, front_z - dir * 2.3);
      const double cab_z1 = std::max(front_z, front_z - dir * 2.3);
      const double box_z0 = dir > 0 ? z0 : cab_z1 + 0.3;
      const double box_z1 = dir > 0 ? cab_z0 - 0.3 : z1;
      draw_cuboid(painter, {x0 + 0.1, x1 - 0.1, 0.45, 1.0, z0, z1}, cv::Scalar(40, 40, 42));
      if (dir > 0) draw_cuboid(painter, {x0, x1, 1.0, h, box_z0, box_z1}, body);
      draw_cuboid(painter, {x0 + 0.05, x1 - 0.05, 0.45, 2.9, cab_z0, cab_z1}, body * 0.95);
      side_quad(painter, side_x, 1.8, 2.6, cab_z0 + 0.3, cab_z1 - 0.3, glass);
      if (front_z < rear_z) end_quad(painter, front_z, x0 + 0.2, x1 - 0.2, 1.7, 2.7, glass);
      if (dir < 0) draw_cuboid(painter, {x0, x1, 1.0, h, box_z0, box_z1}, body);
      light_y = 0.9;
      break;
    }
    case VehicleKind::bus: {
      draw_wheels(painter, v, side_x, {-0.3 * l, 0.3 * l});
      draw_cuboid(painter, {x0, x1, 0.3, h, z0, z1}, body);
      side_quad(painter, side_x, 1.25, 2.65, z0 + 0.5, z1 - 0.5, glass);
      if (front_z < rear_z) end_quad(painter, front_z, x0 + 0.15, x1 - 0.15, 1.0, 2.9, glass);
      if (rear_z < front_z) end_quad(painter, rear_z, x0 + 0.4, x1 - 0.4, 1.8, 2.7, glass);
      light_y = 0.85;
      break;
    }
  }

  // Lights. Rear lights face the camera for vehicles driving away, headlights
  // for vehicles coming towards it; beams light the road ahead either way.
  const bool braking = v.accel_mps2 < -0.6 && !v.stationary();
  const double lx0 = x0 + 0.18;
  const double lx1 = x1 - 0.18;
  if (rear_z < front_z) {
    cv::Scalar tail = braking ? cv::Scalar(70, 70, 255) : (v.lights_on ? cv::Scalar(50, 50, 200) : cv::Scalar(50, 45, 120));
    if (braking || v.lights_on) tail = tail / painter.tint()[2];  // lamps are not dimmed by dusk
    end_quad(painter, rear_z, lx0, lx0 + 0.28, light_y, light_y + 0.16, tail);
    end_quad(painter, rear_z, lx1 - 0.28, lx1, light_y, light_y + 0.16, tail);
    if (braking || v.lights_on) {
      const double strength = (braking ? 1.0 : 0.5) * (0.5 + 0.5 * (1 - time_of_day_light));
      for (double x : {lx0 + 0.14, lx1 - 0.14}) {
        const Vec3 at{x, light_y + 0.08, rear_z};
        glow(lights, painter.pixel(at), 0.45 * painter.scale_at(at), cv::Scalar(20, 20, 160) * strength);
      }
    }
  } else {
    const cv::Scalar lamp = v.lights_on ? cv::Scalar(235, 250, 255) / std::max(0.2, painter.tint()[0]) : cv::Scalar(200, 200, 200);
    end_quad(painter, front_z, lx0, lx0 + 0.32, light_y - 0.05, light_y + 0.1, lamp);
    end_quad(painter, front_z, lx1 - 0.32, lx1, light_y - 0.05, light_y + 0.1, lamp);
    if (v.lights_on) {
      for (double x : {lx0 + 0.16, lx1 - 0.16}) {
        const Vec3 at{x, light_y, front_z};
        glow(lights, painter.pixel(at), 1.3 * painter.scale_at(at), cv::Scalar(150, 175, 185));
      }
    }
  }
  if (v.lights_on) {
    // Beam on the road ahead, widening with distance.
    const double reach = 24.0;
    lights.used = true;
    painter.fill_on(lights.image,
                    {{x0 + 0.1, 0.0, front_z},
                     {x1 - 0.1, 0.0, front_z},
                     {x1 + 2.2, 0.0, front_z + dir * reach},
                     {x0 - 2.2, 0.0, front_z + dir * reach}},
                    cv::Scalar(38, 48, 55));
  }
}

void draw_pedestrian(Painter& painter, const PedestrianState& person) {
  const Vec3 feet{person.x_m, 0, person.z_m};
  const double ppm = painter.scale_at(feet);
  if (ppm <= 0) return;
  const double h = person.height_m;
  const double swing = 0.28 * std::sin(person.stride_phase);
  const auto hip = painter.pixel({person.x_m, 0.5 * h, person.z_m});
  if (!hip) return;
  const int thickness = std::max(1, static_cast<int>(std::lround(0.14 * ppm)));
  const cv::Scalar legs = times(scalar(person.bottom), painter.tint());
  for (double s : {swing, -swing}) {
    const auto foot = painter.pixel({person.x_m + s * person.heading_x, 0.05, person.z_m + s * person.heading_z});
    if (foot) cv::line(painter.image(), Painter::fixed(*hip), Painter::fixed(*foot), legs, thickness, cv::LINE_AA, kShift);
  }
  painter.fill({{person.x_m - 0.21, 0.5 * h, person.z_m},
                {person.x_m + 0.21, 0.5 * h, person.z_m},
                {person.x_m + 0.2, 0.83 * h, person.z_m},
                {person.x_m - 0.2, 0.83 * h, person.z_m}},
               scalar(person.top));
  painter.circle({person.x_m, 0.91 * h, person.z_m}, 0.11, cv::Scalar(120, 150, 185));
}

/// Low-frequency random texture in [low, high], deterministic from `random`.
cv::Mat fractal_texture(Random& random, cv::Size size, double low, double high) {
  cv::Mat sum(size, CV_32F, cv::Scalar(0));
  double weight = 1.0;
  for (int divisor : {16, 8, 4, 2}) {
    cv::Mat coarse(std::max(2, size.height / divisor), std::max(2, size.width / divisor), CV_32F);
    for (int y = 0; y < coarse.rows; ++y) {
      for (int x = 0; x < coarse.cols; ++x) coarse.at<float>(y, x) = static_cast<float>(random.uniform(-1, 1) * weight);
    }
    cv::Mat up;
    cv::resize(coarse, up, size, 0, 0, cv::INTER_CUBIC);
    sum += up;
    weight *= 0.55;
  }
  double min_value = 0;
  double max_value = 0;
  cv::minMaxLoc(sum, &min_value, &max_value);
  const double span = std::max(1e-6, max_value - min_value);
  sum.convertTo(sum, CV_32F, (high - low) / span, low - min_value * (high - low) / span);
  return sum;
}

}  // namespace

struct SceneRenderer::Background {
  cv::Mat image;
  int horizon_row = 0;
  std::vector<double> fog_weight;  // per row: farther rows get more haze
};

SceneRenderer::SceneRenderer(const Scenario& scenario)
    : scenario_(&scenario), scale_(scenario.width / 1280.0) {
  const int w = scenario.width;
  const int h = scenario.height;
  if (scenario.noise > 0) {
    Random random(derive_seed(scenario.seed, kStreamNoiseTiles));
    const double sigma = scenario.noise * 255.0;
    for (int i = 0; i < kNoiseTiles; ++i) {
      cv::Mat tile(h + kNoiseMargin, w + kNoiseMargin, CV_8UC3);
      for (int y = 0; y < tile.rows; ++y) {
        auto* row = tile.ptr<std::uint8_t>(y);
        for (int x = 0; x < tile.cols * 3; ++x) row[x] = cv::saturate_cast<std::uint8_t>(128.0 + random.normal(0, sigma));
      }
      noise_tiles_.push_back(tile);
    }
  }
  const int grid_w = std::max(16, w / 4);
  const int grid_h = std::max(9, h / 4);
  Random texture_random(derive_seed(scenario.seed, kStreamTexture));
  smoke_texture_ = fractal_texture(texture_random, {grid_w * 2, grid_h * 2}, 0.45, 1.35);
  for (std::size_t i = 0; i < scenario.cloud_shadows.size(); ++i) {
    // A cloud's shadow: a soft blob wider than the frame, swept across it.
    const auto& cloud = scenario.cloud_shadows[i];
    Random random(derive_seed(scenario.seed, kStreamCloud, i));
    cv::Mat shape = fractal_texture(random, {grid_w * 2, grid_h}, 0.0, 1.0);
    cv::Mat blob(shape.size(), CV_32F, cv::Scalar(0));
    cv::ellipse(blob, cv::Point(blob.cols / 2, blob.rows / 2), cv::Size(blob.cols * 2 / 5, blob.rows * 2 / 3), 0, 0, 360,
                cv::Scalar(1.0), cv::FILLED);
    shape = blob.mul(0.4 + shape);
    cv::threshold(shape, shape, 0.55, 1.0, cv::THRESH_BINARY);
    const double sigma = std::max(0.8, cloud.softness * grid_w);
    cv::GaussianBlur(shape, shape, cv::Size(0, 0), sigma);
    cloud_shapes_.push_back(shape);
  }
}

CameraPose SceneRenderer::pose_at(double time_s) const {
  CameraPose pose = scenario_->camera;
  for (const auto& tamper : scenario_->tamper) {
    if (tamper.kind != TamperKind::turned) continue;
    const double k = envelope(time_s, tamper.start_s, tamper.end_s, 0.8);
    pose.yaw_deg += tamper.turn_deg * k;
    pose.pitch_deg += 0.2 * tamper.turn_deg * k;
  }
  return pose;
}

const SceneRenderer::Background& SceneRenderer::background_for(const CameraPose& pose) {
  const long key = std::lround(pose.yaw_deg * 1000) * 100000 + std::lround(pose.pitch_deg * 1000);
  auto found = backgrounds_.find(key);
  if (found != backgrounds_.end()) return *found->second;
  // Only poses of a turning camera are transient; keep the cache small.
  if (backgrounds_.size() > 4) backgrounds_.erase(std::next(backgrounds_.begin()));
  auto background = std::make_unique<Background>();
  build_background(CameraModel(pose, static_cast<double>(scenario_->width) / scenario_->height), *background);
  return *backgrounds_.emplace(key, std::move(background)).first->second;
}

void SceneRenderer::build_background(const CameraModel& camera, Background& background) const {
  const int w = scenario_->width;
  const int h = scenario_->height;
  const TimeOfDay time_of_day = scenario_->time_of_day;
  const cv::Scalar tint = time_of_day_tint(time_of_day);
  // The street is the same whatever way the camera points: one seed for it.
  Random random(derive_seed(scenario_->seed, kStreamScene));
  cv::Mat& image = background.image;
  image.create(h, w, CV_8UC3);

  cv::Scalar sky_top{225, 200, 172};
  cv::Scalar sky_low{232, 226, 218};
  if (time_of_day == TimeOfDay::dusk) {
    sky_top = {120, 80, 72};
    sky_low = {110, 150, 225};
  } else if (time_of_day == TimeOfDay::night) {
    sky_top = {34, 18, 14};
    sky_low = {55, 45, 42};
  }
  const auto horizon = camera.project(camera.pose().x_m, camera.pose().height_m, 1e5);
  background.horizon_row = horizon ? std::clamp(static_cast<int>(horizon->y * h), 0, h) : 0;
  for (int y = 0; y < h; ++y) {
    const double t = std::clamp(static_cast<double>(y) / std::max(1, background.horizon_row), 0.0, 1.0);
    image.row(y).setTo(mix(sky_top, sky_low, t));
  }
  background.fog_weight.resize(static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) {
    const double below = std::max(0, y - background.horizon_row) / std::max(1.0, double(h - background.horizon_row));
    background.fog_weight[static_cast<std::size_t>(y)] = 1.0 - 0.7 * std::pow(below, 0.6);
  }

  Painter painter(camera, image, tint);
  const double near_z = 1.0;
  const double far_z = street::kFarZ;
  // Closing wall at the end of the street, then the ground.
  painter.fill({{-80, 0, far_z + 1}, {80, 0, far_z + 1}, {80, 34, far_z + 1}, {-80, 34, far_z + 1}}, {165, 160, 158});
  const cv::Scalar asphalt{84, 86, 88};
  const cv::Scalar paving{150, 153, 156};
  painter.fill({{street::kLeftKerbX, 0, near_z}, {street::kRightKerbX, 0, near_z}, {street::kRightKerbX, 0, far_z}, {street::kLeftKerbX, 0, far_z}},
               asphalt);
  painter.fill({{street::kLeftFacadeX - 40, 0, near_z}, {street::kLeftKerbX, 0, near_z}, {street::kLeftKerbX, 0, far_z}, {street::kLeftFacadeX - 40, 0, far_z}},
               paving);
  painter.fill({{street::kRightKerbX, 0, near_z}, {street::kRightFacadeX + 40, 0, near_z}, {street::kRightFacadeX + 40, 0, far_z}, {street::kRightKerbX, 0, far_z}},
               paving);
  // Asphalt repairs and manholes: texture a detector must live with.
  for (int i = 0; i < 7; ++i) {
    const double x = random.uniform(street::kLeftKerbX + 0.5, street::kRightKerbX - 1.5);
    const double z = random.uniform(8, 90);
    const double dx = random.uniform(0.8, 2.5);
    const double dz = random.uniform(1.0, 5.0);
    painter.fill({{x, 0, z}, {x + dx, 0, z}, {x + dx, 0, z + dz}, {x, 0, z + dz}}, asphalt * random.uniform(0.85, 1.15));
  }
  for (int i = 0; i < 3; ++i) {
    painter.fill(ground_disc(random.uniform(-5.5, -0.5), random.uniform(10, 70), 0.35, 0.35), {58, 60, 62});
  }
  // Surface texture over everything drawn so far. Its own random stream:
  // the amount drawn depends on the resolution, the street layout must not.
  {
    Random grain(derive_seed(scenario_->seed, kStreamScene, 1));
    cv::Mat texture = fractal_texture(grain, {std::max(16, w / 2), std::max(9, h / 2)}, -9, 9);
    cv::resize(texture, texture, {w, h}, 0, 0, cv::INTER_LINEAR);
    cv::Mat fine(h, w, CV_32F);
    for (int y = 0; y < h; ++y) {
      auto* row = fine.ptr<float>(y);
      for (int x = 0; x < w; ++x) row[x] = static_cast<float>(grain.normal(0, 3.0));
    }
    texture += fine;
    for (int y = background.horizon_row; y < h; ++y) texture.row(y) *= tint[1];
    for (int y = 0; y < background.horizon_row; ++y) texture.row(y).setTo(0);
    cv::Mat texture3;
    cv::merge(std::vector<cv::Mat>{texture, texture, texture}, texture3);
    cv::Mat image_f;
    image.convertTo(image_f, CV_32FC3);
    image_f += texture3;
    image_f.convertTo(image, CV_8UC3);
  }
  // Markings: dashed centre line, the parking line, double yellow along the
  // kerb, kerb stones and paving joints.
  for (double z = 3; z < 140; z += 9) {
    painter.fill({{street::kCentreLineX - 0.07, 0, z}, {street::kCentreLineX + 0.07, 0, z}, {street::kCentreLineX + 0.07, 0, z + 3}, {street::kCentreLineX - 0.07, 0, z + 3}},
                 {205, 205, 205});
  }
  painter.fill({{-0.06, 0, near_z}, {0.06, 0, near_z}, {0.06, 0, 160}, {-0.06, 0, 160}}, {190, 192, 192});
  for (double x : {street::kRightKerbX - 0.32, street::kRightKerbX - 0.18}) {
    painter.fill({{x, 0, near_z}, {x + 0.08, 0, near_z}, {x + 0.08, 0, 160}, {x, 0, 160}}, {40, 175, 210});
  }
  for (double x : {street::kRightKerbX, street::kLeftKerbX}) {
    painter.fill({{x, 0, near_z}, {x, 0.13, near_z}, {x, 0.13, far_z}, {x, 0, far_z}}, {178, 178, 176});
  }
  for (double z = 2; z < 70; z += 2.5) {
    painter.fill({{street::kRightKerbX, 0, z}, {street::kRightFacadeX, 0, z}, {street::kRightFacadeX, 0, z + 0.06}, {street::kRightKerbX, 0, z + 0.06}},
                 paving * 0.85);
  }

  // Facades on both sides, far first.
  struct LitWindow {
    std::vector<Vec3> corners;
  };
  std::vector<LitWindow> lit_windows;
  static const cv::Scalar kWalls[] = {{60, 78, 140}, {150, 180, 200}, {150, 150, 150}, {208, 210, 206},
                                      {70, 90, 112}, {170, 198, 215}, {92, 92, 96},   {120, 135, 160}};
  const int per_side = scenario_->building_count / 2 + scenario_->building_count % 2;
  for (double facade_x : {street::kRightFacadeX, street::kLeftFacadeX}) {
    if (per_side == 0) break;
    struct Building {
      double z0, z1, height;
      cv::Scalar wall;
    };
    std::vector<Building> buildings;
    const double mean_width = (far_z + 5) / per_side;
    for (double z = -4; z < far_z;) {
      const double width = random.uniform(0.6, 1.4) * mean_width;
      buildings.push_back({z, z + width, random.uniform(8, 26), kWalls[random.integer(0, 7)] * random.uniform(0.85, 1.1)});
      z += width;
    }
    for (auto it = buildings.rbegin(); it != buildings.rend(); ++it) {
      const Building& b = *it;
      side_quad(painter, facade_x, 0, b.height, b.z0, b.z1, b.wall);
      side_quad(painter, facade_x, b.height - 0.5, b.height, b.z0, b.z1, b.wall * 0.7);
      side_quad(painter, facade_x, 0.3, 2.9, b.z0 + 0.6, b.z1 - 0.6, {60, 62, 58});  // shopfront
      const double depth_at = std::max(8.0, b.z0);
      if (depth_at > 150) continue;  // windows too small to matter
      for (double y = 4.0; y + 1.8 < b.height - 0.6; y += 3.2) {
        for (double z = b.z0 + 1.2; z + 1.4 < b.z1 - 0.8; z += 2.9) {
          const bool lit = time_of_day != TimeOfDay::day && random.chance(0.35);
          const double reflect = random.uniform(0.8, 1.5);
          std::vector<Vec3> corners{{facade_x, y, z}, {facade_x, y, z + 1.3}, {facade_x, y + 1.7, z + 1.3}, {facade_x, y + 1.7, z}};
          if (lit) {
            lit_windows.push_back({corners});
          } else {
            painter.fill(corners, kGlass * reflect);
          }
        }
      }
    }
  }
  // Street lamps on the right pavement and trees, far first.
  std::vector<double> lamps;
  for (double z = 12; z < 150; z += 28) lamps.push_back(z);
  struct Tree {
    double x, z;
    std::uint64_t seed;
  };
  std::vector<Tree> trees;
  for (int i = 0; i < scenario_->tree_count; ++i) trees.push_back({random.uniform(3.6, 4.6), random.uniform(9, 110), random.next()});
  std::sort(trees.begin(), trees.end(), [](const Tree& a, const Tree& b) { return a.z > b.z; });
  for (double z : lamps) {
    side_quad(painter, street::kRightKerbX + 0.4, 0, 7.0, z - 0.08, z + 0.08, {50, 52, 55});
    painter.fill({{street::kRightKerbX + 0.4, 6.9, z}, {street::kRightKerbX - 0.8, 6.9, z}, {street::kRightKerbX - 0.8, 7.0, z}, {street::kRightKerbX + 0.4, 7.0, z}},
                 {50, 52, 55});
  }
  for (const Tree& tree : trees) {
    Random leaves(tree.seed);
    if (time_of_day != TimeOfDay::night) painter.fill(ground_disc(tree.x + 1.6, tree.z - 0.8, 2.2, 1.6), paving * 0.72);
    end_quad(painter, tree.z, tree.x - 0.16, tree.x + 0.16, 0, 3.0, {40, 60, 80});
    for (int i = 0; i < 7; ++i) {
      const cv::Scalar green = cv::Scalar(40, 105, 55) * leaves.uniform(0.7, 1.2);
      painter.circle({tree.x + leaves.uniform(-1.0, 1.0), leaves.uniform(3.6, 5.8), tree.z + leaves.uniform(-0.8, 0.8)},
                     leaves.uniform(1.1, 1.9), green);
    }
  }
  // After dark: lit windows, lamp heads and their pools of light.
  if (time_of_day != TimeOfDay::day) {
    const double strength = time_of_day == TimeOfDay::night ? 1.0 : 0.55;
    for (const auto& window : lit_windows) painter.fill_raw(window.corners, cv::Scalar(110, 190, 240) * (0.6 + 0.4 * strength));
    cv::Mat pools(h / kLightLayerDivisor, w / kLightLayerDivisor, CV_8UC3, cv::Scalar(0, 0, 0));
    for (double z : lamps) {
      painter.fill_on(pools, ground_disc(street::kRightKerbX - 1.5, z, 5.0, 6.0, 20), cv::Scalar(45, 75, 95) * strength);
      const auto head = painter.pixel({street::kRightKerbX - 0.7, 6.85, z});
      if (head) {
        cv::circle(pools, Painter::fixed(*head / kLightLayerDivisor),
                   static_cast<int>(std::max(1.0, 0.9 * painter.scale_at({0, 6.85, z}) / kLightLayerDivisor) * kSubpixel),
                   cv::Scalar(120, 200, 240) * strength, cv::FILLED, cv::LINE_AA, kShift);
      }
    }
    cv::GaussianBlur(pools, pools, cv::Size(0, 0), 3.0);
    cv::resize(pools, pools, image.size(), 0, 0, cv::INTER_LINEAR);
    cv::add(image, pools, image);
    for (double z : lamps) painter.circle({street::kRightKerbX - 0.7, 6.85, z}, 0.22, cv::Scalar(240, 250, 255) / tint[0]);
  }
}

void SceneRenderer::draw_dynamic(const World& world, const CameraModel& camera, double time_s, cv::Mat& image,
                                 cv::Mat& light_layer) const {
  const cv::Scalar tint = time_of_day_tint(scenario_->time_of_day);
  Painter painter(camera, image, tint);
  LightLayer lights{light_layer, false};
  const double light_level = scenario_->time_of_day == TimeOfDay::day ? 1.0 : (scenario_->time_of_day == TimeOfDay::dusk ? 0.5 : 0.0);

  // Shadows on the road, before anything stands on it. The sun is behind
  // the camera's left shoulder, so shadows fall right and towards it.
  const double shadow_gain = scenario_->time_of_day == TimeOfDay::day ? 0.55 : (scenario_->time_of_day == TimeOfDay::dusk ? 0.8 : 1.0);
  if (shadow_gain < 1.0) {
    auto cast_shadow = [&](double x, double z, double half_w, double half_l, double height) {
      std::vector<cv::Point> pixels;
      const double sx = 0.45 * height;
      const double sz = -0.3 * height;
      for (const auto& [dx, dz] : {std::pair{-half_w, -half_l}, std::pair{half_w, -half_l}, std::pair{half_w, half_l}, std::pair{-half_w, half_l}}) {
        for (const auto& p : painter.project({{x + dx, 0, z + dz}, {x + dx + sx, 0, z + dz + sz}, {x + dx + sx, 0.0, z + dz + sz}})) pixels.push_back(p);
      }
      if (pixels.size() < 3) return;
      std::vector<cv::Point> hull;
      cv::convexHull(pixels, hull);
      cv::Rect bounds = cv::boundingRect(hull);
      bounds = cv::Rect(bounds.x >> kShift, bounds.y >> kShift, (bounds.width >> kShift) + 2, (bounds.height >> kShift) + 2) &
               cv::Rect(0, 0, image.cols, image.rows);
      if (bounds.area() <= 0) return;
      cv::Mat mask(bounds.size(), CV_8U, cv::Scalar(0));
      for (auto& p : hull) p -= cv::Point(bounds.x << kShift, bounds.y << kShift);
      cv::fillConvexPoly(mask, hull, cv::Scalar(255), cv::LINE_AA, kShift);
      cv::Mat roi = image(bounds);
      cv::Mat darker;
      roi.convertTo(darker, -1, shadow_gain);
      darker.copyTo(roi, mask);
    };
    for (const auto& v : world.vehicles()) cast_shadow(v.x_m, v.z_m, v.width_m / 2, v.length_m / 2, v.height_m);
    for (const auto& p : world.pedestrians()) cast_shadow(p.x_m, p.z_m, 0.2, 0.15, p.height_m);
  }

  // Painter's algorithm over everything that moves.
  struct Item {
    double depth;
    int type;  // 0 vehicle, 1 pedestrian, 2 plume
    std::size_t index;
  };
  std::vector<Item> items;
  for (std::size_t i = 0; i < world.vehicles().size(); ++i) {
    const auto& v = world.vehicles()[i];
    items.push_back({camera.depth(v.x_m, v.height_m / 2, v.z_m), 0, i});
  }
  for (std::size_t i = 0; i < world.pedestrians().size(); ++i) {
    const auto& p = world.pedestrians()[i];
    items.push_back({camera.depth(p.x_m, 1.0, p.z_m), 1, i});
  }
  for (std::size_t i = 0; i < world.plumes().size(); ++i) {
    const auto& plume = world.plumes()[i];
    if (plume.puffs.empty()) continue;
    const auto& first = plume.puffs.front();
    items.push_back({camera.depth(first.x_m, 0, first.z_m) - 1.0, 2, i});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.depth > b.depth; });

  const int grid_w = std::max(16, image.cols / 4);
  const int grid_h = std::max(9, image.rows / 4);
  for (const Item& item : items) {
    if (item.depth < CameraModel::kNearPlaneM) continue;
    if (item.type == 0) {
      draw_vehicle(painter, world.vehicles()[item.index], light_level, lights);
    } else if (item.type == 1) {
      draw_pedestrian(painter, world.pedestrians()[item.index]);
    } else {
      const PlumeState& plume = world.plumes()[item.index];
      AlphaGrid grid = plume_alpha(plume, camera, grid_w, grid_h);
      cv::Mat alpha(grid_h, grid_w, CV_32F, grid.alpha.data());
      // Turbulent texture that rises with the plume, so the smoke looks
      // wispy rather than like smooth blobs.
      const int ox = static_cast<int>(std::lround(time_s * 2.0)) % grid_w;
      const int oy = grid_h - 1 - static_cast<int>(std::lround(time_s * 5.0)) % grid_h;
      alpha = alpha.mul(smoke_texture_(cv::Rect(ox, oy, grid_w, grid_h)));
      cv::min(alpha, 0.97, alpha);
      cv::Mat visible = alpha > 0.004;
      const cv::Rect cells = cv::boundingRect(visible);
      if (cells.area() == 0) continue;
      const double sx = static_cast<double>(image.cols) / grid_w;
      const double sy = static_cast<double>(image.rows) / grid_h;
      const cv::Rect pixels = cv::Rect(static_cast<int>(cells.x * sx), static_cast<int>(cells.y * sy),
                                       static_cast<int>(std::ceil(cells.width * sx)), static_cast<int>(std::ceil(cells.height * sy))) &
                              cv::Rect(0, 0, image.cols, image.rows);
      if (pixels.area() == 0) continue;
      cv::Mat alpha_up;
      cv::resize(alpha(cells), alpha_up, pixels.size(), 0, 0, cv::INTER_LINEAR);
      cv::Mat alpha3;
      cv::merge(std::vector<cv::Mat>{alpha_up, alpha_up, alpha_up}, alpha3);
      cv::Mat roi = image(pixels);
      cv::Mat roi_f;
      roi.convertTo(roi_f, CV_32FC3);
      cv::Mat colour(roi_f.size(), CV_32FC3, times(scalar(plume.colour), tint));
      roi_f += (colour - roi_f).mul(alpha3);
      roi_f.convertTo(roi, CV_8UC3);
    }
  }
  light_layer = lights.used ? lights.image : cv::Mat();
}

void SceneRenderer::apply_light_and_weather(double time_s, int frame, cv::Mat& image, const cv::Mat& light_layer,
                                            const Background& background) const {
  // Slow illumination drift (sun, auto-exposure) and the wash-out of rain.
  Random drift_random(derive_seed(scenario_->seed, kStreamDrift));
  const double phase1 = drift_random.uniform(0, kTwoPi);
  const double phase2 = drift_random.uniform(0, kTwoPi);
  const double period = scenario_->illumination_period_s;
  double gain = 1.0 + scenario_->illumination_drift *
                          (0.65 * std::sin(kTwoPi * time_s / period + phase1) + 0.35 * std::sin(kTwoPi * time_s / (0.41 * period) + phase2));
  double bias = 0;
  if (scenario_->rain > 0) {
    gain *= 1.0 - 0.15 * scenario_->rain;
    bias += 18 * scenario_->rain * time_of_day_tint(scenario_->time_of_day)[1];
  }
  if (std::abs(gain - 1.0) > 1e-6 || bias != 0) image.convertTo(image, -1, gain, bias);

  // Sudden cloud shadows sweeping over the ground.
  for (std::size_t i = 0; i < scenario_->cloud_shadows.size(); ++i) {
    const auto& cloud = scenario_->cloud_shadows[i];
    if (time_s < cloud.start_s || time_s > cloud.start_s + cloud.duration_s) continue;
    const cv::Mat& shape = cloud_shapes_[i];
    const int grid_w = shape.cols / 2;
    const int grid_h = shape.rows;
    const double progress = (time_s - cloud.start_s) / cloud.duration_s;
    const double offset = -shape.cols + progress * (grid_w + shape.cols);
    cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, offset, 0, 1, 0);
    cv::Mat mask;
    cv::warpAffine(shape, mask, shift, cv::Size(grid_w, grid_h), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::Mat gain_map = 1.0 - cloud.darkness * mask;
    const int horizon = background.horizon_row * grid_h / image.rows;
    if (horizon > 0) gain_map.rowRange(0, std::min(horizon, grid_h)).setTo(1.0);
    cv::resize(gain_map, gain_map, image.size(), 0, 0, cv::INTER_LINEAR);
    cv::Mat gain8;
    gain_map.convertTo(gain8, CV_8U, 255.0);
    cv::cvtColor(gain8, gain8, cv::COLOR_GRAY2BGR);
    cv::multiply(image, gain8, image, 1.0 / 255.0);
  }

  if (!light_layer.empty()) {
    cv::Mat glow;
    cv::GaussianBlur(light_layer, glow, cv::Size(0, 0), 1.6);
    cv::resize(glow, glow, image.size(), 0, 0, cv::INTER_LINEAR);
    cv::add(image, glow, image);
  }

  // Fog and haze: farther rows are hazier.
  for (const auto& fog : scenario_->fog) {
    const double end = fog.start_s + fog.ramp_s + fog.hold_s;
    const double density = fog.density * envelope(time_s, fog.start_s, end, fog.ramp_s);
    if (density <= 0.001) continue;
    const double haze = (scenario_->time_of_day == TimeOfDay::day ? 205.0 : (scenario_->time_of_day == TimeOfDay::dusk ? 120.0 : 45.0));
    for (int y = 0; y < image.rows; ++y) {
      const double a = density * background.fog_weight[static_cast<std::size_t>(y)];
      cv::Mat row = image.row(y);
      row.convertTo(row, -1, 1.0 - a, a * haze);
    }
  }

  if (scenario_->rain > 0) {
    Random random(derive_seed(scenario_->seed, kStreamRain, static_cast<std::uint64_t>(frame)));
    const int streaks = static_cast<int>(scenario_->rain * 420 * scale_ * scale_);
    const double level = 170 * (scenario_->time_of_day == TimeOfDay::day ? 1.0 : 0.45);
    for (int i = 0; i < streaks; ++i) {
      const double x = random.uniform(0, image.cols);
      const double y = random.uniform(0, image.rows);
      const double length = random.uniform(10, 32) * scale_;
      const cv::Point2d from(x, y);
      const cv::Point2d to(x + 0.18 * length, y + length);
      cv::line(image, Painter::fixed(from), Painter::fixed(to), cv::Scalar(level, level, level + 5), 1, cv::LINE_AA, kShift);
    }
  }
}

void SceneRenderer::apply_tamper(double time_s, cv::Mat& image) const {
  for (const auto& tamper : scenario_->tamper) {
    if (tamper.kind == TamperKind::covered) {
      const double k = 0.97 * envelope(time_s, tamper.start_s, tamper.end_s, 0.6);
      if (k <= 0) continue;
      // A hand or tape over the lens: nearly black, a little warm light leaking.
      cv::Mat cover(image.size(), CV_8UC3);
      for (int y = 0; y < cover.rows; ++y) {
        const double t = static_cast<double>(y) / cover.rows;
        cover.row(y).setTo(cv::Scalar(14 + 10 * t, 18 + 14 * t, 26 + 20 * t));
      }
      cv::addWeighted(image, 1.0 - k, cover, k, 0, image);
    } else if (tamper.kind == TamperKind::defocus) {
      const double k = envelope(time_s, tamper.start_s, tamper.end_s, 1.5);
      if (k <= 0) continue;
      cv::Mat small;
      cv::resize(image, small, cv::Size(std::max(8, image.cols / 4), std::max(8, image.rows / 4)), 0, 0, cv::INTER_AREA);
      cv::GaussianBlur(small, small, cv::Size(0, 0), 0.5 + 2.2 * k);
      cv::Mat blurred;
      cv::resize(small, blurred, image.size(), 0, 0, cv::INTER_LINEAR);
      cv::addWeighted(image, 1.0 - k, blurred, k, 0, image);
    }
  }
}

void SceneRenderer::apply_shake(double time_s, int frame, cv::Mat& image) const {
  if (scenario_->shake_px <= 0) return;
  // Wind on the pole: two slow sways plus a little jitter each frame.
  Random random(derive_seed(scenario_->seed, kStreamShake, static_cast<std::uint64_t>(frame)));
  const double amplitude = scenario_->shake_px * scale_;
  const double dx = amplitude * (0.6 * std::sin(kTwoPi * 1.3 * time_s) + 0.25 * std::sin(kTwoPi * 3.7 * time_s + 1.0) + 0.15 * random.normal());
  const double dy = amplitude * (0.5 * std::sin(kTwoPi * 0.9 * time_s + 2.0) + 0.3 * std::sin(kTwoPi * 4.1 * time_s) + 0.15 * random.normal());
  cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::Mat shaken;
  cv::warpAffine(image, shaken, shift, image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  image = shaken;
}

void SceneRenderer::apply_noise(int frame, cv::Mat& image) const {
  if (noise_tiles_.empty()) return;
  Random random(derive_seed(scenario_->seed, kStreamNoisePick, static_cast<std::uint64_t>(frame)));
  const cv::Mat& tile = noise_tiles_[static_cast<std::size_t>(random.integer(0, kNoiseTiles - 1))];
  const cv::Rect window(random.integer(0, kNoiseMargin - 1), random.integer(0, kNoiseMargin - 1), image.cols, image.rows);
  // Dark scenes need more sensor gain, so more noise.
  const double gain = scenario_->time_of_day == TimeOfDay::night ? 2.2 : (scenario_->time_of_day == TimeOfDay::dusk ? 1.5 : 1.0);
  cv::addWeighted(image, 1.0, tile(window), gain, -128.0 * gain, image);
}

void SceneRenderer::render(const World& world, int frame, cv::Mat& out) {
  const double time_s = scenario_->frame_time(frame);
  bool frozen_now = false;
  bool freeze_ahead = false;
  for (const auto& tamper : scenario_->tamper) {
    if (tamper.kind != TamperKind::frozen) continue;
    if (time_s >= tamper.start_s && (!tamper.end_s || time_s < *tamper.end_s)) frozen_now = true;
    if (time_s < tamper.start_s) freeze_ahead = true;
  }
  if (frozen_now && frozen_valid_) {
    frozen_.copyTo(out);
    return;
  }
  const CameraModel camera(pose_at(time_s), static_cast<double>(scenario_->width) / scenario_->height);
  const Background& background = background_for(camera.pose());
  background.image.copyTo(out);
  cv::Mat light_layer(out.rows / kLightLayerDivisor, out.cols / kLightLayerDivisor, CV_8UC3, cv::Scalar(0, 0, 0));
  draw_dynamic(world, camera, time_s, out, light_layer);
  apply_light_and_weather(time_s, frame, out, light_layer, background);
  apply_tamper(time_s, out);
  apply_shake(time_s, frame, out);
  apply_noise(frame, out);
  if (freeze_ahead || frozen_now) {
    out.copyTo(frozen_);
    frozen_valid_ = true;
  }
}

struct CameraSimulator::State {
  explicit State(const Scenario& scenario) : world(scenario), recorder(scenario), renderer(scenario) {}
  World world;
  TruthRecorder recorder;
  SceneRenderer renderer;
};

CameraSimulator::CameraSimulator(const Scenario& scenario) : scenario_(scenario), state_(std::make_unique<State>(scenario_)) {}
CameraSimulator::~CameraSimulator() = default;

int CameraSimulator::frame_count() const { return scenario_.frame_count(); }

bool CameraSimulator::next(cv::Mat& out) {
  if (next_frame_ >= frame_count()) return false;
  state_->world.advance_to_frame(next_frame_);
  state_->recorder.observe(state_->world, next_frame_);
  state_->renderer.render(state_->world, next_frame_, out);
  ++next_frame_;
  return true;
}

void CameraSimulator::skip_to(int frame) {
  frame = std::min(frame, frame_count());
  cv::Mat scratch;
  while (next_frame_ < frame) {
    // The frame just before a freeze is rendered: it is the frozen picture.
    const double next_time = scenario_.frame_time(next_frame_ + 1);
    const double time = scenario_.frame_time(next_frame_);
    const bool freeze_next = std::any_of(scenario_.tamper.begin(), scenario_.tamper.end(), [&](const TamperSpec& t) {
      return t.kind == TamperKind::frozen && time < t.start_s && next_time >= t.start_s;
    });
    if (freeze_next) {
      next(scratch);
      continue;
    }
    state_->world.advance_to_frame(next_frame_);
    state_->recorder.observe(state_->world, next_frame_);
    ++next_frame_;
  }
}

GroundTruth CameraSimulator::truth() const { return state_->recorder.finish(); }

}  // namespace gridwatch::sim
