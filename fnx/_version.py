"""The fnx version (one place: fnx.__version__, print_environment_info and packaging read it)."""
__version__ = "0.1.0"
