// The shared frame features: the one-pass appearance distance against the
// chain of OpenCV calls that defines it (3x3 dilate / erode of the
// reference, the grey cue scaled by the gain), on odd sizes (vector tail)
// and on tracked objects' boxes; its tolerance of one pixel of shake; and
// the analysis shrink against one INTER_AREA resize.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "edge/vision/frame_features.hpp"

using namespace gridwatch::edge::vision;

namespace {

cv::Mat random_image(cv::Size size, double low, double high, std::uint64_t seed) {
  cv::Mat image(size, CV_32F);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, low, high);
  return image;
}

/// The definition, as the chain of OpenCV calls it was first written as
/// (`structure_distance` is the 3x3 range test with OpenCV's morphology).
cv::Mat defined_distance(const cv::Mat& norm, const cv::Mat& grey, const Appearance& reference, double gain,
                         double threshold) {
  const cv::Mat structure = structure_distance(norm, reference.norm) * (1.0 / threshold);
  const cv::Mat scaled = reference.grey * gain;
  cv::Mat grey_distance = structure_distance(grey, scaled);
  const cv::Mat tolerance = scaled * 0.12 + 10.0;
  cv::divide(grey_distance, tolerance, grey_distance);
  cv::Mat distance;
  cv::max(structure, grey_distance, distance);
  return distance;
}

}  // namespace

TEST_CASE("appearance distance equals its definition", "[vision][features]") {
  const cv::Size size(97, 53);  // odd width: the vector loop's tail runs too
  const Appearance reference{random_image(size, -3, 3, 1), random_image(size, 0, 255, 2)};
  const cv::Mat norm = random_image(size, -3, 3, 3);
  const cv::Mat grey = random_image(size, 0, 255, 4);
  for (const double gain : {1.0, 0.63, 1.8}) {
    for (const double threshold : {0.6, 1.0, 2.5}) {
      CAPTURE(gain, threshold);
      const cv::Mat got = appearance_distance(norm, grey, reference, gain, threshold);
      const cv::Mat want = defined_distance(norm, grey, reference, gain, threshold);
      REQUIRE(got.type() == CV_32F);
      CHECK(cv::norm(got, want, cv::NORM_INF) < 1e-4);
      CHECK(cv::countNonZero(got >= 1.0) == cv::countNonZero(want >= 1.0));
    }
  }
  // A frame identical to its reference is at distance 0 everywhere.
  CHECK(cv::countNonZero(appearance_distance(reference.norm, reference.grey, reference, 1.0, 1.0)) == 0);
}

TEST_CASE("appearance distance on a tracked object's box equals its definition on that box", "[vision][features]") {
  const cv::Size size(64, 48);
  const Appearance whole{random_image(size, -3, 3, 5), random_image(size, 0, 255, 6)};
  const cv::Mat norm = random_image(size, -3, 3, 7);
  const cv::Mat grey = random_image(size, 0, 255, 8);
  const cv::Rect box(10, 7, 21, 13);
  const Appearance boxed{whole.norm(box), whole.grey(box)};
  const cv::Mat got = appearance_distance(norm(box), grey(box), boxed, 1.2, 0.9);
  REQUIRE(got.size() == box.size());
  CHECK(cv::norm(got, defined_distance(norm(box), grey(box), boxed, 1.2, 0.9), cv::NORM_INF) < 1e-4);
}

TEST_CASE("appearance distance tolerates one pixel of shake", "[vision][features]") {
  cv::Mat grey(40, 40, CV_32F, cv::Scalar(40));
  cv::rectangle(grey, cv::Rect(15, 15, 10, 10), cv::Scalar(200), cv::FILLED);
  cv::Mat shifted;
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 1, 0, 1, 0);
  cv::warpAffine(grey, shifted, shift, grey.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
  const cv::Mat flat = cv::Mat::zeros(grey.size(), CV_32F);
  const Appearance reference{flat, grey};
  CHECK(cv::countNonZero(appearance_distance(flat, shifted, reference, 1.0, 1.0) >= 1.0) == 0);
  // Moved by three pixels, the square's edges differ.
  const cv::Mat far_shift = (cv::Mat_<double>(2, 3) << 1, 0, 3, 0, 1, 0);
  cv::warpAffine(grey, shifted, far_shift, grey.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
  CHECK(cv::countNonZero(appearance_distance(flat, shifted, reference, 1.0, 1.0) >= 1.0) > 0);
}

TEST_CASE("the analysis shrink is an area mean within a grey level", "[vision][features]") {
  cv::Mat frame(720, 1280, CV_8UC3);
  cv::RNG rng(9);
  rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(frame, frame, cv::Size(0, 0), 2.0);  // a picture, not white noise
  for (const auto& size : {cv::Size(320, 180), cv::Size(640, 360), cv::Size(256, 144), cv::Size(1280, 720)}) {
    CAPTURE(size);
    cv::Mat direct;
    cv::resize(frame, direct, size, 0, 0, cv::INTER_AREA);
    const cv::Mat got = shrink_for_analysis(frame, size);
    REQUIRE(got.size() == size);
    REQUIRE(got.type() == frame.type());
    CHECK(cv::norm(got, direct, cv::NORM_INF) <= 1.0);
    CHECK(got.data != frame.data);
  }
  // A grey frame of odd size takes the single-step path.
  cv::Mat grey(721, 1283, CV_8U, cv::Scalar(77));
  const cv::Mat got = shrink_for_analysis(grey, cv::Size(320, 180));
  CHECK(got.size() == cv::Size(320, 180));
  CHECK(cv::norm(got, cv::Mat(180, 320, CV_8U, cv::Scalar(77)), cv::NORM_INF) == 0);
}
