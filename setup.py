"""The compiled builds of the hot modules (engine/native.py says which and why); everything else about the
package is in pyproject.toml.

``pip install`` (and ``pip install -e .``, which builds in place) translates each module of
``engine.native.NATIVE_MODULES`` to C with Cython and compiles it; a module that does not compile (no C
compiler) is left as plain source.  ``WENZHENG_BUILD_NATIVE=0`` builds none.  Beside each compiled file the
build writes the SHA-256 of the source it came from: the import finder uses a build only while that matches.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def _native_spec():  # engine/native.py alone: the engine's dependencies are not there at build time
    spec = importlib.util.spec_from_file_location("_wenzheng_native_build", HERE / "engine" / "native.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and typing look their module up while it runs
    spec.loader.exec_module(module)
    return module


native = _native_spec()


class StampedBuildExt(build_ext):
    """build_ext that writes each compiled module's source digest beside it and goes on without a module
    that fails to compile (the plain source then runs)."""

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001 - any compiler failure: that module stays plain Python
            self.warn(f"{ext.name}: not compiled ({exc}); the plain source runs")
            return
        target = Path(self.get_ext_fullpath(ext.name))
        source = HERE / Path(*ext.name.split(".")).with_suffix(".py")
        native.stamp_path(target.parent, ext.name).write_text(native.source_digest(source) + "\n",
                                                              encoding="ascii")

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - no compiler at all: the package installs as plain Python
            self.warn(f"no module compiled ({exc}); the plain source runs")

    # an editable install builds in build/ and copies the compiled files into the tree: the stamps go with them

    def _stamps(self):
        build_py = self.get_finalized_command("build_py")
        for ext in self.extensions:
            inplace_file, regular_file = self._get_inplace_equivalent(build_py, ext)
            yield (native.stamp_path(Path(regular_file).parent, ext.name),
                   native.stamp_path(Path(inplace_file).parent, ext.name), Path(regular_file))

    def copy_extensions_to_source(self):
        super().copy_extensions_to_source()
        for regular, inplace, compiled in self._stamps():
            if compiled.exists() and regular.exists():
                self.copy_file(str(regular), str(inplace), level=self.verbose)

    def _get_output_mapping(self):
        yield from super()._get_output_mapping()
        if self.inplace:
            for regular, inplace, _ in self._stamps():
                yield (str(regular), str(inplace))

    def get_outputs(self):
        outputs = super().get_outputs()
        if self.inplace:
            return outputs
        return sorted(outputs + [str(regular) for regular, _, compiled in self._stamps() if compiled.exists()])


def _extensions():
    if os.environ.get("WENZHENG_BUILD_NATIVE", "").strip() == "0":
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    modules = [Extension(name, [str(Path(*name.split(".")).with_suffix(".py"))]) for name in native.NATIVE_MODULES]
    # language_level 3 and binding: functions keep their signatures and behave as Python functions
    # (introspection, keyword arguments, pickling by name); the C is generated under build/, not in the tree
    return cythonize(modules, language_level=3, build_dir="build/cython", quiet=True,
                     nthreads=os.cpu_count() or 1,
                     compiler_directives={"binding": True, "always_allow_keywords": True,
                                          "embedsignature": True, "annotation_typing": False})


setup(ext_modules=_extensions(), cmdclass={"build_ext": StampedBuildExt})
