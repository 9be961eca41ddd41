"""A tiny live plot of the loss (and PSNR) drawn with QPainter: no plotting dependency."""

from __future__ import annotations

import math

from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import QColor, QPainter, QPen, QPolygonF
from qtpy.QtWidgets import QSizePolicy, QWidget

LOSS_COLOR, PSNR_COLOR = QColor(255, 160, 60), QColor(80, 200, 230)
TEXT, FRAME = QColor(200, 200, 200), QColor(120, 120, 120)


class LossPlot(QWidget):
    """The loss (log scale, left axis, orange) and PSNR (dB, right axis, cyan) against iteration, with a
    legend that gives the latest values."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.clear()

    def clear(self) -> None:
        self.loss: list[tuple[int, float]] = []
        self.psnr: list[tuple[int, float]] = []
        self.update()

    def add(self, iteration: int, loss: float | None, psnr: float | None = None, redraw: bool = True) -> None:
        """Append a point; ``redraw=False`` leaves the repaint to the caller's next ``update()``."""
        if loss is not None and loss > 0 and math.isfinite(loss):
            self.loss.append((iteration, math.log10(loss)))
        if psnr is not None and math.isfinite(psnr):
            self.psnr.append((iteration, psnr))
        if redraw:
            self.update()

    def legend(self) -> list[str]:
        """The legend's entries: ``"loss 0.0123"``, ``"PSNR 28.1 dB"`` (those with points)."""
        out = []
        if self.loss:
            out.append(f"loss {10 ** self.loss[-1][1]:.3g}")
        if self.psnr:
            out.append(f"PSNR {self.psnr[-1][1]:.3g} dB")
        return out

    @staticmethod
    def _range(points) -> tuple[float, float]:
        ys = [y for _, y in points]
        lo, hi = min(ys), max(ys)
        return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def _polyline(self, points, x_max, rect, lo, hi) -> QPolygonF:
        return QPolygonF([QPointF(rect.left() + rect.width() * x / x_max,
                                  rect.bottom() - rect.height() * (y - lo) / (hi - lo)) for x, y in points])

    def paintEvent(self, event):  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        fm = painter.fontMetrics()
        h = fm.height()
        rect = QRectF(self.rect()).adjusted(36, h + 4, -36, -(h + 4))
        painter.setPen(FRAME)
        painter.drawRect(rect)
        x_max = max([x for x, _ in self.loss + self.psnr] or [1])
        for points, color, side in ((self.loss, LOSS_COLOR, "left"), (self.psnr, PSNR_COLOR, "right")):
            if not points:
                continue
            lo, hi = self._range(points)
            if len(points) > 1:
                painter.setPen(QPen(color, 1.5))
                painter.drawPolyline(self._polyline(points, x_max, rect, lo, hi))
            painter.setPen(color)  # the axis' two ticks: its range
            fmt = (lambda v: f"{10 ** v:.2g}") if side == "left" else (lambda v: f"{v:.1f}")
            for value, y in ((hi, rect.top()), (lo, rect.bottom() - h)):
                box = QRectF(0, y, 34, h) if side == "left" else QRectF(rect.right() + 2, y, 34, h)
                align = Qt.AlignmentFlag.AlignRight if side == "left" else Qt.AlignmentFlag.AlignLeft
                painter.drawText(box, int(align), fmt(value))
        painter.setPen(TEXT)
        bottom = QRectF(rect.left(), rect.bottom() + 2, rect.width(), h)
        painter.drawText(bottom, int(Qt.AlignmentFlag.AlignLeft), "0")
        painter.drawText(bottom, int(Qt.AlignmentFlag.AlignHCenter), "iteration")
        painter.drawText(bottom, int(Qt.AlignmentFlag.AlignRight), f"{x_max}")
        self._draw_legend(painter, QRectF(rect.left(), 0, rect.width(), h))
        painter.end()

    def _draw_legend(self, painter, box: QRectF) -> None:
        """``— loss (log)  — PSNR (dB)`` in the curves' colours, with the latest values."""
        entries = self.legend() or ["loss (log scale)"]
        colours = ([LOSS_COLOR] if self.loss or not self.psnr else []) + ([PSNR_COLOR] if self.psnr else [])
        x = box.left()
        for text, color in zip(entries, colours, strict=False):
            painter.setPen(QPen(color, 2))
            mid = box.top() + box.height() / 2
            painter.drawLine(QPointF(x, mid), QPointF(x + 12, mid))
            painter.setPen(TEXT)
            painter.drawText(QRectF(x + 15, box.top(), box.width(), box.height()),
                             int(Qt.AlignmentFlag.AlignLeft), text)
            x += 15 + painter.fontMetrics().horizontalAdvance(text) + 10
