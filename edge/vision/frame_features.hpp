#pragma once
// Illumination-normalised features of one analysis frame, and the
// shift-tolerant comparison every detector stage uses.
//
// `norm` is the blurred grey image minus its local mean, divided by its
// local contrast (with a floor, so flat road stays near 0). A cloud
// shadow, dusk or auto-exposure scales a neighbourhood's brightness and
// contrast alike and leaves `norm` nearly unchanged, while a vehicle adds
// edges, windows and wheels that change it strongly.
#include <opencv2/core.hpp>

#include <vector>

namespace gridwatch::edge::vision {

struct FrameFeatures {
  cv::Mat grey;      ///< CV_32F, blurred grey at analysis size, 0..255
  cv::Mat norm;      ///< CV_32F, locally normalised structure
  double mean_luma = 0;
  double sharpness = 0;  ///< mean gradient magnitude of the unblurred grey
  cv::Mat gradient;      ///< CV_32F, Sobel gradient magnitude of the unblurred grey (edge energy)
};

/// The analysis size for an input of `input` with the configured width.
cv::Size analysis_size(cv::Size input, int width);

/// `frame` (any size, BGR or grey) reduced to `size` by area averaging:
/// exact halvings while the size still divides the frame exactly, then one
/// area resize. Never shares memory with `frame`.
cv::Mat shrink_for_analysis(const cv::Mat& frame, cv::Size size);

/// `frame` is BGR (or grey) at analysis size.
FrameFeatures compute_features(const cv::Mat& frame);

/// A reference appearance to compare frames with: a structure image and
/// a grey image of the same size (the background, a frame a second ago,
/// a parked vehicle's look).
struct Appearance {
  cv::Mat norm;  ///< CV_32F
  cv::Mat grey;  ///< CV_32F
};

/// The 3x3 neighbourhood range (lowest and highest value) of a CV_32F
/// image, one row at a time: exactly what OpenCV's 3x3 rectangular erode
/// and dilate give with their default border, where a neighbour outside
/// the image does not count. For a view into a larger image,
/// `reads_around` takes the neighbours just outside the view from the
/// larger image (OpenCV's default); without it they do not count
/// (BORDER_ISOLATED). Comparisons need a row at a time, and the morphology
/// wrote two full-size images per reference.
class NeighbourhoodRange {
 public:
  NeighbourhoodRange(const cv::Mat& image, bool reads_around);

  /// Row `y`'s range into `lowest` and `highest` (image.cols values each).
  void row(int y, float* lowest, float* highest);

 private:
  cv::Mat image_;
  int above_ = 0;
  int below_ = 0;
  int left_ = 0;
  int right_ = 0;
  std::vector<float> column_low_;   ///< per column, the lowest of the three rows
  std::vector<float> column_high_;  ///< per column, the highest
};

/// Per pixel, how different `now` is from `reference` in units of the
/// detection threshold (>= 1: different). Two cues, the larger wins:
/// structure (`norm`, divided by `structure_threshold`), and grey level
/// after scaling the reference by `gain` (global light change), relative
/// to a floor of a few grey levels plus a share of the brightness. Both
/// take the closest value among the reference's 3x3 neighbours, so 1 px of
/// camera shake does not count.
cv::Mat appearance_distance(const cv::Mat& now_norm, const cv::Mat& now_grey, const Appearance& reference, double gain,
                            double structure_threshold);

/// The 3x3 ranges appearance_distance takes of a reference, computed once
/// for a reference compared with more than one frame (the static map
/// compares each frame with the frames 1 s and 2 s before it, so each
/// frame is a reference twice).
struct AppearanceRanges {
  cv::Mat norm_low;   ///< CV_32F, the neighbours just outside a view counted
  cv::Mat norm_high;
  cv::Mat grey_low;   ///< CV_32F, only the view's own pixels counted
  cv::Mat grey_high;
};

AppearanceRanges appearance_ranges(const Appearance& reference);

/// appearance_distance with the reference's ranges computed beforehand
/// (`ranges` = appearance_ranges(reference)); the same result.
cv::Mat appearance_distance(const cv::Mat& now_norm, const cv::Mat& now_grey, const Appearance& reference,
                            const AppearanceRanges& ranges, double gain, double structure_threshold);

/// Only the structure cue, unscaled (for tamper and ghost tests).
cv::Mat structure_distance(const cv::Mat& norm, const cv::Mat& reference_norm);

}  // namespace gridwatch::edge::vision
