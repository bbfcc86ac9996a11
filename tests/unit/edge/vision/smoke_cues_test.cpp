// The smoke detector's block cues on synthetic images: the shift search and
// the rigid-motion test on their own (a solid object sliding is not smoke;
// content changing in place, as smoke mixes, may be), the one-step change
// test, and the detector marking a sliding textured slab and a convoy of
// flat grey slabs solid so that none of them is voted smoke; and the block
// backgrounds keeping their brightness when the light gain is rebased; and
// a block showing the textured scene through thin smoke but not through a
// vehicle; and the points of light that tell a lamp's core; and the road
// lit by the beams of vehicles driving away, found from their rear lights.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "edge/vision/frame_features.hpp"
#include "edge/vision/smoke_cues.hpp"
#include "edge/vision/smoke_detector.hpp"

using namespace gridwatch::edge::vision;

namespace {

/// A textured CV_32F image (uniform noise 0..255, fixed seed).
cv::Mat texture(int seed) {
  cv::Mat image(60, 80, CV_32F);
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  rng.fill(image, cv::RNG::UNIFORM, 0, 255);
  return image;
}

/// `image` moved by (dx, dy): the pixel at (x, y) lands at (x + dx, y + dy).
cv::Mat moved(const cv::Mat& image, int dx, int dy) {
  cv::Mat out;
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::warpAffine(image, out, shift, image.size(), cv::INTER_NEAREST, cv::BORDER_REFLECT);
  return out;
}

const cv::Rect kBlock(32, 24, 8, 8);

}  // namespace

TEST_CASE("block means are the area means OpenCV's resize gives, the pixels past the last block left out",
          "[vision][smoke]") {
  const cv::Mat image = texture(11);  // 80 x 60
  for (const int block : {1, 3, 4, 7, 8}) {
    CAPTURE(block);
    const cv::Size grid(image.cols / block, image.rows / block);
    const cv::Mat means = block_means(image, block, grid);
    REQUIRE(means.type() == CV_32F);
    REQUIRE(means.size() == grid);
    cv::Mat expected;
    cv::resize(image(cv::Rect(0, 0, grid.width * block, grid.height * block)), expected, grid, 0, 0, cv::INTER_AREA);
    // Summed in another order: equal to a float rounding.
    CHECK(cv::norm(means, expected, cv::NORM_INF) < 1e-3);
    // One block checked by hand: the last, which ends before the edge when
    // the block does not divide the picture.
    const cv::Rect last((grid.width - 1) * block, (grid.height - 1) * block, block, block);
    CHECK(means.at<float>(grid.height - 1, grid.width - 1) == Approx(cv::mean(image(last))[0]).epsilon(1e-5));
  }
  // A smaller grid than fits reads only its own blocks.
  const cv::Mat corner = block_means(image, 10, cv::Size(2, 1));
  CHECK(corner.at<float>(0, 1) == Approx(cv::mean(image(cv::Rect(10, 0, 10, 10)))[0]).epsilon(1e-5));
}

TEST_CASE("the shift search finds how a block's content moved", "[vision][smoke]") {
  const cv::Mat before = texture(1);
  for (const auto& [dx, dy] : {std::pair{3, 0}, std::pair{-2, 1}, std::pair{0, -4}, std::pair{5, 5}}) {
    const auto shift = best_block_shift(moved(before, dx, dy), before, kBlock, 6);
    INFO("dx " << dx << " dy " << dy);
    CHECK(shift.dx == dx);
    CHECK(shift.dy == dy);
    CHECK(shift.shifted == Approx(0).margin(1e-6));
    CHECK(shift.unshifted > 20);
  }
}

TEST_CASE("the shift search can stop at the first shift that explains enough", "[vision][smoke]") {
  const cv::Mat before = texture(5);
  const cv::Mat now = moved(before, 4, -3);
  const auto best = best_block_shift(now, before, kBlock, 6);
  const auto first = best_block_shift(now, before, kBlock, 6, 0.5);
  CHECK(first.unshifted == Approx(best.unshifted));
  CHECK(first.shifted <= 0.5 * first.unshifted);
  CHECK(sliding_rigidly(first, 2.0, 0.5) == sliding_rigidly(best, 2.0, 0.5));
  // Nothing explains a block of fresh texture: the search runs to the end
  // and reports the best it saw.
  cv::Mat fresh = before.clone();
  texture(6)(kBlock).copyTo(fresh(kBlock));
  const auto none = best_block_shift(fresh, before, kBlock, 6, 0.5);
  CHECK(none.shifted > 0.5 * none.unshifted);
  CHECK(none.shifted == Approx(best_block_shift(fresh, before, kBlock, 6).shifted));
}

