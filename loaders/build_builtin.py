"""Build the built-in datasets' stored projects (package data) from their YAML and CSV files.

    python -m consultgraph.loaders.build_builtin            # rebuild every built-in dataset
    python -m consultgraph.loaders.build_builtin --check    # exit 1 if a stored copy is stale

Run it after editing anything under ``loaders/datasets/`` or ``schema/``: commands open
the stored project (no YAML parsing, no translation), and fall back to translating the
files when the stored copy's fingerprint does not match them.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from consultgraph import schema as schema_files
from consultgraph.loaders import DATASETS_DIR, PREBUILT_DIR, load

REBUILD = "python -m consultgraph.loaders.build_builtin"


def dataset_names():
    """The built-in datasets: folders of ``loaders/datasets`` with a dataset.yaml."""
    return sorted(p.name for p in DATASETS_DIR.iterdir() if (p / "dataset.yaml").is_file())


def fingerprint(name):
    """SHA-256 over the dataset's files and the schema files that shape its translation."""
    folder = DATASETS_DIR / name
    schema_dir = Path(schema_files.__file__).resolve().parent
    files = [("dataset", folder, p) for p in sorted(folder.rglob("*")) if p.is_file()]
    files += [("schema", schema_dir, p) for p in sorted(schema_dir.rglob("*"))
              if p.is_file() and p.suffix in (".ttl", ".json", ".cypher")]
    digest = hashlib.sha256()
    for prefix, base, path in files:
        digest.update(f"{prefix}/{path.relative_to(base).as_posix()}".encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def stored_fingerprint(name):
    """The fingerprint the stored copy of ``name`` was built from, or None if there is none."""
    import json

    manifest = PREBUILT_DIR / name / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        loads = json.loads(manifest.read_text(encoding="utf-8")).get("loads") or [{}]
    except ValueError:
        return None
    return loads[-1].get("fingerprint")


def is_current(name):
    """True when the stored copy of ``name`` was built from the files as they are now."""
    return stored_fingerprint(name) == fingerprint(name)


def build(name, out_dir=PREBUILT_DIR):
    """Translate dataset ``name`` and store it as ``out_dir/name`` (replacing any old copy)."""
    from consultgraph.graph.consultation import Consultation

    folder = DATASETS_DIR / name
    graph = load([folder], graph=Consultation(name=name)).graph
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
    try:
        graph.save(staging, load={"files": [f"datasets/{name}"], "fingerprint": fingerprint(name)})
        staging.chmod(0o755)  # package data: readable by whoever installs it
        for path in staging.iterdir():
            path.chmod(0o644)
        target = out_dir / name
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir / name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="Only check that every stored copy is current.")
    args = parser.parse_args(argv)
    stale = [name for name in dataset_names() if not is_current(name)]
    if args.check:
        for name in stale:
            print(f"{name}: the stored copy is stale; run `{REBUILD}`", file=sys.stderr)
        return 1 if stale else 0
    for name in dataset_names():
        path = build(name)
        print(f"{name}: built {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
