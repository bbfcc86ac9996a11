// The dnn vehicle confirmation (edge/vehicle_dnn) with the real
// yolo-fastest-1.1 model on a real frame of the overpass traffic clip:
// frame 100 shows a white SUV in the near lane, at pixels x 147-190,
// y 48-88 of the 320x240 frame (measured by eye on the frame), and empty
// asphalt with lane markings below it. Needs ../shared (model and clip);
// without it the tests say SKIPPED and check nothing.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "edge/vehicle_dnn.hpp"
#include "tests/support/test_env.hpp"

using namespace gridwatch;

namespace {

const cv::Rect kSuv(147, 48, 43, 40);
const cv::Rect kEmptyRoad(40, 120, 200, 120);  // lanes and markings, no vehicle

std::optional<edge::vision::DnnSettings> yolo_fastest() {
  const auto models = test::shared_models_dir();
  if (!models) return std::nullopt;
  edge::vision::DnnSettings settings;
  const auto dir = *models + "/yolo-fastest-1.1";
  settings.model = dir + "/yolo-fastest-1.1.weights";
  settings.config = dir + "/yolo-fastest-1.1.cfg";
  settings.names = dir + "/coco.names";
  return settings;
}

cv::Mat overpass_frame_100() {
  const auto data = test::shared_data_dir();
  if (!data) return {};
  cv::VideoCapture capture(*data + "/traffic_negatives/overpass_road.avi", cv::CAP_FFMPEG);
  cv::Mat frame;
  for (int i = 0; i <= 100; ++i) capture.read(frame);
  return frame;
}

double overlap(const std::array<double, 4>& box, const cv::Size& image, const cv::Rect& truth) {
  const cv::Rect2d found(box[0] * image.width, box[1] * image.height, box[2] * image.width, box[3] * image.height);
  const cv::Rect2d expected(truth);
  const double common = (found & expected).area();
  return common / (found.area() + expected.area() - common);
}

std::array<double, 4> normalised(const cv::Rect& box, const cv::Size& image) {
  return {static_cast<double>(box.x) / image.width, static_cast<double>(box.y) / image.height,
          static_cast<double>(box.width) / image.width, static_cast<double>(box.height) / image.height};
}

constexpr const char* kSkipped =
    "SKIPPED: ../shared/models/yolo-fastest-1.1 or ../shared/data/traffic_negatives/overpass_road.avi is absent";

}  // namespace

TEST_CASE("yolo-fastest finds the SUV on a real frame and no vehicle on the empty road", "[dnn]") {
  const auto settings = yolo_fastest();
  const auto frame = overpass_frame_100();
  if (!settings || frame.empty()) {
    WARN(kSkipped);
    return;
  }
  REQUIRE(frame.size() == cv::Size(320, 240));
  const edge::VehicleDetector detector(*settings);

  const auto whole = detector.detect(frame);
  INFO("vehicles on the whole frame: " << whole.size());
  REQUIRE_FALSE(whole.empty());
  const auto suv = std::max_element(whole.begin(), whole.end(), [&](const auto& a, const auto& b) {
    return overlap(a.box, frame.size(), kSuv) < overlap(b.box, frame.size(), kSuv);
  });
  CHECK(suv->label == "car");
  CHECK(suv->score >= settings->confidence);
  CHECK(overlap(suv->box, frame.size(), kSuv) >= 0.6);

  CHECK(detector.detect(frame(kEmptyRoad)).empty());
}

TEST_CASE("dnn confirmation says yes for the SUV's box and no for a box on empty road", "[dnn]") {
  const auto settings = yolo_fastest();
  const auto frame = overpass_frame_100();
  if (!settings || frame.empty()) {
    WARN(kSkipped);
    return;
  }
  const auto check = edge::make_vehicle_check(*settings);
  const auto suv = check(frame, normalised(kSuv, frame.size()));
  REQUIRE(suv.has_value());
  CHECK(*suv >= settings->confidence);
  CHECK_FALSE(check(frame, normalised(cv::Rect(90, 150, 40, 30), frame.size())).has_value());
}

