from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.reference import blur_at_kernel as blur_at
from blur import blur_background, mask_overlay
from blur.composite import equivalent_sigma, feather

GREEN = np.array([0, 255, 0])


def disc_alpha(h: int, w: int, radius: int, soft_px: float = 0.0) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    dist = np.hypot(yy - h / 2, xx - w / 2)
    if soft_px == 0:
        return (dist <= radius).astype(np.float32)
    return np.clip((radius - dist) / soft_px + 0.5, 0, 1).astype(np.float32)


def textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def smooth_plate(h: int, w: int) -> np.ndarray:
    """A background with broad colour variation, like an out-of-focus room."""
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    r = 120 + 80 * np.cos(xx / w * 2.5)
    g = 90 + 60 * np.sin(yy / h * 3.0)
    b = 60 + 50 * np.cos((xx + yy) / (h + w) * 4.0)
    return np.clip(np.dstack([r, g, b]), 0, 255).astype(np.uint8)


def test_overlay_tint_follows_alpha_and_outlines_the_half_line():
    image = np.full((120, 160, 3), 100, np.uint8)
    alpha = disc_alpha(120, 160, 30)
    alpha[5:15, 5:15] = 0.4  # soft, below the cut: tinted a little, no line
    out = mask_overlay(image, alpha)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert tuple(out[60, 80]) == (50, 178, 50)  # alpha 1: half green
    assert tuple(out[10, 10]) == (80, 131, 80)  # alpha 0.4: a fifth green
    assert tuple(out[60, 5]) == (100, 100, 100)  # background untouched
    line = out[60, 80 + 30].astype(int)  # on the 0.5 contour, anti-aliased
    assert line[1] > 240 and line[0] < 10 and line[2] < 10


def test_outline_only_leaves_the_photo_but_the_line():
    image = np.full((100, 100, 3), 200, np.uint8)
    alpha = disc_alpha(100, 100, 30)
    out = mask_overlay(image, alpha, outline_only=True)
    assert tuple(out[50, 50]) == (200, 200, 200)
    line = out[50, 50 + 30].astype(int)
    assert line[1] > 240 and line[0] < 20 and line[2] < 20


def test_cutout_shows_checks_where_there_is_no_subject():
    from blur import checkerboard, cutout

    image = np.full((96, 96, 3), (200, 10, 10), np.uint8)
    alpha = disc_alpha(96, 96, 20)
    out = cutout(image, alpha)
    board = checkerboard((96, 96))
    assert len(np.unique(board[..., 0])) == 2
    assert np.array_equal(out[alpha == 0], board[alpha == 0])
    assert tuple(out[48, 48]) == (200, 10, 10)


def test_cutout_over_a_solid_backdrop_mixes_soft_edges_with_it():
    from blur import cutout

    image = np.full((4, 4, 3), (200, 10, 10), np.uint8)
    alpha = np.array([[0.0, 0.25, 1.0, 1.0]] * 4, np.float32)
    out = cutout(image, alpha, backdrop=(0, 177, 64))
    assert tuple(out[0, 0]) == (0, 177, 64)
    assert tuple(out[0, 1]) == (50, 135, 51)  # a quarter subject, three quarters backdrop
    assert tuple(out[0, 3]) == (200, 10, 10)


def test_difference_colours_each_side_of_a_disagreement():
    from blur import difference
    from blur.views import ONLY_MODEL, ONLY_REFERENCE

    image = np.full((40, 60, 3), 120, np.uint8)
    model = np.zeros((40, 60), np.float32)
    reference = np.zeros((40, 60), np.float32)
    model[:, :30] = 1.0  # left: the model's subject
    reference[:, 20:50] = 1.0  # middle: the reference's
    out = difference(image, model, reference).astype(int)
    assert np.array_equal(out[20, 25], out[20, 55])  # agreed subject and background: grey
    assert out[20, 55, 0] == out[20, 55, 1] == out[20, 55, 2]
    assert tuple(out[20, 10]) == tuple(ONLY_MODEL.astype(int))
    assert tuple(out[20, 40]) == tuple(ONLY_REFERENCE.astype(int))


