"""Package layout: the standard library owns the name `site`, so `site/` installs as `portail_site`.

pyproject.toml cannot map a renamed folder *and* discover sub-packages, hence this file.
"""

from setuptools import find_packages, setup

APPS = ["home", "activities", "qf_connector", "family_portal"]

app_packages = find_packages(include=[f"{app}*" for app in APPS])
site_packages = [
    "portail_site" + name.removeprefix("site")
    for name in find_packages(include=["site", "site.*"])
]

setup(
    packages=app_packages + site_packages,
    package_dir={"portail_site": "site"},
    include_package_data=True,
)
