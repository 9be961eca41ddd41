"""The Experiments widget's sortable results table, with copy and CSV."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from napari_dip.experiments import write_csv
from napari_dip.experiments.sweep import table


class ResultsTable(QWidget):
    """One row per sweep record: ``#``, the settings, PSNR, SSIM, seconds, stopped at; sortable by any
    column."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list[dict] = []
        self.table = QTableWidget(0, 0)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(130)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 6
        )  # compact rows
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.copy_button = QPushButton("Copy table")
        self.save_button = QPushButton("Save CSV…")
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(lambda: self.save_csv())
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def clear(self) -> None:
        self.records = []
        self.table.setRowCount(0)
        self.table.setColumnCount(0)

    def add(self, record: dict) -> None:
        """Append a record and redraw (sorting is kept)."""
        self.records.append(record)
        self._fill()

    def _fill(self) -> None:
        header, rows = table(self.records)
        header = ["#", *header[:-1]]  # stop_reason goes to the tooltip
        self.table.setSortingEnabled(False)
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            *values, reason = row
            for c, value in enumerate([r + 1, *values]):
                item = QTableWidgetItem()
                if isinstance(value, float):
                    value = float(f"{value:.4g}")
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    item.setData(Qt.ItemDataRole.DisplayRole, value)  # numeric sort
                else:
                    item.setText("" if value is None else str(value))
                item.setToolTip(f"stopped: {reason}")
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)

    def text(self) -> str:
        """The table as shown (sorted), tab-separated."""
        cols = self.table.columnCount()
        lines = ["\t".join(self.table.horizontalHeaderItem(c).text() for c in range(cols))]
        for r in range(self.table.rowCount()):
            lines.append("\t".join((self.table.item(r, c).text() if self.table.item(r, c) else "")
                                   for c in range(cols)))
        return "\n".join(lines)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.text())

    def save_csv(self, path=None):
        """Write the records (settings and scores) to ``path`` (asked for when None); return the path."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the sweep as CSV", "sweep.csv", "CSV (*.csv)")
            if not path:
                return None
        return write_csv(self.records, path)