TEST_CASE("the shift search gives what trying every shift in full gives, bit for bit", "[vision][smoke]") {
  // The search stops adding a shift's differences once they cannot beat the
  // best so far. Against a search that adds every difference of every
  // shift, smallest ring first, the first of equals winning: the same
  // shift and the same figures, near the picture's edge too.
  auto every_shift = [](const cv::Mat& now, const cv::Mat& before, const cv::Rect& block, int reach) {
    auto mean_difference = [&](int dx, int dy) {
      double sum = 0;
      for (int y = 0; y < block.height; ++y) {
        for (int x = 0; x < block.width; ++x) {
          sum += std::abs(now.at<float>(block.y + y, block.x + x) - before.at<float>(block.y + y - dy, block.x + x - dx));
        }
      }
      return sum / block.area();
    };
    BlockShift out;
    out.unshifted = mean_difference(0, 0);
    out.shifted = out.unshifted;
    bool found = false;
    const cv::Rect picture(0, 0, before.cols, before.rows);
    for (int ring = 1; ring <= reach; ++ring) {
      for (int dy = -ring; dy <= ring; ++dy) {
        for (int dx = -ring; dx <= ring; ++dx) {
          if (std::max(std::abs(dx), std::abs(dy)) != ring) continue;
          const cv::Rect source = block - cv::Point(dx, dy);
          if ((source & picture) != source) continue;
          const double difference = mean_difference(dx, dy);
          if (!found || difference < out.shifted) {
            out = {dx, dy, out.unshifted, difference};
            found = true;
          }
        }
      }
    }
    return out;
  };
  struct Case {
    const char* name;
    cv::Mat now;
    cv::Mat before;
  };
  const cv::Mat textured = texture(11);
  cv::Mat smooth;
  cv::GaussianBlur(textured, smooth, cv::Size(0, 0), 1.5);  // many shifts come close
  const cv::Mat dimmed = moved(smooth, 1, 1) * 0.9 + 5;
  const std::vector<Case> cases{{"moved texture", moved(textured, 2, -1), textured},
                                {"fresh texture", texture(12), textured},
                                {"smooth, moved and dimmed", dimmed, smooth}};
  for (const auto& scene : cases) {
    for (const auto& block : {kBlock, cv::Rect(0, 0, 8, 8), cv::Rect(72, 52, 8, 8), cv::Rect(3, 40, 8, 8)}) {
      const auto got = best_block_shift(scene.now, scene.before, block, 6);
      const auto want = every_shift(scene.now, scene.before, block, 6);
      INFO(scene.name << " at " << block);
      CHECK(got.dx == want.dx);
      CHECK(got.dy == want.dy);
      CHECK(got.unshifted == want.unshifted);
      CHECK(got.shifted == want.shifted);
    }
  }
}

TEST_CASE("the shift search stays inside the earlier frame", "[vision][smoke]") {
  const cv::Mat before = texture(2);
  const auto shift = best_block_shift(moved(before, -3, 0), before, cv::Rect(0, 0, 8, 8), 4);
  CHECK(shift.dx <= 0);  // shifts reading left of column 0 are skipped
  CHECK(shift.unshifted > 0);
}

TEST_CASE("a block sliding any way is rigid, mixing content is not", "[vision][smoke]") {
  const cv::Mat before = texture(3);
  SECTION("sideways: a vehicle's outline") {
    CHECK(sliding_rigidly(best_block_shift(moved(before, 4, 0), before, kBlock, 6), 2.0, 0.5));
  }
  SECTION("downwards: a vehicle coming closer") {
    CHECK(sliding_rigidly(best_block_shift(moved(before, 1, 3), before, kBlock, 6), 2.0, 0.5));
  }
  SECTION("upwards: a vehicle driving away") {
    CHECK(sliding_rigidly(best_block_shift(moved(before, 1, -2), before, kBlock, 6), 2.0, 0.5));
  }
  SECTION("new texture in place: smoke mixing, no shift explains it") {
    cv::Mat now = before.clone();
    cv::Mat mixed = 0.5 * before + 0.5 * texture(4);
    mixed(kBlock).copyTo(now(kBlock));
    CHECK_FALSE(sliding_rigidly(best_block_shift(now, before, kBlock, 6), 2.0, 0.5));
  }
  SECTION("no change at all: nothing to explain") {
    CHECK_FALSE(sliding_rigidly(best_block_shift(before, before, kBlock, 6), 2.0, 0.5));
  }
}

namespace {

/// A CV_8U image of uniform noise from `low` to `high`.
cv::Mat uniform_noise(cv::Size size, cv::RNG& rng, int low, int high) {
  cv::Mat image(size, CV_8U);
  rng.fill(image, cv::RNG::UNIFORM, low, high);
  return image;
}

/// What the detector made of a scene: whether a block that changed was
/// marked solid (not kNotRigid) after 13 s, and the highest vote seen.
struct SolidSeen {
  bool seen_solid = false;
  float highest_vote = 0;
};

/// Runs the detector on its own (pure) over `frames` grey frames of
/// `size` at 5 fps (8 px blocks), the motion cue reading the frame 1 s
/// earlier; no frame may raise an event.
SolidSeen run_detector(cv::Size size, int frames, const std::function<cv::Mat(int index)>& frame_at) {
  SmokeSettings settings;
  settings.blocks_across = 20;  // 8 px blocks
  SmokeDetector detector(size, cv::Mat(size, CV_8U, cv::Scalar(255)), settings);
  std::vector<std::pair<double, Appearance>> history;
  SolidSeen seen;
  for (int i = 0; i < frames; ++i) {
    const double t_s = i / 5.0;
    const cv::Mat grey = frame_at(i);
    const auto features = compute_features(grey);
    const Appearance* earlier = history.size() >= 5 ? &history[history.size() - 5].second : nullptr;
    const double earlier_t_s = history.size() >= 5 ? history[history.size() - 5].first : t_s;
    cv::Mat picture;
    cv::cvtColor(grey, picture, cv::COLOR_GRAY2BGR);
    CHECK(detector.update(features, picture, 1.0, earlier, earlier_t_s, t_s).empty());
    history.emplace_back(t_s, Appearance{features.norm, features.grey});
    if (t_s < 13) continue;
    const cv::Mat& cues = detector.cues();
    for (int y = 0; y < cues.rows; ++y) {
      for (int x = 0; x < cues.cols; ++x) {
        const auto cue = cues.at<std::uint8_t>(y, x);
        const bool changed = (cue & SmokeDetector::kMoving) != 0 && (cue & SmokeDetector::kPresent) != 0;
        if (changed && (cue & SmokeDetector::kNotRigid) == 0) seen.seen_solid = true;
      }
    }
    double max_vote = 0;
    cv::minMaxLoc(detector.votes(), nullptr, &max_vote);
    seen.highest_vote = std::max(seen.highest_vote, static_cast<float>(max_vote));
  }
  return seen;
}

}  // namespace

