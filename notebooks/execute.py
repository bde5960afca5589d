"""Run a notebook top to bottom in a kernel of this interpreter and keep its outputs.

    python notebooks/execute.py                  # re-run guarantor_coalitions.ipynb in place
    python notebooks/execute.py OTHER.ipynb

The notebook is committed with its outputs so that it reads on a code host; run this after
changing it (or the data) and commit the result. The kernel runs ``sys.executable`` through
a throw-away kernelspec on ``JUPYTER_PATH``: no ``ipykernel install`` is needed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "guarantor_coalitions.ipynb"
KERNEL = "stancegraph-notebook"


def execute(path: Path = NOTEBOOK, env: dict[str, str] | None = None, timeout: int = 120) -> Any:
    """The executed notebook (nbformat node); raises on the first failing cell."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="stancegraph-kernel-") as tmp:
        spec = Path(tmp) / "kernels" / KERNEL
        spec.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernel = {"argv": argv, "display_name": "stancegraph", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(kernel))
        saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "MPLBACKEND", *(env or {}))}
        os.environ.update({"JUPYTER_PATH": tmp, "MPLBACKEND": "Agg", **(env or {})})
        try:
            client = nbclient.NotebookClient(
                nb,
                timeout=timeout,
                kernel_name=KERNEL,
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    # Committed as a reader would open it: the usual kernel name, no per-run metadata.
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    return nb


def main(argv: list[str]) -> int:
    import nbformat

    path = Path(argv[0]) if argv else NOTEBOOK
    nbformat.write(execute(path), path)
    print(f"executed and saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
