"""Where the vendor contracts are: $DE_CONTRACTS_DIR, else <repo>/../shared/contracts, else
/work/shared/contracts. Used by every stand-in (run as scripts beside this file, or imported)."""
import os
import pathlib


def candidates():
    found = [pathlib.Path(os.environ["DE_CONTRACTS_DIR"])] if os.environ.get("DE_CONTRACTS_DIR") else []
    repo = pathlib.Path(__file__).resolve().parents[3]
    return found + [repo.parent / "shared" / "contracts", pathlib.Path("/work/shared/contracts")]


def find(*files):
    """The first folder holding every one of `files` (or None), and the folders looked in."""
    looked = candidates()
    for folder in looked:
        if all((folder / name).is_file() for name in files):
            return folder, looked
    return None, looked