TEST_CASE("the detector marks the blocks of a textured object sliding by as rigid, and votes none of them smoke",
          "[vision][smoke]") {
  // A textured grey background, then a textured grey slab sliding right at
  // 3 px per analysis frame. Its blocks move and differ from the background
  // like smoke, but a shift explains their change.
  const cv::Size size(160, 96);
  cv::RNG rng(11);
  const cv::Mat background = uniform_noise(size, rng, 60, 200);
  const cv::Mat slab = uniform_noise(cv::Size(48, 40), rng, 90, 170);
  const auto seen = run_detector(size, 90, [&](int i) {
    cv::Mat grey = background.clone();
    if (i >= 60) {
      const int x = 4 + 3 * (i - 60);
      if (x + slab.cols <= size.width) slab.copyTo(grey(cv::Rect(x, 30, slab.cols, slab.rows)));
    }
    return grey;
  });
  CHECK(seen.seen_solid);
  CHECK(seen.highest_vote < 0.5F);
}

TEST_CASE("a change that came in one step is a solid object's, one that came bit by bit may be smoke", "[vision][smoke]") {
  // Mean absolute change of a block since the previous analysis frame
  // (step) and since the frame about a second ago (second).
  SECTION("a flat face arrived within the second and stands: the last step holds almost none of it") {
    CHECK(changed_in_one_step(0.5, 30.0, 0.04, 0.9));
  }
  SECTION("the whole second's change in the last step") {
    CHECK(changed_in_one_step(28.0, 30.0, 0.04, 0.9));
    CHECK(changed_in_one_step(45.0, 30.0, 0.04, 0.9));  // passed and gone: the step exceeds the second's change
  }
  SECTION("smoke thickening a little in every frame") {
    CHECK_FALSE(changed_in_one_step(3.0, 12.0, 0.04, 0.9));
    CHECK_FALSE(changed_in_one_step(1.5, 12.0, 0.04, 0.9));
  }
  SECTION("no change over the second: nothing to judge") {
    CHECK_FALSE(changed_in_one_step(0.0, 0.0, 0.04, 0.9));
  }
}

TEST_CASE("the detector marks the blocks of a convoy of flat grey trucks passing fast as solid, and votes none of them smoke",
          "[vision][smoke]") {
  // Flat grey slabs (a truck's plain side) 40 px long with 30 px gaps pass
  // at 10 px per analysis frame, beyond the shift search's reach, and a
  // flat face gives it nothing to match anyway. Each block keeps changing
  // against the frame a second ago, like smoke; but each change comes in
  // one step (an edge passing) and the face then stands.
  const cv::Size size(160, 96);
  cv::RNG rng(12);
  const cv::Mat background = uniform_noise(size, rng, 140, 200);
  const auto seen = run_detector(size, 120, [&](int i) {
    cv::Mat grey = background.clone();
    if (i >= 60) {
      for (int truck = 0; truck < 10; ++truck) {
        const cv::Rect side = cv::Rect(-40 + 10 * (i - 60) - 70 * truck, 30, 40, 40) & cv::Rect(cv::Point(0, 0), size);
        if (side.area() > 0) grey(side).setTo(100);
      }
    }
    cv::RNG sensor(static_cast<std::uint64_t>(100 + i));
    grey += uniform_noise(size, sensor, 0, 3);  // sensor noise, so a standing face is not exactly still
    return grey;
  });
  CHECK(seen.seen_solid);
  CHECK(seen.highest_vote < 0.5F);
}

TEST_CASE("after the light gain is rebased the block backgrounds expect the same brightness", "[vision][smoke]") {
  // At dusk the picture is half as bright as the map's background (gain
  // 0.5). After a brief disturbance the map relearns its background from
  // the dusk picture, and the gain reads 1 again: without the rebase every
  // block would look half as bright as smoke expects, and present.
  const cv::Size size(160, 96);
  cv::RNG rng(13);
  cv::Mat dusk = uniform_noise(size, rng, 40, 100);
  SmokeSettings settings;
  settings.blocks_across = 20;
  SmokeDetector detector(size, cv::Mat(size, CV_8U, cv::Scalar(255)), settings);
  const auto features = compute_features(dusk);
  cv::Mat picture;
  cv::cvtColor(dusk, picture, cv::COLOR_GRAY2BGR);
  for (int i = 0; i < 75; ++i) detector.update(features, picture, 0.5, nullptr, 0, i / 5.0);
  detector.rebase_gain(0.5);
  detector.update(features, picture, 1.0, nullptr, 0, 15.0);
  CHECK(cv::countNonZero(detector.cues() & SmokeDetector::kPresent) == 0);
}

