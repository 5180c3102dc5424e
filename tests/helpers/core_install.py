"""Python as on an install with only some of the project's dependencies.

:func:`blocked_environment` writes a ``sitecustomize`` module that Python runs at start-up:
it puts an import hook first on ``sys.meta_path`` that refuses every top-level module that
is neither the standard library, nor sounddetect, nor installed by the given requirements
(followed through what each requires in turn), as if it were not installed. Everything is
installed in the test environment, so this is how a test sees what a core install, or the
Lambda's artifact, would lack.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import sounddetect

ROOT = Path(__file__).resolve().parents[2]

#: The generator's, training's and the reference checks' libraries: the inference path
#: (CLI detect and the Lambda) must not import them, whatever a requirement list says.
HEAVY = frozenset(
    {"librosa", "matplotlib", "numba", "onnx", "scipy", "sklearn", "threadpoolctl", "torch", "tqdm"}
)

_SITECUSTOMIZE = '''\
"""Written by tests/helpers/core_install.py: refuse what this install would not have."""

import sys

ALLOWED = frozenset({allowed!r})


class RefuseUninstalled:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        # _sysconfigdata_*: the standard library's build settings, named by platform and
        # missing from stdlib_module_names (scipy reads them through sysconfig).
        if top in ALLOWED or top in sys.stdlib_module_names or top.startswith("_sysconfigdata"):
            return None
        raise ModuleNotFoundError(f"No module named {{name!r}} ({why})", name=name)


sys.meta_path.insert(0, RefuseUninstalled())
'''


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def core_requirements() -> list[str]:
    """pyproject.toml's ``dependencies``: what ``pip install sounddetect`` installs."""
    return list(_project()["dependencies"])


def extra_requirements(extra: str) -> list[str]:
    """pyproject.toml's ``dependencies`` and those of one optional extra."""
    return core_requirements() + list(_project()["optional-dependencies"][extra])


def lambda_requirements() -> list[str]:
    """What the Lambda's artifact holds (inference/requirements.txt), and boto3, which the
    python3.12 runtime provides."""
    lines = (ROOT / "inference" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")] + ["boto3"]


def installed_closure(requirements: Iterable[str]) -> set[str]:
    """The canonical names of the distributions ``requirements`` name and, as installed
    here, of those they require in turn (extras followed, environment markers evaluated)."""
    pending = [
        requirement
        for requirement in map(Requirement, requirements)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""})
    ]
    followed: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in followed:
            continue
        followed.add(key)
        try:
            required = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:  # optional, and not installed here
            continue
        extras = ("", *requirement.extras)
        for dependency in map(Requirement, required):
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras):
                pending.append(dependency)
    return {name for name, _ in followed}


#: Top-level module -> the distributions that install it; read once (half a second).
_packages_distributions = functools.cache(importlib.metadata.packages_distributions)


def importable_modules(requirements: Iterable[str]) -> frozenset[str]:
    """The top-level modules that an install of ``requirements`` provides (the standard
    library and sounddetect aside)."""
    distributions = installed_closure(requirements)
    return frozenset(
        module
        for module, names in _packages_distributions().items()
        if any(canonicalize_name(name) in distributions for name in names)
    )


def blocked_environment(
    folder: Path,
    requirements: Iterable[str],
    *,
    why: str,
    refused: Iterable[str] = (),
    test_modules: Path | None = None,
) -> dict[str, str]:
    """``os.environ`` for a Python that imports only the standard library, sounddetect and
    what ``requirements`` install, less the top-level modules ``refused``; a refused import
    raises ModuleNotFoundError naming the module and ``why``. The sitecustomize module is
    written into ``folder``; ``test_modules``, a folder of the tests' own modules
    (``lambda_helpers``), goes on the path with its modules allowed."""
    # The sounddetect under test first: a worktree's src/ stands before the installed one.
    path = [folder, Path(sounddetect.__file__).resolve().parents[1]]
    own = {"sounddetect"}
    if test_modules is not None:
        path.append(test_modules)
        own |= {module.stem for module in test_modules.glob("*.py")}
    allowed = sorted((importable_modules(requirements) - set(refused)) | own)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        _SITECUSTOMIZE.format(allowed=allowed, why=why), encoding="utf-8"
    )
    path.extend(filter(None, [os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
