"""Draw docs/architecture.svg from docs/architecture.yaml, or check it is fresh (--check).

The source lists hand-placed boxes (`[x, y, width, height]`, nesting with `in`) and arrows
between box sides. The drawing is plain SVG with no dependency beyond PyYAML, and the same
source always gives the same bytes, so a unit test can compare. Before drawing, the layout is
checked: every box lies inside its parent and the canvas, and no two boxes with the same
parent overlap; a mistake is reported with the ids involved.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

import yaml

ROOT: Final = Path(__file__).resolve().parent.parent
SOURCE: Final = ROOT / "docs" / "architecture.yaml"
PICTURE: Final = ROOT / "docs" / "architecture.svg"
REGENERATE: Final = "python scripts/gen_architecture.py"
FONT_SIZE: Final = 13
LINE_HEIGHT: Final = 16
LABEL_FONT_SIZE: Final = 11
#: Average glyph width of the label font, to size the white plate behind an arrow label.
LABEL_CHAR_WIDTH: Final = 6.2
STYLE: Final = {
    # kind: (fill, stroke, dashed)
    "region": ("#f7f9fc", "#8a9bb4", True),
    "actor": ("#fff4e0", "#c98a1b", False),
    "process": ("#e6f0ff", "#3b6fb6", False),
    "port": ("#ffffff", "#3b6fb6", False),
    "part": ("#ffffff", "#7a8699", False),
    "store": ("#e9f7ef", "#2f8a57", False),
}
SIDES: Final = ("top", "bottom", "left", "right")


class LayoutError(ValueError):
    """The source describes a picture that cannot be drawn cleanly; the message says where."""


@dataclass(frozen=True)
class Box:
    id: str
    kind: str
    label: tuple[str, ...]
    x: float
    y: float
    width: float
    height: float
    parent: str | None

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def anchor(self, side: str, shift: float = 0.0) -> tuple[float, float]:
        """The middle of `side`, moved `shift` pixels along it."""
        if side == "top":
            return self.x + self.width / 2 + shift, self.y
        if side == "bottom":
            return self.x + self.width / 2 + shift, self.bottom
        if side == "left":
            return self.x, self.y + self.height / 2 + shift
        return self.right, self.y + self.height / 2 + shift


@dataclass(frozen=True)
class Arrow:
    start: tuple[float, float]
    end: tuple[float, float]
    label: str


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    title: str
    note: str
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def parse(source: dict[str, Any]) -> Diagram:
    """The diagram the source describes; raises LayoutError when it is not drawable."""
    canvas = source["canvas"]
    boxes = tuple(_box(entry) for entry in source["boxes"])
    by_id = {box.id: box for box in boxes}
    if len(by_id) != len(boxes):
        raise LayoutError("two boxes share an id")
    check_layout(boxes, Box("canvas", "region", (), 0, 0, canvas["width"], canvas["height"], None))
    arrows = tuple(_arrow(entry, by_id) for entry in source.get("arrows") or ())
    return Diagram(
        width=int(canvas["width"]),
        height=int(canvas["height"]),
        title=str(source.get("title", "")),
        note=str(source.get("note", "")),
        boxes=boxes,
        arrows=arrows,
    )


def _box(entry: dict[str, Any]) -> Box:
    x, y, width, height = entry["box"]
    kind = entry.get("kind", "process")
    if kind not in STYLE:
        raise LayoutError(f"box {entry['id']}: unknown kind {kind!r}; use one of {sorted(STYLE)}")
    return Box(
        id=str(entry["id"]),
        kind=kind,
        label=tuple(str(line) for line in entry.get("label") or ()),
        x=x,
        y=y,
        width=width,
        height=height,
        parent=entry.get("in"),
    )


def _arrow(entry: dict[str, Any], by_id: dict[str, Box]) -> Arrow:
    ends = []
    for end in ("from", "to"):
        box = by_id.get(entry[end])
        if box is None:
            raise LayoutError(f"arrow {entry['from']} -> {entry['to']}: no box {entry[end]!r}")
        side = entry.get(f"{end}_side", "right" if end == "from" else "left")
        if side not in SIDES:
            raise LayoutError(f"arrow {entry['from']} -> {entry['to']}: bad side {side!r}")
        ends.append(box.anchor(side, float(entry.get(f"shift_{end}", 0))))
    return Arrow(ends[0], ends[1], str(entry.get("label", "")))


def check_layout(boxes: Sequence[Box], canvas: Box) -> None:
    """Boxes lie inside their parent (or the canvas); siblings do not overlap."""
    by_id = {box.id: box for box in boxes}
    for box in boxes:
        parent = by_id.get(box.parent) if box.parent else canvas
        if parent is None:
            raise LayoutError(f"box {box.id}: its parent {box.parent!r} does not exist")
        if not parent.contains(box):
            raise LayoutError(f"box {box.id} sticks out of {parent.id}")
    for index, box in enumerate(boxes):
        for other in boxes[index + 1 :]:
            if box.parent == other.parent and box.overlaps(other):
                raise LayoutError(f"boxes {box.id} and {other.id} overlap")


def render(diagram: Diagram) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{diagram.width}" '
        f'height="{diagram.height}" viewBox="0 0 {diagram.width} {diagram.height}" '
        'font-family="Helvetica, Arial, sans-serif">',
        f"<title>{escape(diagram.title)}</title>",
        "<defs>",
        '<marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker>',
        "</defs>",
        f'<rect width="{diagram.width}" height="{diagram.height}" fill="#ffffff"/>',
        f'<text x="{diagram.width / 2:g}" y="22" text-anchor="middle" font-size="16" '
        f'font-weight="bold" fill="#222">{escape(diagram.title)}</text>',
    ]
    containers = {box.parent for box in diagram.boxes if box.parent}
    parts += [_render_box(box, container=box.id in containers) for box in diagram.boxes]
    parts += [_render_arrow(arrow) for arrow in diagram.arrows]
    parts.append(
        f'<text x="{diagram.width / 2:g}" y="{diagram.height - 14}" text-anchor="middle" '
        f'font-size="12" fill="#555">{escape(diagram.note)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _render_box(box: Box, *, container: bool) -> str:
    fill, stroke, dashed = STYLE[box.kind]
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    rect = (
        f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.width:g}" height="{box.height:g}" '
        f'rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
    )
    if container:
        # A container names itself in its top-left corner, out of its children's way.
        texts = [
            f'<text x="{box.x + 10:g}" y="{box.y + 20:g}" font-size="{FONT_SIZE}" '
            f'font-weight="bold" fill="{stroke}">{escape(" ".join(box.label))}</text>'
        ]
    else:
        top = box.y + box.height / 2 - (len(box.label) - 1) * LINE_HEIGHT / 2 + FONT_SIZE / 3
        # The first line names the box (bold); the others say what it does (smaller).
        texts = [
            f'<text x="{box.x + box.width / 2:g}" y="{top + i * LINE_HEIGHT:g}" '
            f'text-anchor="middle" {_text_weight(i == 0)}fill="#222">{escape(line)}</text>'
            for i, line in enumerate(box.label)
        ]
    return "\n".join([f'<g id="{escape(box.id)}">', rect, *texts, "</g>"])


def _text_weight(title: bool) -> str:
    if title:
        return f'font-size="{FONT_SIZE}" font-weight="bold" '
    return f'font-size="{FONT_SIZE - 2}" '


def _render_arrow(arrow: Arrow) -> str:
    (x1, y1), (x2, y2) = arrow.start, arrow.end
    line = (
        f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#333" '
        'stroke-width="1.5" marker-end="url(#head)"/>'
    )
    if not arrow.label:
        return line
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    width = len(arrow.label) * LABEL_CHAR_WIDTH + 8
    plate = (
        f'<rect x="{mx - width / 2:g}" y="{my - 9:g}" width="{width:g}" height="15" rx="3" '
        'fill="#ffffff" fill-opacity="0.9"/>'
    )
    text = (
        f'<text x="{mx:g}" y="{my + 3:g}" text-anchor="middle" font-size="{LABEL_FONT_SIZE}" '
        f'fill="#333">{escape(arrow.label)}</text>'
    )
    return "\n".join([line, plate, text])


def expected_picture() -> str:
    return render(parse(yaml.safe_load(SOURCE.read_text())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the SVG is stale")
    args = parser.parse_args(argv)
    try:
        picture = expected_picture()
    except LayoutError as exc:
        print(f"{SOURCE.relative_to(ROOT)}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if not PICTURE.is_file() or PICTURE.read_text() != picture:
            print(f"{PICTURE.relative_to(ROOT)} is stale: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    PICTURE.write_text(picture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