TEST_CASE("a frame that changes no block beyond re-encoding noise repeats the previous one", "[vision][smoke]") {
  // Each block's mean absolute grey change between two frames.
  cv::Mat change(6, 8, CV_32F, cv::Scalar(0.5F));
  SECTION("re-encoding noise everywhere: a repeat") { CHECK(repeats_previous(change, 2.0)); }
  SECTION("a block at 1.9: still a repeat") {
    change.at<float>(2, 2) = 1.9F;
    CHECK(repeats_previous(change, 2.0));
  }
  SECTION("one block changed by 3: a new frame") {
    change.at<float>(2, 2) = 3.0F;
    CHECK_FALSE(repeats_previous(change, 2.0));
  }
  SECTION("sensor noise of a live view changing every block by 3: a new frame") {
    change.setTo(3.0F);
    CHECK_FALSE(repeats_previous(change, 2.0));
  }
}

namespace {

/// Smoke mixing in place: from picture `start` on, a soft grey patch
/// thickens over a textured background and its texture mixes a little
/// with every picture.
struct MixingSmoke {
  MixingSmoke(cv::Size size, cv::Rect where, int start_picture, std::uint64_t seed,
              std::pair<int, int> background_range = {60, 200}, std::pair<int, int> smoke_range = {120, 180})
      : patch(where), start(start_picture) {
    cv::RNG rng(seed);
    background = uniform_noise(size, rng, background_range.first, background_range.second);
    first = uniform_noise(patch.size(), rng, smoke_range.first, smoke_range.second);
    second = uniform_noise(patch.size(), rng, smoke_range.first, smoke_range.second);
    cv::GaussianBlur(first, first, cv::Size(5, 5), 0);
    cv::GaussianBlur(second, second, cv::Size(5, 5), 0);
  }
  cv::Mat grey(int picture) const {
    cv::Mat out = background.clone();
    if (picture >= start) {
      const int k = picture - start;
      const double opacity = std::min(0.7, 0.05 * (k + 1));
      const double weight = 0.5 + 0.5 * std::sin(0.7 * k);
      cv::Mat mixed;
      cv::addWeighted(first, 1 - weight, second, weight, 0, mixed);
      cv::Mat region = out(patch);
      cv::addWeighted(region, 1 - opacity, mixed, opacity, 0, region);
    }
    return out;
  }
  cv::Rect patch;
  int start;
  cv::Mat background;
  cv::Mat first;
  cv::Mat second;
};

/// Feeds `frames` BGR pictures at 5 fps to `detector`, the motion cue
/// reading the frame 1 s earlier as the detector saw it (as the camera
/// analyser does); returns the highest vote seen.
float feed(SmokeDetector& detector, int frames, const std::function<cv::Mat(int index)>& picture_at) {
  std::vector<std::pair<double, Appearance>> history;
  float highest_vote = 0;
  for (int i = 0; i < frames; ++i) {
    const double t_s = i / 5.0;
    const cv::Mat picture = picture_at(i);
    cv::Mat grey;
    cv::cvtColor(picture, grey, cv::COLOR_BGR2GRAY);
    const auto features = compute_features(grey);
    const Appearance* earlier = history.size() >= 5 ? &history[history.size() - 5].second : nullptr;
    const double earlier_t_s = history.size() >= 5 ? history[history.size() - 5].first : t_s;
    detector.update(features, picture, 1.0, earlier, earlier_t_s, t_s);
    history.emplace_back(t_s, Appearance{features.norm, detector.grey_seen()});
    double max_vote = 0;
    cv::minMaxLoc(detector.votes(), nullptr, &max_vote);
    highest_vote = std::max(highest_vote, static_cast<float>(max_vote));
  }
  return highest_vote;
}

/// A detector with 8 px blocks for a view of `size`, every pixel analysed.
SmokeDetector detector_with_8px_blocks(cv::Size size) {
  SmokeSettings settings;
  settings.blocks_across = size.width / 8;
  return SmokeDetector(size, cv::Mat(size, CV_8U, cv::Scalar(255)), settings);
}

/// The grey CV_8U `grey` as a BGR picture.
cv::Mat as_picture(const cv::Mat& grey) {
  cv::Mat picture;
  cv::cvtColor(grey, picture, cv::COLOR_GRAY2BGR);
  return picture;
}

}  // namespace

TEST_CASE("smoke mixing in place is voted smoke-like also when every other frame repeats the previous one",
          "[vision][smoke]") {
  // A time-lapse padded to the analysis rate (the HPWREN clip is 3 fps
  // padded to 6): each new picture is shown twice. From 12 s a soft grey
  // patch thickens over a textured background and its texture mixes, a
  // little with every new picture. In a repeated picture nothing changed;
  // had the one-step test judged it, every moving block would have looked
  // like a solid object standing still every other frame, and no block
  // would have been voted smoke-like within 8 s (the vote reached 0.37).
  const cv::Size size(160, 96);
  const MixingSmoke smoke(size, cv::Rect(40, 24, 48, 40), 30, 14);
  SmokeDetector detector = detector_with_8px_blocks(size);
  // To 20 s (8 s of smoke), each picture shown twice.
  const float highest_vote = feed(detector, 100, [&](int i) { return as_picture(smoke.grey(i / 2)); });
  CHECK(highest_vote >= 0.5F);
}

