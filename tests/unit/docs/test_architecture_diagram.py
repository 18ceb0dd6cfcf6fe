"""docs/architecture.svg is drawn from docs/architecture.yaml and its layout is clean."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import yaml

from scripts import gen_architecture
from scripts.gen_architecture import Box, LayoutError, check_layout

CANVAS = Box("canvas", "region", (), 0, 0, 100, 100, None)


def test_committed_picture_is_fresh() -> None:
    picture = gen_architecture.PICTURE
    assert picture.is_file(), f"{picture.name} is missing: run `{gen_architecture.REGENERATE}`"
    assert picture.read_text() == gen_architecture.expected_picture(), (
        f"{picture.name} is stale (docs/architecture.yaml changed): "
        f"run `{gen_architecture.REGENERATE}`"
    )


def test_picture_is_well_formed_svg_naming_every_component() -> None:
    root = ET.fromstring(gen_architecture.expected_picture())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(node.text or "" for node in root.iter("{http://www.w3.org/2000/svg}text"))
    for component in (
        "hub API server", "hub controllers", "proxy-server", "agent port :8091",
        "frontends :8090", "user-server :9092", "hub apps", "kubectl", "spoke API server",
        "klusterlet", "proxy-agent", "exposed services",
    ):  # fmt: skip
        assert component in text, component


def test_every_box_of_the_source_is_drawn_once() -> None:
    source = yaml.safe_load(gen_architecture.SOURCE.read_text())
    picture = gen_architecture.expected_picture()
    for box in source["boxes"]:
        assert picture.count(f'<g id="{box["id"]}">') == 1


def test_overlapping_siblings_are_refused_with_their_ids() -> None:
    boxes = [
        Box("a", "process", (), 10, 10, 30, 30, None),
        Box("b", "port", (), 30, 30, 30, 30, None),
    ]
    with pytest.raises(LayoutError, match="boxes a and b overlap"):
        check_layout(boxes, CANVAS)


def test_a_child_sticking_out_of_its_parent_is_refused() -> None:
    boxes = [
        Box("outer", "region", (), 10, 10, 50, 50, None),
        Box("inner", "port", (), 40, 40, 30, 10, "outer"),
    ]
    with pytest.raises(LayoutError, match="box inner sticks out of outer"):
        check_layout(boxes, CANVAS)


def test_nested_boxes_are_not_an_overlap() -> None:
    boxes = [
        Box("outer", "region", (), 10, 10, 50, 50, None),
        Box("inner", "port", (), 20, 20, 10, 10, "outer"),
    ]
    check_layout(boxes, CANVAS)
