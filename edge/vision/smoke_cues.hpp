#pragma once
// Block-level cues of the smoke detector that are worth testing on their
// own (pure functions of a few images).
#include <opencv2/core.hpp>

namespace gridwatch::edge::vision {

/// How the content of one block moved between two frames: the shift
/// (`dx`, `dy`, in pixels; `dy` < 0 is upwards) under which the earlier
/// frame matches the block best, and the mean absolute grey difference
/// with no shift and with that shift.
struct BlockShift {
  int dx = 0;
  int dy = 0;
  double unshifted = 0;
  double shifted = 0;
};

/// Searches the shifts of up to `reach` pixels each way, smallest first
/// (shifts that would read outside `before` are skipped). With `enough` >
/// 0 the search stops at the first shift whose difference is at most
/// `enough` times the unshifted one (the caller only needs to know that
/// one exists); with 0 it finds the best. `now` and `before` are CV_32F of
/// the same size; `block` lies inside them.
BlockShift best_block_shift(const cv::Mat& now, const cv::Mat& before, const cv::Rect& block, int reach,
                            double enough = 0);

/// The mean of each `block` x `block` square of a CV_32F image, as a
/// `grid`-sized CV_32F image; the pixels past the last whole block are
/// left out. What cv::resize with INTER_AREA gives for an exact multiple
/// of the block (to a float rounding: the sums are taken down the columns
/// first, four columns at a time), at a fifth of its cost; the smoke
/// detector takes six of these per frame.
cv::Mat block_means(const cv::Mat& image, int block, cv::Size grid);

/// Whether a block's change is a solid object sliding: the best shift
/// explains most of the change (the shifted difference is at most
/// `explained` of the unshifted one, which is at least `min_change` grey
/// levels). A vehicle's outline or a headlight's glow translates whole,
/// whichever way it drives; smoke's texture changes as it mixes and
/// spreads, so no shift explains it.
bool sliding_rigidly(const BlockShift& shift, double min_change, double explained);

/// Whether a block's change over the last second came in one step: `step`
/// is its change since the previous analysis frame, `second` since the
/// frame about a second ago (mean absolute grey differences). A solid
/// object changes a block at once and then stands, since its face is
/// uniform, so the last step holds almost none of the second's change (at
/// most `still_share`) or nearly all of it (at least `abrupt_share`).
/// Smoke thickens and mixes a little in every frame. A grey truck's flat
/// side gives no texture to the shift search, but it changes this way.
bool changed_in_one_step(double step, double second, double still_share, double abrupt_share);

/// Whether a frame shows nothing new against the previous one: no block
/// changed by `level` grey levels or more on average (`block_change`:
/// CV_32F, each block's mean absolute grey difference between the two
/// frames). A time-lapse, or an encoder padding its frame rate, repeats
/// frames (re-encoded, so not bit-exact); a still scene seen by a clean
/// sensor is unchanged too.
bool repeats_previous(const cv::Mat& block_change, double level);

/// Pixels of thin, strongly coloured strokes, with a margin: CV_8U, 255
/// where a stroke is or lies within `margin_px`, 0 elsewhere. `chroma` is
/// CV_8U, per pixel the spread of its colour channels (max - min of B, G,
/// R). A stroke is at least `min_chroma` and at most `widest_px` thick;
/// coloured areas thicker than that (a yellow bus, a red car) are not
/// strokes. Another system's boxes, lines and labels burned into the video
/// are drawn this way, and they move, resize and blink from frame to frame
/// while the scene behind them does not; smoke is never vividly coloured.
/// The margin covers the pixels a stroke's colour bleeds into when the
/// frame is shrunk and blurred.
cv::Mat burned_in_strokes(const cv::Mat& chroma, double min_chroma, int widest_px, int margin_px);

/// What a block shows of the scene behind it. `behind` is the block's
/// learnt background and `seen` the block now (CV_32F grey, same size, at
/// the same light level). A background with a grey spread (std) below
/// `texture` has nothing to show (a flat road, the sky): no_texture.
/// Otherwise the block follows it when the two correlate by at least
/// `followed` over the block's pixels: thin smoke whitens or dims the
/// scene but leaves its texture (Calderara et al.: smoke blends with the
/// background), while a vehicle, opaque, puts its own face in its place.
enum class SceneBehind { no_texture, follows, hidden };
SceneBehind scene_behind_block(const cv::Mat& behind, const cv::Mat& seen, double texture, double followed);

/// How much warmer (redder against blue) a block's change is than any grey
/// veil could make it, as a share of the change's mean. `background` and
/// `now` are the block's mean B, G, R before and now, white-balanced. A
/// veil of grey S and opacity a moves each channel by a (S - channel), so
/// it cools a warm background as it whitens or darkens it, and its
/// opacity is at least what the mean change asks with S inside 0..255.
/// Smoke is such a veil, white to black. Dust lifted off a road is brown
/// (it adds B, G, R = +5, +9, +12 to a neutral grey road) and a sodium
/// lamp's light orange: both come out well above 0 here. 0 for no change.
double warmth_beyond_grey_veil(const cv::Vec3f& background, const cv::Vec3f& now);

/// What makes a pixel a point of light (a lamp's core): at least `level`
/// in its dimmest channel, and at least `contrast` grey levels above the
/// mean grey of the pixels within `reach_px` of it (the window clipped to
/// the picture).
struct PointOfLight {
  double level = 0;
  double contrast = 0;
  int reach_px = 0;
};

/// Per block of `block` px (a `grid` of them from the top left), the share
/// of its pixels that are points of light. `whitest` is the picture's
/// dimmest channel per pixel (CV_8U) and `grey` its grey image (CV_32F),
/// same size. A headlight's or a lamp's core is a few such pixels on a
/// darker ground. Smoke or a cloud is near white over an area with soft
/// edges, so its neighbourhood is near white too (a hard-edged white area
/// on a dark ground counts along its outline only); a vivid burned-in
/// stroke is not white in every channel; sunlit white paint that white
/// smoke brightens stays under the level (240 in the library).
cv::Mat point_of_light_shares(const cv::Mat& whitest, const cv::Mat& grey, cv::Size grid, int block,
                              const PointOfLight& point);

/// What makes a pixel part of a rear light: its red channel at least
/// `red`, and at least `spread` above the brighter of green and blue. A
/// blob of such pixels is a lit lamp when it also stands out from its
/// ground (its mean grey at least `contrast` above that of the pixels
/// within `reach_px` round it) or is bright overall (its mean grey at
/// least `level`: saturated towards white). In daylight a brake light or
/// a red car is red but no brighter than the road (grey about 80).
struct RearLight {
  double red = 0;
  double spread = 0;
  double contrast = 0;
  int reach_px = 0;
  double level = 0;
};

/// The pixels (CV_8U, 255) vivid red enough for a rear light, from the
/// picture's red channel and the larger of its green and blue channels
/// (CV_8U, same size; the caller has them from its colour cues).
cv::Mat rear_light_pixels(const cv::Mat& red, const cv::Mat& green_or_blue, const RearLight& lamp);

/// Blocks (CV_8U, the size of `dark`, 255 where lit) that the beams of
/// vehicles driving away may light, from the lit rear lights among the
/// `lamp_pixels` (rear_light_pixels) of `picture` (BGR, CV_8U; blocks of
/// `block` px from the top left). Such a
/// vehicle shows the camera only its rear lights, while its beam lights
/// the road ahead of it, up the view. Perspective scales the beam with the
/// vehicle: the lamps' spacing is about a vehicle's width, and the beam
/// reaches `reach_widths` of it up the view from the lamps (a beam 24 m
/// long, seen from a pole, covers about three widths near the camera and
/// one far off, and never rises above the horizon) and `half_widths` to
/// either side. A lamp's partner is the nearest lamp of about its size on
/// its row, at most `pair_widths` of the wider one away (a rear light is
/// about a quarter as wide as the pair's spacing); a red car body passes
/// the colour test but has no partner, and is left out. A blob of at most
/// 2 x 2 px with no partner (a far pair merged, or one lamp of it hidden)
/// is taken as a pair `lone_widths` of its width apart. Only the
/// blocks marked in `dark` (CV_8U) are lit: a beam changes nothing a block
/// test sees on a surface already bright.
struct BeamReach {
  double reach_widths = 0;
  double half_widths = 0;
  double pair_widths = 0;
  double lone_widths = 0;
};
cv::Mat rear_light_beams(const cv::Mat& picture, const cv::Mat& lamp_pixels, const cv::Mat& dark, int block,
                         const RearLight& lamp, const BeamReach& beam);

}  // namespace gridwatch::edge::vision
