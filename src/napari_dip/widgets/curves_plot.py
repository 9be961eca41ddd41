"""A small live plot of several named loss curves, log x and log y, drawn with QPainter (no plotting
dependency)."""

from __future__ import annotations

import math

import numpy as np
from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import QColor, QPainter, QPen, QPolygonF
from qtpy.QtWidgets import QSizePolicy, QWidget

#: Colours for curves without a fixed one (matplotlib's tab10, after the probe's four).
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
MAX_POINTS = 400  # per curve drawn (log-spaced), whatever the number of iterations


class CurvesPlot(QWidget):
    """Named curves of (iteration, loss), both axes logarithmic, with a legend.

    ``extend(name, values, start)`` appends ``values`` for iterations
    ``start, start + 1, ...``, ``add(name, iteration, value)`` one point;
    ``colors`` fixes a curve's colour by name.
    """

    def __init__(self, parent=None, *, colors: dict[str, str] | None = None, title: str = "loss (log-log)"):
        super().__init__(parent)
        self.colors = dict(colors or {})
        self.title = title
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.clear()

    def clear(self) -> None:
        self.curves: dict[str, tuple[list[int], list[float]]] = {}
        self.update()

    def extend(self, name: str, values, start: int | None = None) -> None:
        """Append ``values`` to curve ``name`` at iterations ``start, start + 1, ...`` (default: its next
        ones)."""
        its, ys = self.curves.setdefault(name, ([], []))
        values = [float(v) for v in np.ravel(values)]
        first = start if start is not None else (its[-1] + 1 if its else 1)
        its.extend(range(first, first + len(values)))
        ys.extend(values)
        if name not in self.colors:
            self.colors[name] = PALETTE[len(self.colors) % len(PALETTE)]
        self.update()

    def add(self, name: str, iteration: int, value: float | None) -> None:
        """Add one point (a loss read every few iterations)."""
        if value is not None:
            self.extend(name, [value], start=iteration)

    def _ranges(self):
        n = max((its[-1] for its, _ in self.curves.values() if its), default=1)
        ys = [math.log10(v) for _, c in self.curves.values() for v in c if v > 0 and math.isfinite(v)]
        lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        return math.log10(max(n, 10)), lo, (hi - lo) or 1.0

    def _polyline(self, its: list[int], values: list[float], rect: QRectF, x_span: float, y_lo: float,
                  y_span: float) -> QPolygonF:
        n = len(values)
        idx = np.unique(np.geomspace(1, n, min(n, MAX_POINTS)).astype(int)) - 1
        pts = [QPointF(rect.left() + rect.width() * math.log10(its[i]) / x_span,
                       rect.bottom() - rect.height() * (math.log10(values[i]) - y_lo) / y_span)
               for i in idx if values[i] > 0 and math.isfinite(values[i])]
        return QPolygonF(pts)

    def paintEvent(self, event):  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect().adjusted(6, 44, -6, -14))
        painter.setPen(QColor(120, 120, 120))
        painter.drawRect(rect)
        x_span, y_lo, y_span = self._ranges()
        for decade in range(1, int(x_span) + 1):  # tick marks at 10, 100, 1000 iterations
            x = rect.left() + rect.width() * decade / x_span
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, rect.bottom() + 3))
            left = min(x - 20, rect.right() - 40)  # the last tick's label stays inside the plot
            painter.drawText(QRectF(left, rect.bottom() + 1, 40, 12),
                             Qt.AlignmentFlag.AlignCenter if left == x - 20 else Qt.AlignmentFlag.AlignRight,
                             f"{10**decade:g}")
        legend = []
        for name, (its, values) in self.curves.items():
            color = QColor(self.colors[name])
            if len(values) > 1:
                painter.setPen(QPen(color, 1.5))
                painter.drawPolyline(self._polyline(its, values, rect, x_span, y_lo, y_span))
            legend.append((name, color, values[-1] if values else None))
        self._legend(painter, legend)
        painter.end()

    def _legend(self, painter: QPainter, legend) -> None:
        painter.setPen(QColor(200, 200, 200))
        painter.drawText(
            self.rect().adjusted(6, 0, 0, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            self.title,
        )
        x, y = 6.0, 16.0
        for name, color, last in legend:
            text = f"{name} {last:.2g}" if last is not None else name
            width = painter.fontMetrics().horizontalAdvance(text) + 18
            if x + width > self.width() and x > 6:
                x, y = 6.0, y + 13
                if y > 30:
                    break  # two rows full: the legend shows the first curves only
            painter.fillRect(QRectF(x, y + 4, 10, 4), color)
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(QPointF(x + 13, y + 10), text)
            x += width
