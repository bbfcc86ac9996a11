#pragma once
// Object level of the stationary-vehicle detector: turns static blobs
// whose bottom centre lies in a zone into tracked objects, each with the
// appearance it had when it stopped. Every frame an object is found again
// by that appearance (illumination-normalised, so shadows and headlights
// do not break it), reported hidden while traffic passes in front, and
// ended once its spot shows the empty road for `leave_confirm_s`.
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edge/vision/camera_settings.hpp"
#include "edge/vision/frame_features.hpp"
#include "edge/vision/static_map.hpp"

namespace gridwatch::edge::vision {

struct TrackedObject {
  int id = 0;
  std::size_t zone = 0;  ///< index into CameraSettings::zones
  cv::Rect box;          ///< analysis pixels
  cv::Mat mask;          ///< CV_8U, box-sized
  cv::Mat signature;     ///< CV_8U, box-sized: mask pixels that differ from the road (the ones that tell)
  Appearance appearance; ///< box-sized
  double gain = 1;       ///< light around it (against the background) when the appearance was taken
  double since_s = 0;    ///< when it stopped
  double last_seen_s = 0;
  double created_s = 0;
  double match = 0;      ///< share of its pixels matching its appearance in the last frame
  bool visible = false;  ///< seen in the last frame
  std::optional<double> road_since_s;  ///< its spot has shown empty road since
  bool restarted = false;              ///< a light-only object's stop time was restarted when its spot showed road
  bool light_only = false;             ///< its first look differed from the road in grey only (no structure of its own)
  bool grew_since_restart = false;     ///< took in static pixels after its stop time was restarted
  std::optional<double> end_s;         ///< set when it is gone
  std::optional<int> joined_into;      ///< ended as a piece of this object (same vehicle, not gone)
  bool may_be_piece = false;           ///< forming within one vehicle outline of an older object it may yet join
};

class StationaryTracker {
 public:
  StationaryTracker(cv::Size size, const CameraSettings& settings);

  /// Follows the objects and creates new ones from the map's blobs; ghosts
  /// (road uncovered where something stood at start) go back to the map.
  void update(const FrameFeatures& features, double t_s, StaticMap& map);
  /// Objects ended by the last update are removed on the next one.
  const std::vector<TrackedObject>& objects() const { return objects_; }
  /// CV_8U, 255 under every live object (no background learning there).
  cv::Mat footprint() const;
  /// Forgets every object without ending it (the view changed).
  void clear() {
    objects_.clear();
    departed_.clear();
  }

  /// Normalised [x, y, w, h] of an analysis-pixel box.
  std::array<double, 4> normalised(const cv::Rect& box) const;

 private:
  void follow(TrackedObject& object, const FrameFeatures& features, double t_s, const StaticMap& map) const;
  cv::Mat distance_to(const TrackedObject& object, const FrameFeatures& features, const cv::Rect& area,
                      double gain) const;
  /// `box` with a margin for the road around it, within the frame.
  cv::Rect around(const cv::Rect& box) const;
  double ring_gain(const cv::Rect& box, const FrameFeatures& features, const StaticMap& map) const;
  struct EdgeReading {
    bool gone = false;            ///< no edge test says the vehicle is still there
    bool own_edges_gone = false;  ///< it has enough edges of its own to tell, and they are gone
  };
  /// Whether the vehicle's own edges are gone and the road's are back
  /// (each where there are enough to tell).
  EdgeReading read_edges(const TrackedObject& object, const FrameFeatures& features, const StaticMap& map) const;
  void consider(const StaticBlob& blob, const FrameFeatures& features, double t_s, StaticMap& map);
  void grow(TrackedObject& object, const StaticBlob& blob, const FrameFeatures& features, const StaticMap& map) const;
  /// Joins a forming object into an older one it overlaps (two pieces of one vehicle).
  void merge_pieces(const FrameFeatures& features, double t_s, const StaticMap& map);
  /// Marks forming objects that may still turn out to be pieces of an older one.
  void mark_possible_pieces(double t_s);
  /// Mask pixels whose current look differs from the road under them.
  cv::Mat signature_of(const cv::Rect& box, const cv::Mat& mask, const FrameFeatures& features, const StaticMap& map) const;
  std::optional<std::size_t> zone_of(const cv::Rect& box) const;
  bool vehicle_shaped(const cv::Rect& box) const;

  cv::Size size_;
  CameraSettings settings_;
  std::vector<std::vector<cv::Point2f>> zones_;  // analysis pixels
  struct Departed {
    cv::Rect box;
    double end_s = 0;
  };
  std::vector<TrackedObject> objects_;
  std::vector<Departed> departed_;  // recently ended objects
  int next_id_ = 1;
};

}  // namespace gridwatch::edge::vision
