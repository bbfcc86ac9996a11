#include "edge/vision/frame_features.hpp"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace gridwatch::edge::vision {
namespace {

constexpr int kLocalWindow = 9;        // local mean and contrast window (analysis pixels)
constexpr double kContrastFloor = 6.0; // grey levels; below this a neighbourhood counts as flat
constexpr double kGreyFloor = 10.0;     // grey levels of difference that never count
constexpr double kGreyShare = 0.12;     // plus this share of the reference brightness

}  // namespace

cv::Size analysis_size(cv::Size input, int width) {
  if (input.width <= 0 || input.height <= 0) return {width, width * 9 / 16};
  const int target_width = std::min(width, input.width);
  int height = static_cast<int>(std::lround(static_cast<double>(target_width) * input.height / input.width));
  height += height % 2;
  return {target_width, std::max(height, 2)};
}

FrameFeatures compute_features(const cv::Mat& frame) {
  FrameFeatures features;
  cv::Mat grey8;
  if (frame.channels() == 3) {
    cv::cvtColor(frame, grey8, cv::COLOR_BGR2GRAY);
  } else {
    grey8 = frame;
  }
  cv::Mat raw;
  grey8.convertTo(raw, CV_32F);
  cv::GaussianBlur(raw, features.grey, cv::Size(3, 3), 0.8);
  features.mean_luma = cv::mean(features.grey)[0];

  cv::Mat gx;
  cv::Mat gy;
  cv::Sobel(raw, gx, CV_32F, 1, 0);
  cv::Sobel(raw, gy, CV_32F, 0, 1);
  cv::magnitude(gx, gy, features.gradient);
  features.sharpness = cv::mean(features.gradient)[0];

  features.norm = local_structure(features.grey);
  return features;
}

cv::Mat local_structure(const cv::Mat& grey) {
  cv::Mat mean;
  cv::Mat mean_sq;
  cv::boxFilter(grey, mean, CV_32F, cv::Size(kLocalWindow, kLocalWindow));
  cv::boxFilter(grey.mul(grey), mean_sq, CV_32F, cv::Size(kLocalWindow, kLocalWindow));
  cv::Mat variance = mean_sq - mean.mul(mean);
  cv::max(variance, 0.0, variance);
  cv::Mat scale;
  cv::sqrt(variance + kContrastFloor * kContrastFloor, scale);
  cv::Mat norm;
  cv::divide(grey - mean, scale, norm);
  return norm;
}

namespace {

/// How far `value` lies outside the 3x3 range of `reference`, per pixel.
cv::Mat outside_neighbourhood(const cv::Mat& value, const cv::Mat& reference) {
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

}  // namespace

cv::Mat appearance_distance(const cv::Mat& now_norm, const cv::Mat& now_grey, const Appearance& reference, double gain,
                            double structure_threshold) {
  cv::Mat distance = outside_neighbourhood(now_norm, reference.norm) * (1.0 / structure_threshold);
  const cv::Mat scaled = reference.grey * gain;
  cv::Mat grey_distance = outside_neighbourhood(now_grey, scaled);
  const cv::Mat tolerance = scaled * kGreyShare + kGreyFloor;
  cv::divide(grey_distance, tolerance, grey_distance);
  cv::max(distance, grey_distance, distance);
  return distance;
}

cv::Mat structure_distance(const cv::Mat& norm, const cv::Mat& reference_norm) {
  return outside_neighbourhood(norm, reference_norm);
}

}  // namespace gridwatch::edge::vision
