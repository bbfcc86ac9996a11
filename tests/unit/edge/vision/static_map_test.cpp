// The pixel level of the stationary-vehicle detector: what its long-term
// background learns, on synthetic grey frames.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>

#include "edge/vision/frame_features.hpp"
#include "edge/vision/static_map.hpp"

using namespace gridwatch::edge::vision;

TEST_CASE("where vehicles park, the background is slow to learn what differs from the road a little",
          "[vision][parking]") {
  // A dark road (20) at night, and from 10 s two dim patches (28) that
  // differ from it by about 0.6 of the detection threshold: one inside
  // the parking area (left half), one outside. Outside, the background
  // takes the patch in like any slow change of light, from the moment it
  // stands still. Inside, only what differs by less than half the
  // threshold is learnt: the patch goes in only as its blurred edge is
  // learnt and the shift-tolerant comparison lets each learnt pixel make
  // its neighbour match, about 10 s later here. Long enough for a dim car
  // to become a tracked object (after 4 s), whose footprint the
  // background then leaves alone.
  const cv::Size size(160, 90);
  const cv::Rect inside(30, 40, 30, 14);
  const cv::Rect outside(110, 40, 30, 14);
  cv::Mat area(size, CV_8U, cv::Scalar(0));
  area(cv::Rect(0, 0, 80, 90)).setTo(255);
  StaticMap map(size, cv::Mat(size, CV_8U, cv::Scalar(255)), DetectorSettings{}, area);
  const cv::Mat none;
  for (int frame = 0; frame <= 5 * 20; ++frame) {
    const double t_s = frame / 5.0;
    cv::Mat picture(size, CV_8U, cv::Scalar(20));
    if (t_s >= 10) {
      picture(inside).setTo(28);
      picture(outside).setTo(28);
    }
    map.update(compute_features(picture), t_s, none);
  }
  const auto centre_of = [&](const cv::Rect& box) {
    return map.background().grey.at<float>(box.y + box.height / 2, box.x + box.width / 2);
  };
  // At 20 s. The background is kept at its own light level: the patch
  // makes the picture a little brighter than the background, by the gain.
  CHECK(centre_of(inside) == Approx(20).margin(0.5));
  CHECK(centre_of(outside) * map.gain() > 24);
}
