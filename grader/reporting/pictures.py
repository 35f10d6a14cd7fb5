"""Pictures drawn by the grader from its own recomputation, as inline SVG (no image files, no URLs):
predicted against actual values for a regressor, the confusion matrix of a classifier, the monthly
cost of leftover resources, and a class's score histogram. Every label is escaped."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from ..text import plain
from .view import monthly

WIDTH, HEIGHT, MARGIN = 360, 300, 44


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(f'<svg class="picture" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                  f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
                  f'{"".join(body)}</svg>')


def _text(x: float, y: float, text, anchor: str = "middle", css: str = "", turned: bool = False) -> str:
    css_attribute = f' class="{css}"' if css else ""
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if turned else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{css_attribute}{turn}>'
            f'{escape(plain(text))}</text>')


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / count if high > low else 1.0
    magnitude = 10 ** math.floor(math.log10(step))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= step), default=step)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def predicted_vs_actual(sample: list, metrics: dict) -> Markup:
    """Each test record's prediction against its true value; on the diagonal, a perfect model."""
    values = [v for pair in sample for v in pair]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    plot = WIDTH - 2 * MARGIN

    def x(value):
        return MARGIN + (value - low) / span * plot

    def y(value):
        return HEIGHT - MARGIN - (value - low) / span * (HEIGHT - 2 * MARGIN)

    body = [f'<rect x="{MARGIN}" y="{MARGIN}" width="{plot}" height="{HEIGHT - 2 * MARGIN}" class="frame"/>',
            f'<line x1="{x(low):.1f}" y1="{y(low):.1f}" x2="{x(high):.1f}" y2="{y(high):.1f}" '
            'class="ideal"/>']
    for tick in _ticks(low, high):
        body += [_text(x(tick), HEIGHT - MARGIN + 14, f"{tick:g}"),
                 _text(MARGIN - 4, y(tick) + 4, f"{tick:g}", "end")]
    body += [f'<circle cx="{x(actual):.1f}" cy="{y(predicted):.1f}" r="2.5" class="point"/>'
             for actual, predicted in sample]
    body += [_text(WIDTH / 2, HEIGHT - 8, "actual"), _text(14, HEIGHT / 2, "predicted", turned=True)]
    required = metrics.get("required", {})
    said = [f"RMSE {metrics['rmse']:.3g}"
            + (f" (at most {required['rmse_max']:g})" if "rmse_max" in required else ""),
            f"R2 {metrics['r2']:.3g}"
            + (f" (at least {required['r2_min']:g})" if "r2_min" in required else "")]
    body.append(_text(WIDTH / 2, 16, "; ".join(said)))
    body.append(_text(WIDTH / 2, 30, f"{len(sample)} of {metrics.get('records', len(sample))} test records",
                      css="small"))
    return _svg(WIDTH, HEIGHT, "Predicted against actual values on the test set", body)


def confusion_matrix(matrix: list, metrics: dict) -> Markup:
    """Rows: the true class; columns: the predicted one; the diagonal is right."""
    cell, left, top = 90, 110, 70
    total = sum(sum(row) for row in matrix) or 1
    body = [_text(left + cell, 40, "predicted"), _text(24, top + cell, "actual", turned=True)]
    for column in range(2):
        body.append(_text(left + column * cell + cell / 2, top - 8, str(column)))
    for row in range(2):
        body.append(_text(left - 10, top + row * cell + cell / 2 + 4, str(row), "end"))
        for column in range(2):
            count = matrix[row][column]
            css = "right" if row == column else "wrong"
            shade = 0.15 + 0.85 * count / total
            body.append(f'<rect x="{left + column * cell}" y="{top + row * cell}" width="{cell}" '
                        f'height="{cell}" class="{css}" fill-opacity="{shade:.2f}"/>')
            body.append(_text(left + column * cell + cell / 2, top + row * cell + cell / 2 + 5, count,
                              css="count"))
    required = metrics.get("required", {}).get("accuracy_min")
    body.append(_text(left + cell, 16, f"accuracy {metrics['accuracy']:.3f}"
                      + (f" (at least {required:g})" if required is not None else "")))
    return _svg(left + 2 * cell + 20, top + 2 * cell + 20, "Confusion matrix on the test set", body)


def leftover_costs(leftovers: list) -> Markup:
    """One bar per leftover resource: what it costs per month if nobody deletes it."""
    rows = [(item, monthly(item.get("cost_per_hour"))) for item in leftovers]
    top = max((cost for _, cost in rows if cost), default=0) or 1
    label_width, bar_width, row_height = 200, 240, 24
    body = []
    for position, (item, cost) in enumerate(rows):
        y = 10 + position * row_height
        body.append(_text(label_width - 6, y + 15, f"{item.get('name')} ({item.get('region')})"[:32], "end"))
        width = bar_width * (cost or 0) / top
        body.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" '
            f'height="{row_height - 8}" class="cost"/>')
        said = "unknown cost" if cost is None else f"${cost:,.2f}/month"
        body.append(_text(label_width + width + 6, y + 15, said, "start"))
    return _svg(label_width + bar_width + 110, 20 + len(rows) * row_height, "Monthly cost of what is left",
                body)


def histogram(scores: list[float], max_score: float, bins: int = 10) -> Markup:
    """How many submissions scored in each tenth of the maximum."""
    counts = [0] * bins
    for score in scores:
        position = int(bins * score / max_score) if max_score else 0
        counts[min(max(position, 0), bins - 1)] += 1
    top = max(counts) or 1
    bar, height = 40, 160
    body = []
    for position, count in enumerate(counts):
        x = MARGIN + position * bar
        h = height * count / top
        body.append(
            f'<rect x="{x + 2}" y="{20 + height - h:.1f}" width="{bar - 4}" height="{h:.1f}" class="bar"/>')
        if count:
            body.append(_text(x + bar / 2, 16 + height - h, count))
        body.append(_text(x + bar / 2, height + 36, f"{position * max_score / bins:g}", css="small"))
    body.append(_text(MARGIN + bins * bar / 2, height + 54, f"score (out of {max_score:g})"))
    return _svg(2 * MARGIN + bins * bar, height + 64, "Score histogram", body)


def for_check(evidence: dict) -> Markup | None:
    """The picture a check's evidence supports, if any."""
    if evidence.get("sample") and "rmse" in evidence:
        return predicted_vs_actual(evidence["sample"], evidence)
    if evidence.get("confusion_matrix") and "accuracy" in evidence:
        return confusion_matrix(evidence["confusion_matrix"], evidence)
    # free metadata: no picture
    if any(item.get("cost_per_hour") != 0 for item in evidence.get("leftovers") or []):
        return leftover_costs(evidence["leftovers"])
    return None