TEST_CASE("thin vivid strokes are burned-in graphics, thick coloured areas and grey texture are not", "[vision][smoke]") {
  // Per-pixel colour spread (max - min of B, G, R): grey texture up to 30.
  cv::RNG rng(15);
  cv::Mat chroma = uniform_noise(cv::Size(80, 60), rng, 0, 30);
  cv::Mat(60, 2, CV_8U, cv::Scalar(200)).copyTo(chroma(cv::Rect(20, 0, 2, 60)));   // a box's 2 px side
  cv::Mat(1, 30, CV_8U, cv::Scalar(150)).copyTo(chroma(cv::Rect(30, 10, 30, 1)));  // a 1 px line
  cv::Mat(12, 12, CV_8U, cv::Scalar(200)).copyTo(chroma(cv::Rect(50, 30, 12, 12)));  // a red car
  cv::Mat(20, 3, CV_8U, cv::Scalar(200)).copyTo(chroma(cv::Rect(5, 30, 3, 20)));     // a 3 px post: too thick
  const cv::Mat strokes = burned_in_strokes(chroma, 100, 2, 2);
  auto marked = [&](int x, int y) { return strokes.at<std::uint8_t>(y, x) != 0; };
  SECTION("the strokes, and two pixels either side of them") {
    CHECK(marked(20, 40));
    CHECK(marked(21, 40));
    CHECK(marked(18, 40));
    CHECK(marked(23, 40));
    CHECK_FALSE(marked(17, 40));
    CHECK_FALSE(marked(24, 40));
    CHECK(marked(45, 10));
    CHECK(marked(45, 12));
    CHECK_FALSE(marked(45, 13));
  }
  SECTION("not the thick coloured area, the thicker post or the grey texture") {
    CHECK(cv::countNonZero(strokes(cv::Rect(48, 28, 16, 16))) == 0);
    CHECK(cv::countNonZero(strokes(cv::Rect(3, 28, 7, 24))) == 0);
    CHECK(cv::countNonZero(strokes(cv::Rect(66, 20, 14, 40))) == 0);
  }
  SECTION("nothing vivid: nothing marked") {
    CHECK(cv::countNonZero(burned_in_strokes(uniform_noise(cv::Size(80, 60), rng, 0, 30), 100, 2, 2)) == 0);
  }
}

TEST_CASE("smoke behind another detector's box, redrawn at a new place every frame, is still voted smoke-like",
          "[vision][smoke]") {
  // A video with another system's detections burned in: a green box 2 px
  // wide around the smoke, redrawn every frame a few pixels off. From 12 s
  // a soft grey patch thickens and mixes over a textured background. A
  // line crossing a block changes it at once, colours it and sharpens it:
  // unless the strokes are held at what they covered, the blocks the box's
  // sides cross are never candidates and their votes stay at 0.
  const cv::Size size(160, 96);
  const MixingSmoke smoke(size, cv::Rect(40, 24, 56, 48), 60, 16);
  SmokeDetector detector = detector_with_8px_blocks(size);
  // The box's left side sweeps x 50-65 and its top y 38-53: block column 7
  // (x 56-63) and block row 5 (y 40-47) are crossed in most frames.
  const int shift_px[] = {0, 6, 12, 3, 9, 14, 1, 7};
  feed(detector, 100, [&](int i) {  // to 20 s: 8 s of smoke
    cv::Mat picture = as_picture(smoke.grey(i));
    if (i >= 62) {
      const int d = shift_px[i % 8];
      cv::rectangle(picture, cv::Rect(50 + d, 38 + d, 40, 30), cv::Scalar(40, 230, 90), 1);  // 2 px sides
      cv::rectangle(picture, cv::Rect(51 + d, 39 + d, 38, 28), cv::Scalar(40, 230, 90), 1);
    }
    return picture;
  });
  // Block (7, 5) lies under both the sweeping left side and the top.
  CHECK(detector.votes().at<float>(5, 7) >= 0.5F);
  CHECK(detector.votes().at<float>(4, 7) >= 0.5F);
  CHECK(detector.votes().at<float>(5, 8) >= 0.5F);
}

TEST_CASE("a thin vivid line that is always there is part of the scene: a truck crossing it leaves no ghost",
          "[vision][smoke]") {
  // A yellow kerb line 2 px wide across a textured street; at 12-14 s a
  // flat grey truck side stands over it, then it is gone. Were the line
  // held like a burned-in stroke, its pixels would keep the truck's grey
  // once the truck left, and the blocks along it would differ from their
  // background for good.
  const cv::Size size(160, 96);
  cv::RNG rng(17);
  const cv::Mat street = uniform_noise(size, rng, 140, 200);
  SmokeDetector detector = detector_with_8px_blocks(size);
  feed(detector, 100, [&](int i) {  // to 20 s
    cv::Mat picture = as_picture(street);
    picture(cv::Rect(0, 44, size.width, 2)).setTo(cv::Scalar(0, 200, 230));
    if (i >= 60 && i < 70) picture(cv::Rect(40, 30, 40, 30)).setTo(cv::Scalar(100, 100, 100));
    return picture;
  });
  // The blocks along the line where the truck stood (row 5, columns 5-9).
  const cv::Mat along = detector.cues()(cv::Rect(5, 5, 5, 1)) & SmokeDetector::kPresent;
  CHECK(cv::countNonZero(along) == 0);
}