@pytest.mark.parametrize("soft", [True, False])
def test_blur_keeps_subject_pixels_and_shape(soft):
    image = textured(90, 130)
    alpha = disc_alpha(90, 130, 25, soft_px=0 if not soft else 6)
    out = blur_at(image, alpha, 31, soft=soft)
    assert out.shape == image.shape and out.dtype == np.uint8
    subject = alpha == 1.0
    assert subject.sum() > 500
    assert np.array_equal(out[subject], image[subject])


def test_background_is_measurably_blurred():
    image = textured(200, 200)
    alpha = disc_alpha(200, 200, 40)
    out = blur_at(image, alpha, 51)
    background = (alpha == 0)[..., None].repeat(3, axis=2)
    sharp = cv2.Laplacian(image, cv2.CV_32F)[background].std()
    blurred = cv2.Laplacian(out, cv2.CV_32F)[background].std()
    assert blurred < sharp / 20


def test_stronger_blur_is_smoother():
    image = textured(160, 160)
    alpha = disc_alpha(160, 160, 30)
    weak = blur_at(image, alpha, 5)
    strong = blur_at(image, alpha, 101)
    background = alpha == 0
    assert strong[background].std() < weak[background].std()


@pytest.mark.parametrize("strength", [3, 4, 100, 257])
def test_strength_must_be_an_odd_size_in_range(strength):
    image = textured(40, 40)
    with pytest.raises(ValueError, match="strength"):
        blur_background(image, np.zeros((40, 40), np.float32), strength)


def test_mismatched_alpha_is_refused():
    with pytest.raises(ValueError, match="alpha shape"):
        mask_overlay(textured(40, 40), np.zeros((40, 41), np.float32))


def test_equivalent_sigma_looks_like_three_passes():
    impulse = np.zeros((401, 401), np.float32)
    impulse[200, 200] = 1000.0
    k = 41
    three = impulse
    for _ in range(3):
        three = cv2.GaussianBlur(three, (k, k), 0)
    one = cv2.GaussianBlur(impulse, (0, 0), equivalent_sigma(k))
    assert np.abs(three - one).max() < 0.02 * three.max()


def test_feather_softens_outwards_only():
    alpha = disc_alpha(100, 100, 30)
    soft = feather(alpha)
    assert np.all(soft >= alpha)
    assert np.all(soft[alpha == 1] == 1)
    just_outside = soft[50, 50 + 32]
    assert 0.0 < just_outside < 1.0
    assert soft[2, 2] < 1e-3


