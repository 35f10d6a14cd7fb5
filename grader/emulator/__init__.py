"""Offline AWS for the course: moto plus real linear-learner training and serving."""

from .client import client_environment, emulator_environment, read_env_file, write_env_file
from .server import Emulator

__all__ = ["Emulator", "client_environment", "emulator_environment", "read_env_file", "write_env_file"]
