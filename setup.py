# The C kernels are a cffi extension built by build_kernels.py (see pyproject.toml for metadata).
from setuptools import setup

setup(cffi_modules=["build_kernels.py:ffibuilder"])
