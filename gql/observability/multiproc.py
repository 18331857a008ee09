"""The directory where the processes of ``famille serve --workers N`` write their metrics
(prometheus-client's multiprocess mode, docs/monitoring.md).

Nothing here imports prometheus_client: it reads ``PROMETHEUS_MULTIPROC_DIR`` once, as it
is first imported, so the variable must be set before (``famille serve`` calls this first).
"""

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(default: Path) -> Path:
    """The directory of ``famille serve``'s processes' metric files: the one the
    environment names, else ``default``; emptied (files of a previous run would count
    again) and exported for the processes uvicorn spawns."""
    directory = Path(os.environ.get(MULTIPROC_ENV) or default)
    if directory.exists():
        for entry in directory.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory
