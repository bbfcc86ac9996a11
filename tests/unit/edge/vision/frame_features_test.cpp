// The shared frame features: the row-at-a-time 3x3 range against OpenCV's
// erode and dilate, bit for bit, on whole images and on views inside a
// larger one, and the structure distance built on it; the one-pass
// appearance distance against the chain of
// OpenCV calls that defines it (3x3 dilate / erode of the reference, the
// grey cue scaled by the gain), on odd sizes (vector tail) and on tracked
// objects' boxes; its tolerance of one pixel of shake; the analysis
// shrink against one INTER_AREA resize; and the distance from ranges
// computed beforehand against the one that computes them.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <utility>

#include "edge/vision/frame_features.hpp"

using namespace gridwatch::edge::vision;

namespace {

cv::Mat random_image(cv::Size size, double low, double high, std::uint64_t seed) {
  cv::Mat image(size, CV_32F);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, low, high);
  return image;
}

/// How far `value` lies outside the 3x3 range of `reference`, with OpenCV's
/// morphology (which reads the pixels just outside a view).
cv::Mat outside_range(const cv::Mat& value, const cv::Mat& reference) {
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
  cv::Mat upper;
  cv::Mat lower;
  cv::dilate(reference, upper, kernel);
  cv::erode(reference, lower, kernel);
  const cv::Mat above = value - upper;
  const cv::Mat below = lower - value;
  cv::Mat distance;
  cv::max(above, below, distance);
  cv::max(distance, 0.0, distance);
  return distance;
}

/// The definition, as the chain of OpenCV calls it was first written as.
cv::Mat defined_distance(const cv::Mat& norm, const cv::Mat& grey, const Appearance& reference, double gain,
                         double threshold) {
  const cv::Mat structure = outside_range(norm, reference.norm) * (1.0 / threshold);
  const cv::Mat scaled = reference.grey * gain;
  cv::Mat grey_distance = outside_range(grey, scaled);
  const cv::Mat tolerance = scaled * 0.12 + 10.0;
  cv::divide(grey_distance, tolerance, grey_distance);
  cv::Mat distance;
  cv::max(structure, grey_distance, distance);
  return distance;
}

/// The range of `image` row by row, as two images.
std::pair<cv::Mat, cv::Mat> ranges_by_row(const cv::Mat& image, bool reads_around) {
  cv::Mat lowest(image.size(), CV_32F);
  cv::Mat highest(image.size(), CV_32F);
  NeighbourhoodRange range(image, reads_around);
  for (int y = 0; y < image.rows; ++y) range.row(y, lowest.ptr<float>(y), highest.ptr<float>(y));
  return {lowest, highest};
}

void check_range_is_morphology(const cv::Mat& image) {
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
  const int isolated = cv::BORDER_CONSTANT | cv::BORDER_ISOLATED;
  for (const bool reads_around : {true, false}) {
    CAPTURE(reads_around);
    cv::Mat eroded;
    cv::Mat dilated;
    const int border = reads_around ? cv::BORDER_CONSTANT : isolated;
    cv::erode(image, eroded, kernel, cv::Point(-1, -1), 1, border);
    cv::dilate(image, dilated, kernel, cv::Point(-1, -1), 1, border);
    const auto [lowest, highest] = ranges_by_row(image, reads_around);
    // Bit for bit: min and max are exact, so any difference is a wrong
    // neighbour.
    CHECK(cv::norm(lowest, eroded, cv::NORM_INF) == 0);
    CHECK(cv::norm(highest, dilated, cv::NORM_INF) == 0);
  }
}

}  // namespace

TEST_CASE("the row-at-a-time 3x3 range is OpenCV's erode and dilate bit for bit", "[vision][features]") {
  SECTION("whole images, odd and tiny sizes") {
    for (const cv::Size size : {cv::Size(320, 180), cv::Size(97, 53), cv::Size(5, 3), cv::Size(1, 1), cv::Size(7, 1),
                                cv::Size(1, 6)}) {
      CAPTURE(size.width, size.height);
      check_range_is_morphology(random_image(size, -300, 300, 11));
    }
  }
  SECTION("views inside a larger image: inside, and against each edge") {
    const cv::Mat whole = random_image(cv::Size(64, 48), 0, 255, 12);
    for (const cv::Rect box : {cv::Rect(10, 7, 21, 13), cv::Rect(0, 0, 9, 5), cv::Rect(55, 40, 9, 8),
                               cv::Rect(0, 20, 64, 3), cv::Rect(30, 0, 1, 48), cv::Rect(0, 0, 64, 48)}) {
      CAPTURE(box.x, box.y, box.width, box.height);
      check_range_is_morphology(whole(box));
    }
  }
  SECTION("a view that reads around differs from an isolated one where the outside is extreme") {
    cv::Mat whole(20, 20, CV_32F, cv::Scalar(1000));
    whole(cv::Rect(5, 5, 10, 10)).setTo(0);
    const cv::Mat view = whole(cv::Rect(5, 5, 10, 10));
    CHECK(ranges_by_row(view, true).second.at<float>(0, 0) == 1000.0F);
    CHECK(ranges_by_row(view, false).second.at<float>(0, 0) == 0.0F);
  }
}

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

