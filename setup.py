"""The build's one step beyond pyproject.toml: the gettext catalogs compiled into the package (.po -> .mo, with
Babel), so a wheel or `pip install .` serves the pages in every language without `make install`."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for source in sorted(Path("src/patron/locale").glob("*/LC_MESSAGES/django.po")):
            target = Path(self.build_lib) / "patron" / source.relative_to("src/patron").with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as handle:
                catalog = read_po(handle, locale=source.parts[-3])
            with target.open("wb") as handle:
                write_mo(handle, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs})