def test_no_halo_of_subject_colour_around_the_subject():
    """Subject over a known clean plate: near the subject the result matches the blurred plate."""
    h, w, strength = 240, 320, 61
    plate = smooth_plate(h, w)
    alpha = disc_alpha(h, w, 60, soft_px=4)
    subject = np.zeros_like(plate)
    subject[:] = (230, 20, 200)  # a colour found nowhere in the plate
    a = alpha[..., None]
    photo = np.rint(subject * a + plate * (1 - a)).astype(np.uint8)

    sigma = equivalent_sigma(strength)
    ideal = cv2.GaussianBlur(plate, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    yy, xx = np.mgrid[:h, :w]
    dist = np.hypot(yy - h / 2, xx - w / 2)
    band = (alpha == 0) & (dist < 60 + 30)  # 30 px around the subject

    def band_error(result: np.ndarray) -> float:
        return float(np.abs(result.astype(np.float32) - ideal)[band].mean())

    ours = band_error(blur_at(photo, alpha, strength))
    naive_blur = cv2.GaussianBlur(photo, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    naive = band_error(np.rint(photo * a + naive_blur * (1 - a)).astype(np.uint8))
    assert ours < 3.0
    assert naive > 10.0
    assert naive > 5 * ours


# Properties of the fast path, against the seed's pipeline kept in bench/reference.py.


def test_same_look_as_the_seed_on_a_plate_without_subject():
    from bench.reference import reference_blur
    from bench.scenes import background_plate, psnr

    plate = background_plate(800, 600)
    empty = np.zeros((600, 800), np.float32)
    for strength in (5, 101, 255):
        ours = blur_at(plate, empty, strength)
        assert psnr(ours, reference_blur(plate, empty, strength)) >= 30.0


@pytest.mark.parametrize(
    ("size", "strength"), [((1000, 750), 31), ((1000, 750), 255), ((2582, 1936), 101)]
)
def test_less_halo_than_the_seed(size, strength):
    from bench.reference import reference_blur
    from bench.scenes import background_band, portrait_scene
    from blur.composite import blurred_plate

    scene = portrait_scene(*size)
    clean = blurred_plate(scene.plate, np.zeros_like(scene.alpha), equivalent_sigma(strength))
    band = background_band(scene.alpha, 60)

    def halo(result: np.ndarray) -> float:
        return float(np.abs(result.astype(np.float32) - clean)[band].mean())

    ours = blur_at(scene.photo, scene.alpha, strength)
    assert halo(ours) < halo(reference_blur(scene.photo, scene.alpha, strength))
    subject = scene.alpha == 1.0
    assert np.array_equal(ours[subject], scene.photo[subject])


@pytest.mark.parametrize("lens", ["gaussian", "disc"])
def test_a_strength_looks_the_same_on_every_photo_size(lens):
    """A 0.3 MP and a 12 MP copy of one portrait, blurred at one setting, look alike at
    display size: the Blur Strength is relative to the photo, as an aperture is."""
    from bench.scenes import portrait_scene, psnr
    from blur import fit_within, resize_alpha

    scene = portrait_scene(4000, 3000)
    small, _ = fit_within(scene.photo, 640)
    small_alpha = resize_alpha(scene.alpha, small.shape[:2])
    shown = {}
    for strength in (31, 101, 255):
        full = blur_background(scene.photo, scene.alpha, strength, lens=lens)
        shown[strength] = fit_within(full, 640)[0]
        little = blur_background(small, small_alpha, strength, lens=lens)
        assert psnr(shown[strength], little) >= 30.0, strength
    naive = blur_at(small, small_alpha, 101, lens=lens)  # the old unit: pixels at any size
    assert psnr(shown[101], naive) < 30.0


def test_fill_uses_only_known_colour():
    from blur.fill import fill_holes

    plate = np.zeros((64, 64, 3), np.float32)
    plate[:, :32] = (10, 200, 30)
    plate[:, 32:] = (30, 20, 220)
    known = np.ones((64, 64), np.float32)
    known[16:48, 16:48] = 0.0
    subject = plate.copy()
    subject[16:48, 16:48] = (255, 0, 255)  # what the hole hides: must not appear
    filled = fill_holes(subject * known[..., None], known)
    assert np.allclose(filled[known == 1], plate[known == 1])
    hole = filled[known == 0]
    assert hole.min() >= 10 - 1e-3 and hole.max() <= 220 + 1e-3
    assert np.abs(filled[32, 20] - plate[32, 20]).max() < 40  # the left side continues


def test_fit_within_keeps_small_images_and_shrinks_large_ones():
    from blur import fit_within

    small = textured(100, 80)
    assert fit_within(small, 200)[0] is small
    shrunk, scale = fit_within(textured(1000, 500), 200)
    assert shrunk.shape == (200, 100, 3) and scale == 0.2


def test_iou_of_known_masks():
    from blur import iou_matrix, mask_iou

    a = np.zeros((10, 10), np.float32)
    b = np.zeros((10, 10), np.float32)
    a[:, :6] = 1.0  # 60 pixels
    b[:, 4:] = 0.9  # 60 pixels, 20 shared
    assert mask_iou(a, b) == pytest.approx(20 / 100)
    assert mask_iou(a, a) == 1.0
    assert mask_iou(np.zeros_like(a), np.zeros_like(a)) == 1.0  # both found nobody
    matrix = iou_matrix([a, b, np.full_like(a, 0.4)])
    assert matrix.tolist() == [[1.0, 0.2, 0.0], [0.2, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_lens_kernel_is_a_normalised_disc():
    from blur.lens import disc_kernel

    kernel = disc_kernel(6.0)
    assert kernel.shape == (13, 13)
    assert kernel.sum() == pytest.approx(1.0)
    assert np.allclose(kernel, kernel.T) and np.allclose(kernel, kernel[::-1])
    inside = kernel[6, 6]
    assert np.allclose(kernel[6, 1:12], inside)  # flat across the aperture
    assert kernel[0, 0] == 0.0 and kernel[6, 0] < inside  # round, with a soft rim


def test_lens_blur_turns_a_highlight_into_a_bright_disc():
    image = np.full((200, 200, 3), 40, np.uint8)
    image[100, 100] = 255
    image[99:102, 99:102] = 255  # a small light source
    nobody = np.zeros((200, 200), np.float32)
    disc = blur_at(image, nobody, 31, lens="disc").astype(int)
    gauss = blur_at(image, nobody, 31).astype(int)
    radius = 2 * equivalent_sigma(31)
    ring = disc[100, 100 + int(radius * 0.6)].mean() - 40
    centre = disc[100, 100].mean() - 40
    assert ring > 0.6 * centre  # flat-topped disc, not a peak
    assert disc[100, 100 + int(radius * 1.4)].mean() - 40 < 0.1 * centre  # sharp rim
    assert centre > (gauss[100, 100].mean() - 40)  # the highlight blooms
    with pytest.raises(ValueError, match="lens"):
        blur_background(image, nobody, 31, lens="cat-eye")


# Clean edges: scenes whose subject colour F and background B are known exactly.


@pytest.mark.parametrize("edge_fraction", [0.004, 0.015])
def test_clean_edges_cut_the_soft_band_error_below_six_tenths(edge_fraction):
    from bench.scenes import ideal_blur, portrait_scene, soft_band
    from blur.composite import blurred_plate

    scene = portrait_scene(1155, 866, edge_fraction=edge_fraction)
    clean_plate = blurred_plate(scene.plate, np.zeros_like(scene.alpha), equivalent_sigma(101))
    ideal = ideal_blur(scene, clean_plate)
    band = soft_band(scene.alpha)
    assert band.sum() > 10_000

    def error(result: np.ndarray) -> float:
        return float(np.abs(result.astype(np.float32) - ideal)[band].mean())

    clean = blur_at(scene.photo, scene.alpha, 101)
    seed = blur_at(scene.photo, scene.alpha, 101, clean_edges=False)
    assert error(clean) <= 0.6 * error(seed)
    subject = scene.alpha == 1.0
    assert np.array_equal(clean[subject], scene.photo[subject])


def test_foreground_colours_recover_the_subject_in_soft_pixels():
    from bench.scenes import portrait_scene, soft_band
    from blur import foreground_colours

    scene = portrait_scene(800, 600, edge_fraction=0.015)
    colours = foreground_colours(scene.photo, scene.alpha)
    band = soft_band(scene.alpha)
    truth = scene.subject.astype(np.float32)
    raw_error = np.abs(scene.photo.astype(np.float32) - truth)[band].mean()
    our_error = np.abs(colours.astype(np.float32) - truth)[band].mean()
    assert our_error < 0.5 * raw_error
    sure = (scene.alpha == 0) | (scene.alpha == 1)
    assert np.array_equal(colours[sure], scene.photo[sure])


def test_clean_edges_need_a_sure_subject_and_background():
    image = textured(40, 40)
    flat = np.full((40, 40), 0.5, np.float32)  # nothing is surely subject
    from blur import foreground_colours

    assert np.array_equal(foreground_colours(image, flat), image)
    out = blur_at(image, flat, 11)
    assert out.shape == image.shape


def test_a_plan_keeps_its_memory_bounded_across_the_whole_slider():
    from blur import BlurPlan, strength_sigma

    image = textured(480, 640)
    plan = BlurPlan(image, disc_alpha(480, 640, 120, soft_px=6))
    held = plan.nbytes
    for strength in range(5, 256, 10):
        plan.render(strength_sigma(strength, image.shape))
    assert plan.nbytes - held < image.nbytes // 4  # every fill kept would hold 1.5x the image
