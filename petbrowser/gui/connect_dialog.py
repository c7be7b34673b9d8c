"""Open a store: a local folder or an S3 bucket, with a connection test.

The dialog never asks for, stores or shows credentials: S3 access goes
through boto3's own chain (a named profile, the environment, instance roles),
and only the bucket, prefix, region, profile name and endpoint URL are
remembered.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from petbrowser.gui.icons import icon
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.recent import recent_stores, remember
from petbrowser.gui.workers import Task, TaskRunner

__all__ = ["ConnectDialog", "s3_url"]


def s3_url(bucket: str, prefix: str) -> str:
    prefix = prefix.strip().strip("/")
    return f"s3://{bucket.strip()}/{prefix}" if prefix else f"s3://{bucket.strip()}"


class ConnectDialog(QDialog):
    """Pick a store; ``target()`` is the result after ``exec()`` accepted.

    "Test connection" runs on a worker and can be stopped from the dialog
    ("Stop", or closing the dialog): a hung endpoint is abandoned, never waited
    for.  ``fields()`` is everything typed, complete or not: the window hands
    it to the next dialog as ``draft``, so closing the dialog loses nothing
    (kept in memory only; nothing secret is typed here).
    """

    def __init__(
        self,
        runner: TaskRunner,
        parent: QWidget | None = None,
        initial: OpenTarget | None = None,
        draft: dict[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self._test: Task | None = None
        self.setWindowTitle("Open store — petbrowser")
        self.setWindowIcon(icon("connect"))
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)

        self.recent = QComboBox(self)
        self.recent.addItem("Recent stores…", None)
        for t in recent_stores():
            self.recent.addItem(t.description or t.label, t.to_dict())
        self.recent.setToolTip("Stores opened before (no credentials are remembered)")
        self.recent.currentIndexChanged.connect(self._pick_recent)
        lay.addWidget(self.recent)

        kinds = QHBoxLayout()
        self.local_radio = QRadioButton("Local folder", self)
        self.s3_radio = QRadioButton("S3 bucket", self)
        group = QButtonGroup(self)
        group.addButton(self.local_radio)
        group.addButton(self.s3_radio)
        kinds.addWidget(self.local_radio)
        kinds.addWidget(self.s3_radio)
        kinds.addStretch(1)
        lay.addLayout(kinds)

        self.pages = QStackedWidget(self)
        # local page
        local = QWidget(self)
        lf = QFormLayout(local)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(local)
        self.path_edit.setPlaceholderText("/path/to/store (the folder holding plugins/)")
        browse = QPushButton("Browse…", local)
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        lf.addRow("Folder:", row)
        self.pages.addWidget(local)
        # S3 page
        s3 = QWidget(self)
        sf = QFormLayout(s3)
        self.bucket_edit = QLineEdit(s3)
        self.bucket_edit.setPlaceholderText("my-team-bucket")
        self.prefix_edit = QLineEdit(s3)
        self.prefix_edit.setPlaceholderText("optional/prefix")
        self.region_edit = QLineEdit(s3)
        self.region_edit.setPlaceholderText("default from your AWS config")
        self.profile_edit = QLineEdit(s3)
        self.profile_edit.setPlaceholderText("default")
        self.profile_edit.setToolTip("A profile of ~/.aws/config; credentials stay there")
        self.endpoint_edit = QLineEdit(s3)
        self.endpoint_edit.setPlaceholderText("https://… (MinIO, Ceph; empty for AWS)")
        sf.addRow("Bucket:", self.bucket_edit)
        sf.addRow("Prefix:", self.prefix_edit)
        sf.addRow("Region:", self.region_edit)
        sf.addRow("Profile:", self.profile_edit)
        sf.addRow("Endpoint URL:", self.endpoint_edit)
        note = QLabel("Credentials come from your AWS profile or environment; petbrowser never stores them.", s3)
        note.setWordWrap(True)
        note.setEnabled(False)
        sf.addRow(note)
        self.pages.addWidget(s3)
        lay.addWidget(self.pages)

        test_row = QHBoxLayout()
        self.test_button = QPushButton(icon("connect"), "Test connection", self)
        self.test_button.setToolTip("Check that the store exists and can be read")
        self.test_button.clicked.connect(self.test_connection)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop waiting for the store (the dialog stays open)")
        self.stop_button.clicked.connect(self.stop_test)
        self.stop_button.setVisible(False)
        self.result_label = QLabel("", self)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.stop_button)
        test_row.addWidget(self.result_label, 1)
        lay.addLayout(test_row)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

        self.local_radio.toggled.connect(lambda on: self.pages.setCurrentIndex(0 if on else 1))
        self.local_radio.setChecked(True)
        if draft is not None:
            self.set_fields(draft)
        elif initial is not None:
            self.set_target(initial)

    def _edits(self) -> dict[str, QLineEdit]:
        return {
            "path": self.path_edit, "bucket": self.bucket_edit, "prefix": self.prefix_edit,
            "region": self.region_edit, "profile": self.profile_edit, "endpoint": self.endpoint_edit,
        }  # fmt: skip

    def fields(self) -> dict[str, str]:
        """Everything typed, complete or not (what the next dialog starts from)."""
        out = {k: e.text() for k, e in self._edits().items()}
        out["kind"] = "local" if self.local_radio.isChecked() else "s3"
        return out

    def set_fields(self, values: dict[str, str]) -> None:
        (self.local_radio if values.get("kind", "local") == "local" else self.s3_radio).setChecked(True)
        for key, edit in self._edits().items():
            edit.setText(values.get(key, ""))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and self.testing():
            self.stop_test()  # Esc first stops the wait; a second Esc closes the dialog
            return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:  # noqa: D102 - every way out stops the test
        self.stop_test(quiet=True)
        super().done(result)

    # ------------------------------------------------------------ values
    def set_target(self, t: OpenTarget) -> None:
        url = t.storage or ""
        if url.startswith("s3://"):
            self.s3_radio.setChecked(True)
            bucket, _, prefix = url[5:].partition("/")
            self.bucket_edit.setText(bucket)
            self.prefix_edit.setText(prefix)
            self.region_edit.setText(t.region or "")
            self.profile_edit.setText(t.profile or "")
            self.endpoint_edit.setText(t.endpoint_url or "")
        else:
            self.local_radio.setChecked(True)
            self.path_edit.setText(url)

    def target(self) -> OpenTarget | None:
        """The store as entered, or None when a required field is empty."""
        if self.local_radio.isChecked():
            path = self.path_edit.text().strip()
            return OpenTarget(storage=path) if path else None
        bucket = self.bucket_edit.text().strip()
        if not bucket:
            return None
        return OpenTarget(
            storage=s3_url(bucket, self.prefix_edit.text()),
            endpoint_url=self.endpoint_edit.text().strip() or None,
            profile=self.profile_edit.text().strip() or None,
            region=self.region_edit.text().strip() or None,
        )

    # ----------------------------------------------------------- actions
    def _pick_recent(self, index: int) -> None:
        t = OpenTarget.from_dict(self.recent.itemData(index))
        if t is not None:
            self.set_target(t)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Store folder", self.path_edit.text())
        if d:
            self.path_edit.setText(d)

    def test_connection(self) -> None:
        """Run ``storage.check()`` in a worker; the answer lands in the label."""
        t = self.target()
        if t is None:
            self._show_result(False, "Fill in the folder or the bucket first.")
            return
        self.test_button.setEnabled(False)
        self.stop_button.setVisible(True)
        self.result_label.setStyleSheet("")  # in progress: not the red of a previous failure
        self.result_label.setProperty("ok", None)
        self.result_label.setText("Testing…")

        def work(ctx):
            from petbrowser.core.manager import PetClassManager

            return PetClassManager.check_store(
                str(t.storage), endpoint_url=t.endpoint_url, profile=t.profile, region=t.region
            )

        def finished() -> None:
            if self._test is task:
                self._test_ended()

        task = self._test = self.runner.submit(
            work,
            label="Testing connection",
            on_result=lambda url: self._show_result(True, f"Connected to {url}"),
            on_error=lambda exc: self._show_result(False, exc.message),
            on_finished=finished,
        )

    def testing(self) -> bool:
        return self._test is not None

    def stop_test(self, quiet: bool = False) -> None:
        """Stop waiting for the test: its answer is dropped, a hung call is abandoned."""
        if self._test is None:
            return
        self._test.cancel()
        self.runner.pool.pump()
        self._test_ended()
        if not quiet:
            self.result_label.setStyleSheet("")
            self.result_label.setText("Test stopped: no answer yet from the store.")

    def _test_ended(self) -> None:
        self._test = None
        self.test_button.setEnabled(True)
        self.stop_button.setVisible(False)

    def _show_result(self, ok: bool, text: str) -> None:
        from petbrowser.gui.messages import scrub

        self.result_label.setText(("✔ " if ok else "✖ ") + scrub(text))
        from petbrowser.gui.theme import is_dark

        dark = is_dark()  # the light palette's greens and reds are too dim on dark grey
        colour = ("#81c784" if ok else "#ef9a9a") if dark else ("#2e7d32" if ok else "#c62828")
        self.result_label.setStyleSheet(f"color: {colour}")
        self.result_label.setProperty("ok", ok)

    def _accept(self) -> None:
        t = self.target()
        if t is None:
            self._show_result(False, "Fill in the folder or the bucket first.")
            return
        remember(t, last=False)
        self.accept()
