"""The metrics tables: Blend's (one row per method, copied or saved as CSV) and Restore's Compare numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
)

from napari_dip.core.blending.compare import METRIC_COLUMNS, RANK_COLUMN, rank_methods


class MetricsTable:
    """Mixin for a widget with ``self.metrics`` (method -> {metric: value}) and a native Qt widget."""

    @staticmethod
    def _table_value(table: dict[str, dict[str, float]]) -> dict[str, Any]:
        rows, ranks = list(table), rank_methods(table)
        # text with 2 decimals (BSI: none) keeps five columns readable in a narrow dock;
        # the CSV keeps 6 digits
        cell = lambda v: f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}"  # noqa: E731
        data = [[cell(table[r][c]) for c in METRIC_COLUMNS] + [f"{ranks[r]:g}"] for r in rows]
        index = [r.removesuffix(" blend") for r in rows]  # "Poisson blend" -> "Poisson": room for the numbers
        return {"data": data, "index": index, "columns": [*METRIC_COLUMNS, RANK_COLUMN]}

    def best_methods(self) -> list[str]:
        """The method(s) with the best (lowest) mean rank over the metrics; several on a tie; [] before
        scoring."""
        ranks = rank_methods(self.metrics)
        low = min(ranks.values(), default=None)
        return [m for m, r in ranks.items() if r == low]

    def rank_note(self) -> str:
        """``"; best mean rank: X"`` (or the tied methods) for the status line; "" with fewer than two
        results."""
        best = self.best_methods()
        if len(self.metrics) < 2:
            return ""
        return f"; best mean rank: {best[0]}" if len(best) == 1 else f"; tied best: {', '.join(best)}"

    def csv_text(self) -> str:
        """The metrics as CSV: a header ``method,GFF,GFP,BSI,SSIM,rank`` and one row per method."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["method", *METRIC_COLUMNS, RANK_COLUMN])
        ranks = rank_methods(self.metrics)
        for method, row in self.metrics.items():
            writer.writerow([method, *(f"{row[c]:.6g}" for c in METRIC_COLUMNS), f"{ranks[method]:g}"])
        return buf.getvalue()

    def copy_table(self) -> None:
        QApplication.clipboard().setText(self.csv_text())
        show_info("napari-dip: metrics copied to the clipboard as CSV.")

    def save_csv(self, path: str | Path) -> Path:
        """Write the metrics table to ``path`` as CSV and return the path."""
        path = Path(path)
        path.write_text(self.csv_text(), encoding="utf-8")
        return path

    def _save_dialog(self) -> None:
        if not self.metrics:
            show_warning("napari-dip: no metrics yet; run a blend first.")
            return
        path, _ = QFileDialog.getSaveFileName(self.native, "Save blend metrics", "blend_metrics.csv",
                                              "CSV files (*.csv)")
        if path:
            try:
                self.save_csv(path)
            except OSError as err:
                show_error(f"napari-dip: could not write {path}: {err}")
                return
            show_info(f"napari-dip: metrics saved to {path}")


class CompareTable(QTableWidget):
    """The Restore dock's Compare numbers: one row per method, sortable; hidden until Compare has run."""

    def __init__(self, parent=None):
        super().__init__(0, 0, parent)
        self.setSortingEnabled(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("PSNR/SSIM: against the clean reference (higher is better). Without one, the "
                        "residual (input minus the method's result seen through the task's forward model): "
                        "mean near 0, spread near the noise's, lag-1 near 0 (only noise was removed). "
                        "s: seconds.")
        self.rows: dict[str, dict[str, float]] = {}
        self.setVisible(False)

    def show_rows(self, rows: dict[str, dict[str, float]]) -> None:
        """Fill the table with ``{method: {column: value}}`` (columns in the first row's order)."""
        self.rows = rows
        columns = list(dict.fromkeys(c for row in rows.values() for c in row))
        self.setSortingEnabled(False)
        self.setColumnCount(len(columns) + 1)
        self.setHorizontalHeaderLabels(["method", *columns])
        self.setRowCount(len(rows))
        for r, (method, row) in enumerate(rows.items()):
            self.setItem(r, 0, QTableWidgetItem(method))
            for c, name in enumerate(columns, start=1):
                item = QTableWidgetItem()
                if (value := row.get(name)) is not None:
                    item.setData(Qt.ItemDataRole.DisplayRole, float(f"{value:.3g}"))  # numeric sort
                self.setItem(r, c, item)
        self.setSortingEnabled(True)
        self.setMinimumHeight(min(8, len(rows) + 1) * (self.fontMetrics().height() + 4) + 8)
        self.setVisible(bool(rows))

    def text(self) -> str:
        """The table as shown, tab-separated (for tests and the clipboard)."""
        cols = self.columnCount()
        lines = ["\t".join(self.horizontalHeaderItem(c).text() for c in range(cols))]
        for r in range(self.rowCount()):
            lines.append("\t".join(self.item(r, c).text() if self.item(r, c) else "" for c in range(cols)))
        return "\n".join(lines)