TEST_CASE("appearance distance from ranges computed beforehand is the same, bit for bit", "[vision][features]") {
  const cv::Size size(97, 53);  // odd width: the vector loop's tail runs too
  const Appearance whole{random_image(size, -3, 3, 21), random_image(size, 0, 255, 22)};
  const cv::Mat norm = random_image(size, -3, 3, 23);
  const cv::Mat grey = random_image(size, 0, 255, 24);
  const auto ranges = appearance_ranges(whole);
  REQUIRE(ranges.norm_low.size() == size);
  for (const double gain : {1.0, 0.63}) {
    CAPTURE(gain);
    CHECK(cv::norm(appearance_distance(norm, grey, whole, ranges, gain, 0.9),
                   appearance_distance(norm, grey, whole, gain, 0.9), cv::NORM_INF) == 0);
  }
  // On a view: the structure range reads the pixels round it, the grey
  // range does not, in both forms.
  const cv::Rect box(10, 7, 21, 13);
  const Appearance boxed{whole.norm(box), whole.grey(box)};
  CHECK(cv::norm(appearance_distance(norm(box), grey(box), boxed, appearance_ranges(boxed), 1.2, 0.9),
                 appearance_distance(norm(box), grey(box), boxed, 1.2, 0.9), cv::NORM_INF) == 0);
}

TEST_CASE("the structure distance is the 3x3 range test with OpenCV's morphology, bit for bit", "[vision][features]") {
  const cv::Mat whole = random_image(cv::Size(64, 48), -3, 3, 13);
  const cv::Mat now = random_image(cv::Size(64, 48), -3, 3, 14);
  // Whole images, and a tracked object's box (the reference a view that
  // reads the pixels around it), inside and against an edge.
  CHECK(cv::norm(structure_distance(now, whole), outside_range(now, whole), cv::NORM_INF) == 0);
  for (const cv::Rect box : {cv::Rect(10, 7, 21, 13), cv::Rect(0, 30, 17, 18)}) {
    CAPTURE(box.x, box.y);
    const cv::Mat got = structure_distance(now(box), whole(box));
    REQUIRE(got.size() == box.size());
    CHECK(cv::norm(got, outside_range(now(box), whole(box)), cv::NORM_INF) == 0);
  }
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

TEST_CASE("the normalised structure is the chain of OpenCV calls that defines it, bit for bit", "[vision][features]") {
  // A street-like frame: noise on a gradient, a bright box, a flat patch.
  cv::Mat frame(180, 322, CV_8U);  // 322: the vector loop's tail runs too
  cv::RNG rng(21);
  rng.fill(frame, cv::RNG::UNIFORM, 0, 60);
  for (int y = 0; y < frame.rows; ++y) frame.row(y) += cv::Scalar(y);
  cv::rectangle(frame, cv::Rect(100, 60, 40, 30), cv::Scalar(240), cv::FILLED);
  frame(cv::Rect(200, 100, 50, 50)).setTo(90);
  const auto features = compute_features(frame);

  cv::Mat raw;
  frame.convertTo(raw, CV_32F);
  cv::Mat grey;
  cv::GaussianBlur(raw, grey, cv::Size(3, 3), 0.8);
  cv::Mat mean;
  cv::Mat mean_sq;
  cv::boxFilter(grey, mean, CV_32F, cv::Size(9, 9));
  cv::sqrBoxFilter(grey, mean_sq, CV_32F, cv::Size(9, 9));
  cv::Mat variance = mean_sq - mean.mul(mean);
  cv::max(variance, 0.0, variance);
  cv::Mat scale;
  cv::sqrt(variance + 6.0 * 6.0, scale);
  cv::Mat norm;
  cv::divide(grey - mean, scale, norm);

  REQUIRE(features.norm.size() == frame.size());
  REQUIRE(features.norm.type() == CV_32F);
  CHECK(cv::norm(features.grey, grey, cv::NORM_INF) == 0);
  CHECK(cv::norm(features.norm, norm, cv::NORM_INF) == 0);
  // The flat patch has no structure; the box's edges have a lot.
  CHECK(std::abs(features.norm.at<float>(125, 225)) < 1e-3F);
  CHECK(cv::norm(features.norm(cv::Rect(96, 60, 8, 30)), cv::NORM_INF) > 1.0);
}
