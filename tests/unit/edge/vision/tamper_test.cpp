// Tamper on synthetic pictures: a textured scene with a little noise per
// frame, then the fault. Each fault raises one tamper episode after its
// hold time and ends once the picture is normal again.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "edge/vision/camera_analyzer.hpp"

using namespace gridwatch;
using namespace gridwatch::edge::vision;

namespace {

cv::Mat scene(int frame, int shift_x = 0) {
  cv::Mat image(180, 320, CV_8UC3, cv::Scalar(90, 90, 90));
  // Fixed structure: "windows" and "lane markings".
  for (int y = 10; y < 80; y += 20) {
    for (int x = 10; x < 310; x += 25) cv::rectangle(image, cv::Rect(x + shift_x, y, 12, 10), cv::Scalar(200, 200, 210), -1);
  }
  for (int x = 0; x < 320; x += 40) cv::line(image, {x + shift_x, 170}, {x + 20 + shift_x, 120}, cv::Scalar(240, 240, 240), 2);
  cv::theRNG().state = static_cast<std::uint64_t>(frame) + 1;
  cv::Mat noise(image.size(), CV_8UC3);
  cv::randu(noise, 0, 8);
  cv::Mat noisy;
  cv::add(image, noise, noisy);
  return noisy;
}

struct Fault {
  std::string name;
  std::function<cv::Mat(int frame, const cv::Mat& normal, const cv::Mat& last_normal)> picture;
};

std::vector<VisionEvent> tamper_events(const Fault& fault) {
  CameraSettings camera;
  camera.id = "cam1";
  CameraAnalyzer analyzer(camera);
  std::vector<VisionEvent> out;
  cv::Mat last_normal;
  for (int i = 0; i < 5 * 60; ++i) {  // 60 s at 5 fps; the fault from 20 s to 40 s
    const double t_s = i / 5.0;
    const cv::Mat normal = scene(i);
    cv::Mat frame = normal;
    if (t_s >= 20 && t_s < 40) {
      frame = fault.picture(i, normal, last_normal);
    } else {
      last_normal = normal;
    }
    for (auto& event : analyzer.process(frame, t_s)) {
      if (event.type == EventType::tamper) out.push_back(event);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("covered lens, defocus, moved view and frozen image each raise one tamper episode", "[vision][tamper][scene]") {
  const std::vector<Fault> faults{
      {"covered", [](int, const cv::Mat& normal, const cv::Mat&) { return cv::Mat(normal.size(), normal.type(), cv::Scalar(4, 4, 4)); }},
      {"defocus",
       [](int, const cv::Mat& normal, const cv::Mat&) {
         cv::Mat blurred;
         cv::GaussianBlur(normal, blurred, cv::Size(0, 0), 6);
         return blurred;
       }},
      {"moved",
       [](int frame, const cv::Mat&, const cv::Mat&) {
         cv::Mat turned;
         cv::flip(scene(frame, 13), turned, 0);
         return turned;
       }},
      {"frozen", [](int, const cv::Mat&, const cv::Mat& last_normal) { return last_normal.clone(); }},
      // A hand over the lens: not black (warm light leaks round it, mean
      // brightness 30 of 255, above dark_level), but far darker than the
      // scene and without structure.
      {"covered",
       [](int, const cv::Mat& normal, const cv::Mat&) {
         cv::Mat hand(normal.size(), normal.type());
         for (int y = 0; y < hand.rows; ++y) hand.row(y).setTo(cv::Scalar(18, 26, 30 + 20 * y / hand.rows));
         return hand;
       }},
      // A lens knocked slightly out of focus: sharper than defocus_ratio,
      // but the scene's fine fixed edges are gone (not a moved view).
      {"defocus",
       [](int, const cv::Mat& normal, const cv::Mat&) {
         cv::Mat blurred;
         cv::GaussianBlur(normal, blurred, cv::Size(0, 0), 2.5);
         return blurred;
       }},
  };
  for (const auto& fault : faults) {
    INFO(fault.name);
    const auto events = tamper_events(fault);
    std::vector<VisionEvent> starts;
    std::vector<VisionEvent> ends;
    for (const auto& event : events) {
      if (event.phase == Phase::start) starts.push_back(event);
      if (event.phase == Phase::end) ends.push_back(event);
    }
    REQUIRE(starts.size() == 1);
    CHECK(starts[0].started_s >= 20);
    CHECK(starts[0].started_s <= 27);
    CHECK(starts[0].summary.find(fault.name) != std::string::npos);
    CHECK(starts[0].fault == fault.name);
    REQUIRE(ends.size() == 1);
    REQUIRE(ends[0].ended_s.has_value());
    CHECK(*ends[0].ended_s >= 40);
    CHECK(*ends[0].ended_s <= 46);
  }
}

TEST_CASE("a normal noisy scene raises no tamper", "[vision][tamper][scene]") {
  CameraSettings camera;
  camera.id = "cam1";
  CameraAnalyzer analyzer(camera);
  std::size_t events = 0;
  for (int i = 0; i < 5 * 40; ++i) events += analyzer.process(scene(i), i / 5.0).size();
  CHECK(events == 0);
}

namespace {

/// A camera's burned-in OSD: white boxes with dark text over the top left,
/// a quarter of the picture, its clock changing every second.
void burn_in_osd(cv::Mat& frame, double t_s) {
  for (int line = 0; line < 5; ++line) {
    const cv::Rect box(4, 4 + 9 * line, 150, 8);
    frame(box).setTo(cv::Scalar(235, 235, 235));
    cv::putText(frame, "CAM 07 " + std::to_string(static_cast<int>(t_s)) + " 12:00:0" + std::to_string(line),
                {box.x + 2, box.y + 7}, cv::FONT_HERSHEY_PLAIN, 0.6, cv::Scalar(20, 20, 20));
  }
}

}  // namespace

TEST_CASE("a covered lens is seen on a camera whose OSD stays burned in, once the OSD is masked", "[vision][tamper][scene]") {
  // Covered, the picture is black but for the OSD: bright boxes full of
  // sharp text, as sharp as half the scene was. Masked, only the lens's
  // picture is judged.
  CameraSettings camera;
  camera.id = "cam1";
  camera.masks.push_back({{0.0, 0.0}, {0.5, 0.0}, {0.5, 0.27}, {0.0, 0.27}});
  CameraAnalyzer analyzer(camera);
  std::vector<VisionEvent> raised;
  for (int i = 0; i < 5 * 60; ++i) {  // 60 s at 5 fps; covered from 20 s to 40 s
    const double t_s = i / 5.0;
    cv::Mat frame = t_s >= 20 && t_s < 40 ? cv::Mat(180, 320, CV_8UC3, cv::Scalar(6, 6, 6)) : scene(i);
    burn_in_osd(frame, t_s);
    for (auto& event : analyzer.process(frame, t_s)) {
      if (event.type == EventType::tamper) raised.push_back(event);
    }
  }
  REQUIRE(raised.size() == 2);
  CHECK(raised[0].fault == "covered");
  CHECK(raised[0].phase == Phase::start);
  CHECK(raised[0].time_s <= 26);
  CHECK(raised[1].phase == Phase::end);
}
