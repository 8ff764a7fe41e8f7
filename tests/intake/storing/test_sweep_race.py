"""The sweep of leftovers before each submission runs while other workers of the portal take their
uploads in and remove them: a folder that vanishes while it is looked at is another worker's, in use,
never a crash (found by benchmarks/load_test.py: 4 workers answered 503 to some uploads)."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from pipelines.common.settings import Settings
from pipelines.intake.storing.doctor import sweep_leftovers


def test_the_sweep_passes_over_uploads_that_vanish_while_it_looks(tmp_path):
    settings = Settings.from_env(tmp_path / "home")
    settings.ensure()
    stop = threading.Event()

    def other_worker():
        while not stop.is_set():
            with tempfile.TemporaryDirectory(dir=settings.home, prefix=".upload-") as folder:
                (Path(folder) / "upload").write_bytes(b"x" * 1000)

    workers = [threading.Thread(target=other_worker) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 2
        sweeps = 0
        while time.monotonic() < deadline:
            assert sweep_leftovers(settings) == 0  # nothing old enough to be a leftover
            sweeps += 1
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert sweeps > 50
