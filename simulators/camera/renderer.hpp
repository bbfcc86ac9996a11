#pragma once
// Draws the World as the simulated camera sees it: the static street once
// per camera pose, then per frame the vehicles, people and plumes, light,
// weather, camera faults and sensor noise. Deterministic: all randomness
// comes from the scenario seed and the frame number.
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "simulators/camera/ground_truth.hpp"
#include "simulators/camera/scenario.hpp"
#include "simulators/camera/street_geometry.hpp"

namespace gridwatch::sim {

class World;

class SceneRenderer {
 public:
  explicit SceneRenderer(const Scenario& scenario);

  /// Renders `frame`; the world must already be at that frame. Frames must
  /// be rendered in order while a frozen-image fault can start (the frozen
  /// picture is the last one rendered before it).
  void render(const World& world, int frame, cv::Mat& out);

  /// The camera pose at a time (nominal, or turned by a tamper event).
  CameraPose pose_at(double time_s) const;

 private:
  struct Background;
  const Background& background_for(const CameraPose& pose);
  void build_background(const CameraModel& camera, Background& background) const;

  void draw_dynamic(const World& world, const CameraModel& camera, double time_s, cv::Mat& image,
                    cv::Mat& light_layer) const;
  void apply_light_and_weather(double time_s, int frame, cv::Mat& image, const cv::Mat& light_layer,
                               const Background& background) const;
  void apply_tamper(double time_s, cv::Mat& image) const;
  void apply_shake(double time_s, int frame, cv::Mat& image) const;
  void apply_noise(int frame, cv::Mat& image) const;

  const Scenario* scenario_;
  double scale_;  // pixel sizes are designed at 1280 px width
  std::map<long, std::unique_ptr<Background>> backgrounds_;  // keyed by yaw in millidegrees
  std::vector<cv::Mat> noise_tiles_;
  std::vector<cv::Mat> cloud_shapes_;
  cv::Mat smoke_texture_;
  cv::Mat frozen_;
  bool frozen_valid_ = false;
};

/// Renders frames and records ground truth from one World, in order.
class CameraSimulator {
 public:
  explicit CameraSimulator(const Scenario& scenario);
  ~CameraSimulator();
  CameraSimulator(const CameraSimulator&) = delete;
  CameraSimulator& operator=(const CameraSimulator&) = delete;

  int frame_count() const;
  int next_frame() const { return next_frame_; }
  /// Renders the next frame; false when the scenario is over.
  bool next(cv::Mat& out);
  /// Advances to `frame` without rendering the frames in between (ground
  /// truth still sees every frame); the next call to next() renders it.
  void skip_to(int frame);
  /// The truth of the frames seen so far (all of them after the last).
  GroundTruth truth() const;
  const Scenario& scenario() const { return scenario_; }

 private:
  struct State;
  Scenario scenario_;
  std::unique_ptr<State> state_;
  int next_frame_ = 0;
};

}  // namespace gridwatch::sim
