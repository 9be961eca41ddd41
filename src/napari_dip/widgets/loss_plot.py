"""A tiny live plot of the loss (and PSNR) drawn with QPainter: no plotting dependency."""

from __future__ import annotations

import math

from qtpy.QtCore import QPointF, Qt
from qtpy.QtGui import QColor, QPainter, QPen, QPolygonF
from qtpy.QtWidgets import QSizePolicy, QWidget


class LossPlot(QWidget):
    """log10(loss) in orange and PSNR (right scale) in cyan against iteration."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.clear()

    def clear(self) -> None:
        self.loss: list[tuple[int, float]] = []
        self.psnr: list[tuple[int, float]] = []
        self.update()

    def add(self, iteration: int, loss: float | None, psnr: float | None = None) -> None:
        if loss is not None and loss > 0 and math.isfinite(loss):
            self.loss.append((iteration, math.log10(loss)))
        if psnr is not None and math.isfinite(psnr):
            self.psnr.append((iteration, psnr))
        self.update()

    def _polyline(self, points, x_max, rect) -> QPolygonF:
        ys = [y for _, y in points]
        lo, hi = min(ys), max(ys)
        span = hi - lo or 1.0
        return QPolygonF([QPointF(rect.left() + rect.width() * x / x_max,
                                  rect.bottom() - rect.height() * (y - lo) / span) for x, y in points])

    def paintEvent(self, event):  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(4, 14, -4, -4)
        painter.setPen(QColor(120, 120, 120))
        painter.drawRect(rect)
        x_max = max([x for x, _ in self.loss + self.psnr] or [1])
        text = []
        for points, color, label in ((self.loss, QColor(255, 160, 60), "loss"),
                                     (self.psnr, QColor(80, 200, 230), "PSNR")):
            if len(points) > 1:
                painter.setPen(QPen(color, 1.5))
                painter.drawPolyline(self._polyline(points, x_max, rect))
            if points:
                value = 10 ** points[-1][1] if label == "loss" else points[-1][1]
                text.append(f"{label} {value:.3g}" + (" dB" if label == "PSNR" else ""))
        painter.setPen(QColor(200, 200, 200))
        painter.drawText(
            self.rect().adjusted(6, 0, 0, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            "   ".join(text) or "loss",
        )
        painter.end()
