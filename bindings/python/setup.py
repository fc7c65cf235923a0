"""Installs the ember package (pure Python + ctypes, no compile step) and
bundles libember into it when a build is found:

* EMBER_LIBRARY, if set at install time, names the library to bundle;
* otherwise the newest build/lib/libember.so.0.* of the repository this
  directory belongs to (run `make lib` first);
* otherwise nothing is bundled, and ember finds libember at import time
  through EMBER_LIBRARY or the system loader (after `make install`).

    pip install ./bindings/python
"""

import glob
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def library_to_bundle():
    explicit = os.environ.get("EMBER_LIBRARY")
    if explicit and os.path.exists(explicit):
        return os.path.realpath(explicit)
    builds = glob.glob(os.path.join(HERE, "..", "..", "build", "lib", "libember.so.0.*"))
    builds = [b for b in builds if os.path.isfile(b) and not os.path.islink(b)]
    return max(builds, key=os.path.getmtime) if builds else None


class BuildWithLibrary(build_py):
    """build_py that copies libember into ember/_lib/ as libember.so.0."""

    def run(self):
        super().run()
        source = library_to_bundle()
        if source is None:
            self.announce("ember: no libember build found to bundle; ember will look for it at import time", 2)
            return
        target = os.path.join(self.build_lib, "ember", "_lib")
        os.makedirs(target, exist_ok=True)
        shutil.copy2(source, os.path.join(target, "libember.so.0"))
        self.announce(f"ember: bundled {source}", 2)


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildWithLibrary})
