"""Maps the repository's top-level folders into the `threadloom` namespace.

`generator/` installs as `threadloom.generator`, `server/` as `threadloom.server` and
`conformance/` as `threadloom.conformance`; `threadloom` itself is a namespace package.
Sub-packages are found automatically, so adding a folder with an `__init__.py` needs no edit here.
"""

from setuptools import find_packages, setup

ROOTS = ("generator", "server", "conformance")

packages = []
for root in ROOTS:
    packages.append(f"threadloom.{root}")
    packages += [f"threadloom.{root}.{sub}" for sub in find_packages(root)]

setup(
    packages=packages,
    package_dir={f"threadloom.{root}": root for root in ROOTS},
    package_data={package: ["*.json", "*.j2", "*.md", "*.ts", "*.txt", "*.jsonl"] for package in packages},
)