TEST_CASE("white smoke over a sunlit background is not a light source's glare", "[vision][smoke]") {
  // Daylight: a bright textured background (grey 200-255, about 40% of it
  // near-white) and from 12 s a white plume (235-255) thickening and
  // mixing over it. The plume adds near-white pixels to its blocks like a
  // headlight's core would at night; in a bright block that is no sign of
  // a lamp, and had the glare cue judged it no block would have been
  // voted smoke-like.
  const cv::Size size(160, 96);
  const MixingSmoke smoke(size, cv::Rect(40, 24, 48, 40), 60, 18, {200, 255}, {235, 255});
  SmokeDetector detector = detector_with_8px_blocks(size);
  const float highest_vote = feed(detector, 100, [&](int i) { return as_picture(smoke.grey(i)); });  // to 20 s
  CHECK(highest_vote >= 0.5F);
}

TEST_CASE("a block of textured scene shows through thin smoke and is hidden by a vehicle's face", "[vision][smoke]") {
  constexpr double kTexture = 8.0;
  constexpr double kFollowed = 0.8;
  const cv::Mat scene = texture(11)(cv::Rect(0, 0, 8, 8)).clone() * 0.3 + 60;  // spread about 22 grey levels
  // Thin white smoke (40 % opaque) whitens the block and flattens its
  // contrast, but the same pixels stay light and dark.
  const cv::Mat thin_smoke = scene * 0.6 + 0.4 * 220.0;
  CHECK(scene_behind_block(scene, thin_smoke, kTexture, kFollowed) == SceneBehind::follows);
  // Dark smoke dims it the same way.
  const cv::Mat dark_smoke = scene * 0.5 + 0.5 * 30.0;
  CHECK(scene_behind_block(scene, dark_smoke, kTexture, kFollowed) == SceneBehind::follows);
  // A grey truck's side: its own shading and panel lines, not the scene's.
  cv::Mat truck(8, 8, CV_32F);
  for (int y = 0; y < 8; ++y) truck.row(y).setTo(120.0 + 3.0 * y + (y == 4 ? 25.0 : 0.0));
  CHECK(scene_behind_block(scene, truck, kTexture, kFollowed) == SceneBehind::hidden);
  // A flat grey face shows nothing at all.
  CHECK(scene_behind_block(scene, cv::Mat(8, 8, CV_32F, cv::Scalar(128)), kTexture, kFollowed) == SceneBehind::hidden);
  // Another textured picture (a vehicle with its own detail) is not the scene either.
  CHECK(scene_behind_block(scene, texture(12)(cv::Rect(0, 0, 8, 8)).clone(), kTexture, kFollowed) == SceneBehind::hidden);
  // Over a flat road or the sky there is nothing to judge by.
  const cv::Mat sky(8, 8, CV_32F, cv::Scalar(230));
  CHECK(scene_behind_block(sky, thin_smoke, kTexture, kFollowed) == SceneBehind::no_texture);
}

TEST_CASE("a grey veil changes a block's colour no warmer than it can, brown dust and warm light do", "[vision][smoke]") {
  constexpr double kWarm = 0.35;  // the detector's limit
  const auto veil = [](const cv::Vec3f& background, double opacity, double grey) {
    cv::Vec3f out;
    for (int c = 0; c < 3; ++c) out[c] = static_cast<float>((1 - opacity) * background[c] + opacity * grey);
    return out;
  };
  const cv::Vec3f road(71, 75, 74);       // B, G, R: nearly neutral asphalt
  const cv::Vec3f brick(60, 80, 140);     // warm
  const cv::Vec3f blue_ridge(190, 175, 160);  // a hazy ridge, cool
  for (const auto& background : {road, brick, blue_ridge}) {
    for (const double grey : {30.0, 120.0, 210.0, 250.0}) {
      for (const double opacity : {0.05, 0.2, 0.5}) {
        INFO("background " << background << ", grey " << grey << ", opacity " << opacity);
        CHECK(warmth_beyond_grey_veil(background, veil(background, opacity, grey)) < kWarm);
      }
    }
  }
  // Smoke a little bluish (fine particles scatter blue), as the library's light plumes.
  CHECK(warmth_beyond_grey_veil(road, road + cv::Vec3f(11, 7, 7)) < 0);
  // Brown dust lifted off the road: measured in the library's dust clouds.
  CHECK(warmth_beyond_grey_veil(road, road + cv::Vec3f(5, 9, 12)) >= kWarm);
  CHECK(warmth_beyond_grey_veil(road, road + cv::Vec3f(6, 12, 18)) >= kWarm);
  // Dust over the warm brick: warmer than a veil that whitens brick can be.
  CHECK(warmth_beyond_grey_veil(brick, brick + cv::Vec3f(5, 9, 12)) >= kWarm);
  // A halogen lamp's light (B, G, R about 150, 175, 185) added to the road.
  CHECK(warmth_beyond_grey_veil(road, road + cv::Vec3f(10, 20, 40)) >= kWarm);        // a sodium lamp's orange
  // No change, no tint.
  CHECK(warmth_beyond_grey_veil(road, road) == 0);
}