TEST_CASE("a dnn model that is missing or names none of the classes is refused with the file named", "[dnn]") {
  const auto settings = yolo_fastest();
  if (!settings) {
    WARN("SKIPPED: ../shared/models/yolo-fastest-1.1 is absent");
    return;
  }
  auto missing = *settings;
  missing.model = settings->model + ".gone";
  CHECK_THROWS_WITH(edge::VehicleDetector(missing), Catch::Contains(missing.model) && Catch::Contains("not found"));
  auto no_vehicle = *settings;
  no_vehicle.classes = {"automobile"};
  CHECK_THROWS_WITH(edge::VehicleDetector(no_vehicle),
                    Catch::Contains("coco.names names none of the configured classes (automobile)"));
}

namespace {

/// tests/fixtures/dnn/brightness-yolo.onnx: a tiny model in the YOLOv5
/// export layout (see make_brightness_yolo_onnx.py next to it). Boxes are
/// in input pixels; every row's objectness is the crop's mean brightness;
/// row 0 is a car filling the middle of the input (class score 0.8).
edge::vision::DnnSettings brightness_yolo() {
  const std::string dir = std::string(GRIDWATCH_SOURCE_DIR) + "/tests/fixtures/dnn/";
  edge::vision::DnnSettings settings;
  settings.model = dir + "brightness-yolo.onnx";
  settings.names = dir + "brightness-yolo.names";
  return settings;
}

}  // namespace

TEST_CASE("an ONNX model in the YOLOv5 layout: boxes in input pixels, score = objectness x class", "[dnn][onnx]") {
  const edge::VehicleDetector detector(brightness_yolo());
  const cv::Mat white(200, 300, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto found = detector.detect(white);
  // The car row only: the person is not a vehicle class, and the small car
  // (0.1 x brightness 1) is under the confidence.
  REQUIRE(found.size() == 1);
  CHECK(found[0].label == "car");
  CHECK(found[0].score == Approx(0.8).margin(0.01));
  // Box in the crop's normalised coordinates: centre 160 of 320, 120 x 80 px.
  CHECK(found[0].box[0] == Approx((160.0 - 60) / 320).margin(1e-3));
  CHECK(found[0].box[1] == Approx((160.0 - 40) / 320).margin(1e-3));
  CHECK(found[0].box[2] == Approx(120.0 / 320).margin(1e-3));
  CHECK(found[0].box[3] == Approx(80.0 / 320).margin(1e-3));

  // Half as bright: objectness 0.5, score 0.4. Black: nothing.
  CHECK(detector.detect(cv::Mat(200, 300, CV_8UC3, cv::Scalar(128, 128, 128)))[0].score == Approx(0.4).margin(0.01));
  CHECK(detector.detect(cv::Mat(200, 300, CV_8UC3, cv::Scalar(0, 0, 0))).empty());

  // The pipeline's check: a vehicle box in a bright frame is confirmed
  // (the crop is centred on it, so is the model's car); in a dark one not.
  cv::Mat frame(360, 640, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Rect bright(200, 100, 240, 200);
  frame(bright).setTo(cv::Scalar(255, 255, 255));
  const std::array<double, 4> box{280.0 / 640, 170.0 / 360, 80.0 / 640, 60.0 / 360};
  const auto confirmed = detector.confirm(frame, box);
  REQUIRE(confirmed.has_value());
  CHECK(*confirmed > 0.25);
  CHECK_FALSE(detector.confirm(cv::Mat(360, 640, CV_8UC3, cv::Scalar(0, 0, 0)), box).has_value());

  // Persons only: the car row is ignored, and the person does not cover
  // the vehicle's centre.
  auto persons = brightness_yolo();
  persons.classes = {"person"};
  const edge::VehicleDetector person_detector(persons);
  const auto people = person_detector.detect(white);
  REQUIRE(people.size() == 1);
  CHECK(people[0].label == "person");
  CHECK_FALSE(person_detector.confirm(frame, box).has_value());

  // A class the names file lacks is refused when the model is loaded.
  auto buses = brightness_yolo();
  buses.classes = {"bus"};
  CHECK_THROWS_WITH(edge::VehicleDetector(buses), Catch::Contains("names none of the configured classes"));
}
