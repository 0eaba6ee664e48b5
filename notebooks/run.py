#!/usr/bin/env python3
"""Executes every notebook in this folder headless (as CI does) and fails on the first cell
that raises. Also checks that the committed notebooks carry no outputs (they are stripped in
git: run results belong to whoever runs them).

usage: python notebooks/run.py      (from the repository root, in a venv with polars,
                                      matplotlib, nbclient, nbformat and ipykernel)
Environment: PCAP_RCA (binary to run), CARGO_TARGET_DIR, PCAP_RCA_EXPORT_FORMAT (parquet|csv).
"""
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent


def main():
    books = sorted(HERE.glob("*.ipynb"))
    if not books:
        sys.exit("no notebooks")
    for path in books:
        nb = nbformat.read(path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        if dirty:
            sys.exit(f"{path.name}: cells {dirty} carry outputs; strip them before committing")
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(REPO)}})
        client.execute()
        print(f"{path.name}: {len(nb.cells)} cells ran")


if __name__ == "__main__":
    main()