namespace {

/// A BGR picture of `size` on a uniform `ground`, its dimmest channel and
/// its grey (CV_32F), as the smoke detector reads them.
struct Picture {
  cv::Mat bgr;
  cv::Mat whitest() const {
    std::vector<cv::Mat> channels;
    cv::split(bgr, channels);
    cv::Mat low;
    cv::min(channels[0], channels[1], low);
    cv::min(low, channels[2], low);
    return low;
  }
  cv::Mat grey() const {
    cv::Mat grey_8u;
    cv::cvtColor(bgr, grey_8u, cv::COLOR_BGR2GRAY);
    cv::Mat grey_32f;
    grey_8u.convertTo(grey_32f, CV_32F);
    return grey_32f;
  }
  /// With the detector's thresholds: 245 in every channel, 80 grey levels
  /// above the mean of the 9x9 window.
  cv::Mat shares() const {
    return point_of_light_shares(whitest(), grey(), cv::Size(10, 7), 8, PointOfLight{245, 80, 4});
  }
};

Picture ground(double level) { return {cv::Mat(60, 80, CV_8UC3, cv::Scalar::all(level))}; }

}  // namespace

TEST_CASE("a lamp's core on a darker ground is a point of light, white areas and vivid strokes are not",
          "[vision][smoke]") {
  SECTION("two headlight cores of 3x2 pixels on a dusk road: 12 of the 64 pixels of their block") {
    Picture dusk = ground(140);
    dusk.bgr(cv::Rect(33, 26, 3, 2)).setTo(cv::Scalar::all(255));
    dusk.bgr(cv::Rect(37, 26, 3, 2)).setTo(cv::Scalar::all(250));
    const cv::Mat shares = dusk.shares();
    CHECK(shares.at<float>(3, 4) == Approx(12.0 / 64));
    CHECK(cv::sum(shares)[0] == Approx(12.0 / 64));
  }
  SECTION("a soft white blob (smoke, a cloud) has no points; a hard-edged one only along its outline") {
    Picture soft = ground(60);
    cv::circle(soft.bgr, {40, 30}, 10, cv::Scalar::all(255), cv::FILLED);
    cv::GaussianBlur(soft.bgr, soft.bgr, cv::Size(0, 0), 4.0);
    CHECK(cv::countNonZero(soft.whitest() >= 245) > 0);
    CHECK(cv::countNonZero(soft.shares()) == 0);
    Picture hard = ground(60);
    hard.bgr(cv::Rect(16, 16, 32, 32)).setTo(cv::Scalar::all(255));
    const cv::Mat shares = hard.shares();
    CHECK(shares.at<float>(3, 3) == 0.0F);  // inside: the neighbourhood is white too
    CHECK(shares.at<float>(2, 2) > 0.0F);   // the corner block of the outline
  }
  SECTION("a pure green burned-in line and sunlit paint under the level are not points") {
    Picture osd = ground(60);
    cv::line(osd.bgr, {10, 20}, {70, 20}, cv::Scalar(0, 255, 0), 1);
    CHECK(cv::countNonZero(osd.shares()) == 0);
    Picture paint = ground(150);
    cv::line(paint.bgr, {10, 40}, {70, 40}, cv::Scalar::all(240), 1);
    CHECK(cv::countNonZero(paint.shares()) == 0);
    cv::line(paint.bgr, {10, 40}, {70, 40}, cv::Scalar::all(250), 1);
    CHECK(cv::countNonZero(paint.shares()) > 0);
  }
  SECTION("a picture with thousands of near-white pixels (one integral image) gives the lamp the same share") {
    Picture lamp = ground(40);
    lamp.bgr(cv::Rect(52, 42, 2, 2)).setTo(cv::Scalar::all(255));
    const float alone = lamp.shares().at<float>(5, 6);
    lamp.bgr(cv::Rect(0, 0, 80, 20)).setTo(cv::Scalar::all(255));  // a white sky: 1,600 pixels
    const cv::Mat with_sky = lamp.shares();
    CHECK(alone == Approx(4.0 / 64));
    CHECK(with_sky.at<float>(5, 6) == alone);
  }
}

namespace {

/// A dusk picture of 160 x 96 px (a grid of 20 x 12 blocks of 8 px) on a
/// uniform grey `level`, and the rear-light beams found in it with the
/// detector's thresholds: red at least 180 and 90 above green and blue,
/// lit (grey 100, or 40 above the 3 px round it); beams 3 pair widths up
/// and 1.5 to either side, partners within 8 lamp widths, a lone blob of
/// up to 2 x 2 px a pair 4 of its widths wide.
struct Street {
  cv::Mat bgr;
  cv::Mat dark = cv::Mat(12, 20, CV_8U, cv::Scalar(255));
  void lamp(cv::Rect at, cv::Scalar colour = cv::Scalar(120, 120, 255)) { bgr(at).setTo(colour); }
  cv::Mat beams() const {
    const RearLight lamp{180, 90, 40, 3, 100};
    std::vector<cv::Mat> channels;
    cv::split(bgr, channels);
    cv::Mat green_or_blue;
    cv::max(channels[0], channels[1], green_or_blue);
    return rear_light_beams(bgr, rear_light_pixels(channels[2], green_or_blue, lamp), dark, 8, lamp,
                            BeamReach{3.0, 1.5, 8.0, 4.0});
  }
};

Street street(double level) { return {cv::Mat(96, 160, CV_8UC3, cv::Scalar::all(level))}; }

}  // namespace

