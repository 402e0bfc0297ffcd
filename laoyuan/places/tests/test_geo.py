"""Distances and outlines: the arithmetic the POST's placement rests on."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laoyuan.places.geo import EARTH_RADIUS_M, contains, haversine_m, polygons

SQUARE = [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]]
HOLE = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]


def test_haversine_known_distances():
    assert haversine_m(34.75, 113.68, 34.75, 113.68) == 0.0
    # One degree of latitude is R·π/180.
    assert haversine_m(34.0, 113.68, 35.0, 113.68) == pytest.approx(EARTH_RADIUS_M * math.pi / 180)
    assert haversine_m(34.0, 113.68, 35.0, 113.68) == pytest.approx(111_195.08, abs=0.01)
    # A quarter of the equator.
    assert haversine_m(0, 0, 0, 90) == pytest.approx(EARTH_RADIUS_M * math.pi / 2)


@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(-80, 80), st.floats(-179, 179))
def test_haversine_is_symmetric_and_non_negative(lat1, lng1, lat2, lng2):
    d = haversine_m(lat1, lng1, lat2, lng2)
    assert d >= 0
    assert d == pytest.approx(haversine_m(lat2, lng2, lat1, lng1))


def test_point_in_polygon():
    assert contains(SQUARE, lat=5, lng=5)
    assert contains(SQUARE, lat=0.001, lng=9.999)
    assert not contains(SQUARE, lat=5, lng=10.001)
    assert not contains(SQUARE, lat=-0.001, lng=5)
    # Unclosed and clockwise rings work the same.
    assert contains([[[0, 0], [0, 10], [10, 10], [10, 0]]], lat=5, lng=5)


def test_holes_and_multipolygons_and_geometry_objects():
    with_hole = [SQUARE[0], HOLE]
    assert contains(with_hole, lat=2, lng=2)
    assert not contains(with_hole, lat=5, lng=5)
    far = [[[20.0, 20.0], [30.0, 20.0], [30.0, 30.0], [20.0, 30.0]]]
    multi = [with_hole, far]
    assert contains(multi, lat=25, lng=25)
    assert not contains(multi, lat=5, lng=5)
    assert contains({"type": "MultiPolygon", "coordinates": multi}, lat=25, lng=25)
    assert contains({"type": "Polygon", "coordinates": SQUARE}, lat=5, lng=5)
    assert len(polygons(multi)) == 2


def test_concave_outline():
    # An L: the notch at the top right is outside.
    ell = [[[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10], [0, 0]]]
    assert contains(ell, lat=2, lng=8)
    assert contains(ell, lat=8, lng=2)
    assert not contains(ell, lat=8, lng=8)


@pytest.mark.parametrize(
    "boundary",
    [None, [], {}, "polygon", [[]], [[[1, 2]]], [[["a", "b"], ["c", "d"], ["e", "f"]]], [1, 2, 3]],
)
def test_malformed_boundaries_contain_nothing(boundary):
    assert contains(boundary, lat=1, lng=1) is False