TEST_CASE("a lit pair of rear lights marks the road its beam lights to a reach scaled by the pair's spacing",
          "[vision][smoke]") {
  SECTION("a near pair 15 px apart: 45 px up the view and 22 px to either side of each lamp, none below") {
    Street near = street(50);
    near.lamp({70, 80, 3, 2});  // centres at x 71 and 86, row 80.5
    near.lamp({85, 80, 3, 2});
    const cv::Mat lit = near.beams();
    CHECK(cv::countNonZero(lit) == 8 * 7);  // block columns 6-13, rows 4-10
    CHECK(lit.at<std::uint8_t>(4, 9) == 255);
    CHECK(lit.at<std::uint8_t>(3, 9) == 0);
    CHECK(lit.at<std::uint8_t>(10, 9) == 255);
    CHECK(lit.at<std::uint8_t>(11, 9) == 0);
    CHECK(lit.at<std::uint8_t>(7, 6) == 255);
    CHECK(lit.at<std::uint8_t>(7, 5) == 0);
    CHECK(lit.at<std::uint8_t>(7, 13) == 255);
    CHECK(lit.at<std::uint8_t>(7, 14) == 0);
  }
  SECTION("a far pair 3 px apart lights only the blocks just above it") {
    Street far = street(50);
    far.lamp({100, 40, 1, 1});
    far.lamp({103, 40, 1, 1});
    const cv::Mat lit = far.beams();
    CHECK(cv::countNonZero(lit) == 3 * 3);  // 9 px up and 4.5 px to either side: block columns 11-13, rows 3-5
    CHECK(lit.at<std::uint8_t>(3, 11) == 255);
    CHECK(lit.at<std::uint8_t>(2, 12) == 0);
    CHECK(lit.at<std::uint8_t>(4, 14) == 0);
  }
  SECTION("only dark blocks are lit: on a bright surface a beam changes nothing") {
    Street half_lit = street(50);
    half_lit.lamp({70, 80, 3, 2});
    half_lit.lamp({85, 80, 3, 2});
    half_lit.dark.rowRange(0, 7).setTo(0);
    const cv::Mat lit = half_lit.beams();
    CHECK(cv::countNonZero(lit) == 8 * 4);  // rows 7-10 of the 4-10 above
    CHECK(lit.at<std::uint8_t>(6, 9) == 0);
  }
}

TEST_CASE("rear-light pixels are vivid red, and a red car body or red paint in daylight or a grey picture lights no beam", "[vision][smoke]") {
  SECTION("a red car body at dusk: one big blob, no partner of its size on its row") {
    Street dusk = street(50);
    dusk.lamp({60, 60, 30, 14}, cv::Scalar(40, 40, 230));
    CHECK(cv::countNonZero(dusk.beams()) == 0);
  }
  SECTION("two red patches in daylight: vivid red, but darker than the road round them") {
    Street day = street(130);
    day.lamp({70, 80, 3, 2}, cv::Scalar(25, 25, 200));  // grey 77
    day.lamp({85, 80, 3, 2}, cv::Scalar(25, 25, 200));
    CHECK(cv::countNonZero(day.beams()) == 0);
    // The same pair lit (saturated towards white, grey 160) does light the road.
    day.lamp({70, 80, 3, 2});
    day.lamp({85, 80, 3, 2});
    CHECK(cv::countNonZero(day.beams()) > 0);
  }
  SECTION("a dim red lamp on a dark ground still stands out: 40 grey levels above it") {
    Street night = street(20);
    night.lamp({70, 80, 3, 2}, cv::Scalar(0, 0, 230));  // grey 69
    night.lamp({85, 80, 3, 2}, cv::Scalar(0, 0, 230));
    CHECK(cv::countNonZero(night.beams()) > 0);
  }
  SECTION("a lamp's pixels are vivid red: red at least 180 and 90 above green and blue") {
    const RearLight lamp{180, 90, 40, 3, 100};
    const cv::Mat red = (cv::Mat_<std::uint8_t>(1, 4) << 255, 255, 179, 255);
    const cv::Mat green_or_blue = (cv::Mat_<std::uint8_t>(1, 4) << 165, 166, 0, 255);
    const cv::Mat lamp_pixels = rear_light_pixels(red, green_or_blue, lamp);
    CHECK(lamp_pixels.at<std::uint8_t>(0, 0) == 255);
    CHECK(lamp_pixels.at<std::uint8_t>(0, 1) == 0);  // spread 89
    CHECK(lamp_pixels.at<std::uint8_t>(0, 2) == 0);  // red 179
    CHECK(lamp_pixels.at<std::uint8_t>(0, 3) == 0);  // white: no spread at all
  }
  SECTION("a grey picture has no colour to tell a rear light by") {
    const cv::Mat grey(96, 160, CV_8U, cv::Scalar(50));
    const cv::Mat lamp_pixels(96, 160, CV_8U, cv::Scalar(255));
    const cv::Mat dark(12, 20, CV_8U, cv::Scalar(255));
    CHECK(cv::countNonZero(rear_light_beams(grey, lamp_pixels, dark, 8, RearLight{180, 90, 40, 3, 100},
                                            BeamReach{3, 1.5, 8, 4})) == 0);
  }
}
